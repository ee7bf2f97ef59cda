// Finds PEM blocks wherever people paste them: .pem files, YAML block scalars, JSON strings with \n escapes,
// Terraform heredocs, string literals in code (one per line, joined with + or .), comments, Markdown fences,
// XML attributes, URL-encoded headers. The text between BEGIN and END is cut into segments at real and
// escaped line breaks; each segment loses the decoration around its base64 (quotes, comment markers,
// concatenation operators) and what is left must be base64. Offsets are the text's (UTF-16) offsets, as an
// editor counts them. This is the most tolerant of the PEM readers (pem.ts has the line-based ones): what the
// base64 holds is the caller's to judge.

export interface PemInTextBlock {
  /** Offset of the first '-' of the BEGIN marker. */
  start: number;
  /** Offset just past the END marker (past the last base64 character when the END line is missing). */
  end: number;
  label: string;
  /** The base64 between the markers, decoration removed; absent when the block is damaged, and then `problem` says how. */
  base64?: string;
  problem?: string;
}

const beginKeyword = '-----BEGIN';
const endKeyword = '-----END';

/**
 * The longest stretch of text one block may span. A certificate is at most a few KB (ALB refuses CA
 * certificates over 16 KB); this leaves room for a 64 KB one wrapped in quotes and operators, and keeps
 * every search bounded however big the document is.
 */
const maxBlockChars = 128 * 1024;

