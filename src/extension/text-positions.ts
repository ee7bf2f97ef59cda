// Offsets in a text as editor positions, without an open document: the config loader keeps offsets, and a test's
// location must not depend on whether the config file happens to be open. No vscode import: unit-tested as is.

/** A zero-based line and UTF-16 column, as vscode.Position counts them. */
export interface LineColumn {
  line: number;
  character: number;
}

/** The position of an offset; line breaks are \n, \r\n and \r, as in the editor. Offsets past the end clamp to it. */
export function positionAt(text: string, offset: number): LineColumn {
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      // \r\n is one break: its \n is consumed with the \r (an offset between the two stays on the line).
      if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) {
        if (i + 1 >= end) return { line, character: i - lineStart };
        i++;
      }
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: end - lineStart };
}

/**
 * Where to underline a certificate block: its BEGIN marker only (a 30-line block in YAML underlined whole hides the
 * file). The marker ends at its closing dashes; a marker broken off by the end of the line or block ends there.
 */
export function beginMarkerRange(text: string, start: number, end: number): { start: number; end: number } {
  const lineEnd = [text.indexOf('\n', start), text.indexOf('\r', start), end].filter((i) => i >= 0).reduce((a, b) => Math.min(a, b), text.length);
  // "-----BEGIN CERTIFICATE-----": the closing dashes come after the label.
  const closing = text.indexOf('-----', start + '-----BEGIN'.length);
  const markerEnd = closing >= 0 ? closing + '-----'.length : lineEnd;
  return { start, end: Math.max(start + 1, Math.min(markerEnd, lineEnd)) };
}
