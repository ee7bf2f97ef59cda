import { readDerElement } from './der';

// PEM read line by line, at one of two strictnesses:
// - `lenient`, what OpenSSL takes from a file: text around the blocks, markers anywhere on their line, indented
//   and blank lines, RFC 1421 headers (Proc-Type, DEK-Info) before the base64. `cert inspect` and identity loading.
// - `strict`, what ALB takes in a trust-store upload: markers alone on their line (trailing spaces aside), no
//   headers; the lines that are no part of a block come back for the caller's own rules about them.
// PEM pasted into other text (YAML block scalars, JSON strings with \n, code, URL-encoded headers) has no lines
// to go by: pem-in-text.ts finds it by offsets, for the hover. Either way a block's base64 is judged here.

export type PemStrictness = 'lenient' | 'strict';

/** The labels a single X.509 certificate goes by (OpenSSL's TRUSTED CERTIFICATE appends its trust settings). */
export const certificatePemLabels: ReadonlySet<string> = new Set(['CERTIFICATE', 'TRUSTED CERTIFICATE', 'X509 CERTIFICATE']);

export interface PemLine {
  /** 1-based. */
  number: number;
  text: string;
  /** Offsets in the input: start of the line, and end including its line terminator. */
  start: number;
  end: number;
}

export interface PemBlock {
  label: string;
  begin: PemLine;
  /** Absent when the input ended, or another BEGIN came, before an END line. */
  end?: PemLine;
  /** The END line's label, which may differ from `label`. */
  endLabel?: string;
  /** RFC 1421 headers before the base64 (lenient only; strict reads them as body lines, which are not base64). */
  headers: string[];
  body: PemLine[];
  /** The body's lines joined, without the spaces around them. */
  base64: string;
  /** The first body line that is not base64. */
  badLine?: PemLine;
}

export interface PemLines {
  blocks: PemBlock[];
  /** Blank lines (inside blocks too) and the lines outside any block, in order. */
  others: PemLine[];
}