// The label after BEGIN/END; URL-encoded PEM (as in ALB's X-Amzn-Mtls-Clientcert header) writes %20 for spaces.
const markerLabel = /(?: |%20)((?:[A-Z0-9# ]|%20){1,64}?)-----/y;

// Where a line break may start: real ones, escaped ones (JSON/YAML/code "\n", doubly escaped "\\n"),
// URL-encoded (%0A) and XML-encoded (&#10;) ones. nextBreak checks each candidate by hand: a regex with
// "\\+[nr]" backtracks quadratically on a long run of backslashes.
const breakCandidate = /[\n\r\\%&]/g;
const xmlBreak = /&#(?:0*1[03]|[xX]0*[aAdD]);/y;
const plainBase64 = /^[A-Za-z0-9+/]+={0,2}$/;
const base64Text = /^[A-Za-z0-9+/]*={0,2}$/;

function isBase64Char(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 0x0b || c === 0x0c || c === 0xa0 || c === 0xfeff;
}

function readMarker(text: string, at: number, keyword: string): { label: string; end: number } | null {
  markerLabel.lastIndex = at + keyword.length;
  const match = markerLabel.exec(text);
  if (match === null) return null;
  return { label: match[1]!.replace(/%20/g, ' '), end: markerLabel.lastIndex };
}

/** JSON's \/ and \u002B, URL and XML escapes of the three base64 characters that have them. */
function unescapeBase64(segment: string): string {
  if (!/[\\%&]/.test(segment)) return segment;
  return (
    segment
      // A backslash is never base64: runs of them (doubly escaped JSON) collapse to one, which keeps the rest linear.
      .replace(/\\+/g, '\\')
      .replace(/\\\//g, '/')
      .replace(/\\u00(2[bBfF]|3[dD])/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)))
      .replace(/%(2[bBfF]|3[dD])/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)))
      .replace(/&#(43|47|61);/g, (_, code: string) => String.fromCharCode(Number(code)))
      .replace(/&#x(2[bBfF]|3[dD]);/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)))
  );
}

function isEscapedBreakLetter(c: number): boolean {
  return c === 110 || c === 114; // n, r
}

/** The end of a run of backslashes followed by n or r starting at `i`, or -1. */
function escapedBreakEnd(s: string, i: number): number {
  let j = i;
  while (s.charCodeAt(j) === 92) j++;
  return j > i && isEscapedBreakLetter(s.charCodeAt(j)) ? j + 1 : -1;
}

/** The next line break at or after `from`, as [start, end); consecutive escaped breaks ("\r\n") are one. */
function nextBreak(s: string, from: number): [number, number] | null {
  breakCandidate.lastIndex = from;
  for (let m = breakCandidate.exec(s); m !== null; m = breakCandidate.exec(s)) {
    const i = m.index;
    const c = s.charCodeAt(i);
    if (c === 10) return [i, i + 1];
    if (c === 13) return [i, s.charCodeAt(i + 1) === 10 ? i + 2 : i + 1];
    if (c === 92) {
      let end = escapedBreakEnd(s, i);
      if (end === -1) {
        // Not a break: skip the whole run of backslashes, so no run is scanned twice.
        let j = i;
        while (s.charCodeAt(j) === 92) j++;
        breakCandidate.lastIndex = j;
        continue;
      }
      for (let next = escapedBreakEnd(s, end); next !== -1; next = escapedBreakEnd(s, end)) end = next;
      return [i, end];
    }
    if (c === 37 && s.charCodeAt(i + 1) === 48 && /[aAdD]/.test(s.charAt(i + 2))) return [i, i + 3];
    if (c === 38) {
      xmlBreak.lastIndex = i;
      if (xmlBreak.test(s)) return [i, xmlBreak.lastIndex];
    }
  }
  return null;
}

// Decoration around the base64 of a line, by the formats that put it there: indentation; quotes; comment
// markers (# ; * -- % ! // and ' or " in Basic and Vim); Markdown quotes, lists and tables (> - |); opening
// brackets and operators of code (( [ { , . & +). Anything else is damage and is reported as such.
const leadingDecoration = new Set(' \t\v\f\u00a0\ufeff"\'`#;*%!>|-([{,.&');
// After the base64: quotes, closing brackets, separators, a line-continuation backslash, a + or . operator.
const trailingDecoration = new Set(' \t\v\f\u00a0"\'`,;)]}.&|\\');

/** End of the base64 in `s[from, to)`: drops trailing quotes, commas, backslashes, and a '+' operator. */
function contentEnd(s: string, from: number, to: number): number {
  let b = to;
  while (b > from) {
    const c = s.charAt(b - 1);
    // A '+' right after base64 is base64; after a quote or a space it is a concatenation operator.
    if (trailingDecoration.has(c) || (c === '+' && (b - 1 === from || !isBase64Char(s.charCodeAt(b - 2))))) b--;
    else break;
  }
  return b;
}

/** Start of the base64 in `s[from, to)`: drops indentation, quotes, comment markers, a leading '+' operator. */
function contentStart(s: string, from: number, to: number, commentMarker: string): number {
  let a = from;
  while (a < to && isSpace(s.charCodeAt(a))) a++;
  // The BEGIN line's own marker, which may be base64 characters ("//"): only where that line has it.
  if (commentMarker.length > 0 && s.startsWith(commentMarker, a)) a += commentMarker.length;
  while (a < to) {
    const c = s.charCodeAt(a);
    const next = a + 1 < to ? s.charCodeAt(a + 1) : -1;
    if (leadingDecoration.has(s.charAt(a))) a++;
    else if ((c === 43 || c === 61) && next !== -1 && !isBase64Char(next)) a++; // '+ "…' or '= "…'
    else if (c === 47 && next === 47 && (a + 2 >= to || !isBase64Char(s.charCodeAt(a + 2)))) a += 2; // '// …'
    else break;
  }
  return a;
}

/** The symbols before BEGIN on its line ("//", "#", '"', "> "), when they are only symbols: the body lines repeat them. */
function commentMarkerOf(text: string, at: number): string {
  const from = Math.max(0, at - 32);
  const before = text.slice(from, at);
  const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
  if (lineStart === 0 && from > 0) return '';
  const marker = before.slice(lineStart).trim();
  if (marker.length === 0 || /[A-Za-z0-9]/.test(marker)) return '';
  // Of the markers made of base64 characters only "//" is a comment; a stray "+" or "/" must not eat base64.
  return /^[+/=]+$/.test(marker) && !/^\/\/+$/.test(marker) ? '' : marker;
}

interface Body {
  base64: string;
  /** The first segment that is not base64 once its decoration is gone: what is wrong and on which line. */
  damage?: string;
  /** Offset in the body just past the last base64 character. */
  lastContentEnd: number;
}

function isLineBreak(c: string | undefined): boolean {
  return c === '\n' || c === '\r';
}

/** Names the damage by character and line, never by quoting the text: a mangled block may hold pasted key material. */
function describeDamage(body: string, from: number, content: string): string {
  let line = 1;
  for (let i = 0; i < from; i++) {
    const c = body[i];
    if (c === '\n' || (c === '\r' && body[i + 1] !== '\n')) line++;
  }
  const bad = /[^A-Za-z0-9+/=]/.exec(content)?.[0];
  const what = bad === undefined ? "'=' padding in the middle of a line" : `${JSON.stringify(bad)}, which is not a base64 character`;
  // Line 1 is the BEGIN line; a block on one line (JSON "\n" escapes) has no line worth naming.
  return line > 1 ? `line ${line} of the block has ${what}` : `it has ${what}`;
}

/**
 * Collects the base64 of `body`. With an END line (`closed`), every segment belongs to the block and a bad
 * one is damage; without one, the block is taken to end at the last segment that is base64 (or at a blank
 * line), so text after a truncated block does not become part of it.
 */
function collectBase64(body: string, closed: boolean, commentMarker: string): Body {
  const parts: string[] = [];
  let damage: string | undefined;
  let lastContentEnd = 0;
  for (let from = 0; ; ) {
    const lineBreak = nextBreak(body, from);
    const to = lineBreak === null ? body.length : lineBreak[0];
    const raw = body.slice(from, to);
    if (plainBase64.test(raw) && (commentMarker.length === 0 || !raw.startsWith(commentMarker))) {
      parts.push(raw);
      lastContentEnd = to;
    } else if (!closed && parts.length > 0 && from > 0 && isLineBreak(body[from - 1]) && raw.trim().length === 0) {
      break;
    } else {
      const text = unescapeBase64(raw);
      let content = text.slice(contentStart(text, 0, text.length, commentMarker));
      content = content.slice(0, contentEnd(content, 0, content.length));
      // Newlines flattened to spaces ("-----BEGIN CERTIFICATE----- MIIB… -----END CERTIFICATE-----").
      if (closed && /[ \t]/.test(content)) content = content.replace(/[ \t]+/g, '');
      if (base64Text.test(content)) {
        if (content.length > 0) {
          parts.push(content);
          lastContentEnd = from + contentEnd(raw, contentStart(raw, 0, raw.length, commentMarker), raw.length);
        }
      } else if (closed) {
        damage ??= describeDamage(body, from, content);
      } else {
        // The last line of a truncated block in a string ends where the string does: '…AwEHA0IABIy",'.
        const a = contentStart(raw, 0, raw.length, commentMarker);
        const run = /[A-Za-z0-9+/]*={0,2}/y;
        run.lastIndex = a;
        run.exec(raw);
        if (run.lastIndex > a && /["'`]/.test(raw.charAt(run.lastIndex))) lastContentEnd = from + run.lastIndex;
        break;
      }
    }
    if (lineBreak === null) break;
    from = lineBreak[1];
  }
  return { base64: parts.join(''), lastContentEnd, ...(damage !== undefined ? { damage } : {}) };
}

/**
 * "-----BEGIN CERTIFICATE-----BEGIN …" (or with up to four more dashes): the closing dashes open another
 * BEGIN marker, and what follows belongs to that one. Left to it, so blocks never contain a BEGIN.
 */
function opensAnotherBegin(text: string, markerEnd: number): boolean {
  let dashes = 0;
  while (dashes < 5 && text.charCodeAt(markerEnd + dashes) === 45) dashes++;
  return dashes < 5 && text.startsWith('BEGIN', markerEnd + dashes);
}

/** Reads the block whose BEGIN marker is at `at`; null when its label is not one of `labels`. */
function readBlockAt(text: string, at: number, labels: ReadonlySet<string>): PemInTextBlock | null {
  const begin = readMarker(text, at, beginKeyword);
  if (begin === null || !labels.has(begin.label) || opensAnotherBegin(text, begin.end)) return null;
  const { label } = begin;
  const bodyStart = begin.end;
  const window = text.slice(bodyStart, Math.min(text.length, at + maxBlockChars));
  const commentMarker = commentMarkerOf(text, at);
  // The next BEGIN first: it bounds the search for END, so a file of BEGIN lines without END stays linear.
  const nextBegin = window.indexOf(beginKeyword);
  const endAt = (nextBegin === -1 ? window : window.slice(0, nextBegin)).indexOf(endKeyword);
  if (endAt === -1) {
    const body = collectBase64(nextBegin === -1 ? window : window.slice(0, nextBegin), false, commentMarker);
    const end = body.lastContentEnd > 0 ? bodyStart + body.lastContentEnd : bodyStart;
    const where = nextBegin === -1 ? '' : ' before the next BEGIN line';
    return { start: at, end, label, problem: `it has no -----END ${label}----- line${where} (truncated copy?)` };
  }
  let endMarker = readMarker(text, bodyStart + endAt, endKeyword);
  // An END marker whose closing dashes open the next BEGIN ("-----END CERTIFICATE-----BEGIN …") would overlap it.
  if (endMarker !== null && nextBegin !== -1 && endMarker.end > bodyStart + nextBegin) endMarker = null;
  const end = endMarker?.end ?? bodyStart + endAt + endKeyword.length;
  const block = (problem: string): PemInTextBlock => ({ start: at, end, label, problem });
  if (endMarker === null) return block(`its END line is damaged (expected -----END ${label}-----)`);
  if (endMarker.label !== label) return block(`it ends with -----END ${endMarker.label}----- instead of -----END ${label}-----`);
  const body = collectBase64(window.slice(0, endAt), true, commentMarker);
  if (body.damage !== undefined) return block(`its base64 is damaged: ${body.damage}`);
  return { start: at, end, label, base64: body.base64 };
}

/** Every PEM block in `text` whose label is one of `labels`, in order and never overlapping. Nothing throws. */
export function findPemBlocksInText(text: string, labels: ReadonlySet<string>): PemInTextBlock[] {
  const blocks: PemInTextBlock[] = [];
  for (let at = text.indexOf(beginKeyword); at !== -1; ) {
    const block = readBlockAt(text, at, labels);
    if (block !== null) blocks.push(block);
    // Past the block; past only the keyword otherwise, as pemBlockInTextAt's backward search sees every BEGIN outside a block.
    at = text.indexOf(beginKeyword, block?.end ?? at + beginKeyword.length);
  }
  return blocks;
}

/**
 * The block (of one of `labels`) containing `offset`, from the BEGIN marker's first dash to just past the END
 * marker, or null. Looks only at the text around the offset: the nearest BEGIN before it, then that block's
 * END, so it costs the same in a 40 KB bundle and a 50 MB log.
 */
export function pemBlockInTextAt(text: string, offset: number, labels: ReadonlySet<string>): PemInTextBlock | null {
  if (!(offset >= 0 && offset <= text.length)) return null;
  // A block spans at most maxBlockChars plus its END marker, so its BEGIN is within this distance.
  const windowStart = Math.max(0, offset - maxBlockChars - 128);
  const found = text.slice(windowStart, Math.min(text.length, offset + beginKeyword.length)).lastIndexOf(beginKeyword);
  if (found === -1) return null;
  const block = readBlockAt(text, windowStart + found, labels);
  if (block !== null && offset >= block.start && offset <= block.end) return block;
  // An offset on a BEGIN that starts no block may still be the end of the block before it.
  if (windowStart + found !== offset) return null;
  const previous = text.slice(windowStart, offset).lastIndexOf(beginKeyword);
  const before = previous === -1 ? null : readBlockAt(text, windowStart + previous, labels);
  return before !== null && before.end === offset ? before : null;
}