const markers = {
  lenient: { BEGIN: /-----BEGIN ([A-Z0-9 #]+)-----/, END: /-----END ([A-Z0-9 #]+)-----/ },
  strict: { BEGIN: /^-----BEGIN ([^-]*)-----$/, END: /^-----END ([^-]*)-----$/ },
};

const base64Line = /^[A-Za-z0-9+/=]+$/;

/**
 * `text` without the spaces and tabs at its end. A loop, not /[ \t]+$/: that regex is tried at every space of a run
 * that something else ends, so a long run of spaces inside a line costs quadratic time.
 */
export function trimTrailingBlanks(text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** A line as the strictness sees it: lenient ignores indentation, strict only trailing spaces. */
function contentOf(text: string, strictness: PemStrictness): string {
  return strictness === 'strict' ? trimTrailingBlanks(text) : text.trim();
}

/** The label of the BEGIN or END marker on `line`, or null. */
export function pemMarker(line: string, kind: 'BEGIN' | 'END', strictness: PemStrictness): string | null {
  return markers[strictness][kind].exec(contentOf(line, strictness))?.[1] ?? null;
}

/** Splits on LF, CRLF and lone CR alike; a final line terminator ends the last line, it does not start an empty one. */
function splitLines(text: string): PemLine[] {
  const lines: PemLine[] = [];
  const terminator = /\r\n|\r|\n/g;
  let start = 0;
  for (let m = terminator.exec(text); m !== null; m = terminator.exec(text)) {
    lines.push({ number: lines.length + 1, text: text.slice(start, m.index), start, end: m.index + m[0].length });
    start = m.index + m[0].length;
  }
  if (start < text.length) lines.push({ number: lines.length + 1, text: text.slice(start), start, end: text.length });
  return lines;
}

function closeBody(block: PemBlock, strictness: PemStrictness): PemBlock {
  const parts: string[] = [];
  for (const line of block.body) {
    const content = contentOf(line.text, strictness);
    if (block.badLine === undefined && !base64Line.test(content)) block.badLine = line;
    parts.push(content);
  }
  block.base64 = parts.join('');
  return block;
}

/**
 * Every PEM block of `text`, in order, whatever its label; a block cut short (by the end of the text or by
 * the next BEGIN) has no `end`. Never throws: what is wrong with a block is for the caller to word.
 */
export function readPemLines(text: string, strictness: PemStrictness): PemLines {
  const { BEGIN, END } = markers[strictness];
  const blocks: PemBlock[] = [];
  const others: PemLine[] = [];
  let open: PemBlock | undefined;
  for (const line of splitLines(text)) {
    const content = contentOf(line.text, strictness);
    if (content.length === 0) {
      others.push(line);
      continue;
    }
    const begin = BEGIN.exec(content);
    if (open !== undefined) {
      const end = END.exec(content);
      if (end !== null) {
        blocks.push(closeBody({ ...open, end: line, endLabel: end[1]! }, strictness));
        open = undefined;
        continue;
      }
      if (begin === null) {
        if (strictness === 'lenient' && open.body.length === 0 && content.includes(':')) open.headers.push(content);
        else open.body.push(line);
        continue;
      }
      blocks.push(closeBody(open, strictness));
    }
    if (begin !== null) open = { label: begin[1]!, begin: line, headers: [], body: [], base64: '' };
    else others.push(line);
  }
  if (open !== undefined) blocks.push(closeBody(open, strictness));
  return { blocks, others };
}

/** Whether a block both begins and ends with the same label. */
export function isClosed(block: PemBlock): boolean {
  return block.end !== undefined && block.endLabel === block.label;
}

export type Base64Problem = 'empty' | 'padding' | 'length';

/**
 * What is wrong with a block's base64 as a whole. Lenient accepts a missing final padding as OpenSSL does;
 * strict wants whole 4-character groups, as ALB does.
 */
export function base64Problem(base64: string, strictness: PemStrictness): Base64Problem | undefined {
  if (base64.length === 0) return 'empty';
  if (!/^[^=]*={0,2}$/.test(base64)) return 'padding';
  if (strictness === 'strict' ? base64.length % 4 !== 0 : base64.length % 4 === 1) return 'length';
  return undefined;
}

/**
 * The DER in a block: its first complete element (a TRUSTED CERTIFICATE's trust settings after it are left out),
 * or null when the base64 is damaged or the DER cut off.
 */
export function pemBlockDer(block: PemBlock): Buffer | null {
  if (block.badLine !== undefined || base64Problem(block.base64, 'lenient') !== undefined) return null;
  const bytes = Buffer.from(block.base64, 'base64');
  const top = readDerElement(bytes, 0);
  return top === null ? null : bytes.subarray(0, top.end);
}

/** A block as OpenSSL writes it, headers kept: for node:crypto's PEM readers (legacy encrypted keys need the headers). */
export function pemText(block: PemBlock): string {
  const headers = block.headers.length > 0 ? `${block.headers.join('\n')}\n\n` : '';
  const lines = (block.base64.match(/.{1,64}/g) ?? []).join('\n');
  return `-----BEGIN ${block.label}-----\n${headers}${lines}\n-----END ${block.label}-----\n`;
}

/** DER as a PEM block with 64-character lines, as OpenSSL writes it. */
export function pemBlock(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/**
 * The text of a file that holds PEM, or null for one that does not (DER, PKCS#12). Windows editors save
 * "Unicode" text as UTF-16; the PEM inside is still ASCII.
 */
export function pemFileText(data: Buffer): string | null {
  let text: string | null = null;
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) text = data.subarray(2).toString('utf16le');
  else if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) text = Buffer.from(data.subarray(2)).swap16().toString('utf16le');
  else if (data.includes('-----BEGIN')) text = data.toString('latin1');
  return text !== null && text.includes('-----BEGIN') ? text : null;
}
