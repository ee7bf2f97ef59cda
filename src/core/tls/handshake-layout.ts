import { ByteReader, TlsDecodeError, toHex } from './byte-reader';
import type { HandshakeContext } from './handshake-messages';
import { HandshakeType, extensionNames, nameOf } from './registry';

// Where each field of one handshake message lies in its bytes, for a hex view that highlights the field selected
// in the decoded tree. A span's `path` is the name of the decoded field it encodes (handshake-messages.ts), so the
// view can link the two; a field the decoder summarises by its length (sessionIdLength, signatureLength …) has the
// span of the field itself (sessionId, signature …). Extensions without a decoded field are
// `extensions.<registry name>`. A length-prefixed field's span includes its length prefix, except certificates and
// CA names, whose spans are exactly their DER.
//
// The message comes from the wire and may be cut short or be garbage: the walk never throws, keeps what it could
// lay out, and shows a field that runs past the end of the bytes up to that end.

/** Where one field of a handshake message lies in its bytes; `end` is exclusive. (The timeline's ByteSpan has this shape.) */
export interface FieldSpan {
  /** The decoded field's name (`random`, `serverName`) or a dotted path (`extensions.ec_point_formats`). */
  path: string;
  label: string;
  start: number;
  end: number;
}

export interface LayoutContext {
  tls13: boolean;
  /** The TLS 1.2 key exchange; without it ServerKeyExchange and ClientKeyExchange are recognised by their shape. */
  keyExchange?: HandshakeContext['keyExchange'];
}

type ExtensionPaths = Readonly<Record<number, string>>;
type Layout = (w: Walker) => void;

const clientHelloPaths: ExtensionPaths = {
  0: 'serverName',
  10: 'supportedGroups',
  13: 'signatureAlgorithms',
  16: 'alpn',
  43: 'supportedVersions',
  49: 'postHandshakeAuth',
  51: 'keyShareGroups',
};
const serverHelloPaths: ExtensionPaths = { 16: 'alpn', 43: 'version', 51: 'keyShareGroup' };
const encryptedExtensionsPaths: ExtensionPaths = { 0: 'serverNameAcknowledged', 16: 'alpn' };
const certificateRequestPaths: ExtensionPaths = { 13: 'signatureAlgorithms', 47: 'authorities', 50: 'signatureAlgorithmsCert' };

// SHA-256("HelloRetryRequest"), RFC 8446 section 4.1.3.
const helloRetryRequestRandom = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

function sized(label: string, n: number): string {
  return `${label} (${n} ${n === 1 ? 'byte' : 'bytes'})`;
}

/** A ByteReader that records the span of each field it reads, at offsets relative to the whole message. */
class Walker {
  constructor(
    readonly spans: FieldSpan[],
    private readonly r: ByteReader,
    private readonly base: number,
  ) {}

  get remaining(): number {
    return this.r.remaining;
  }

  private get at(): number {
    return this.base + this.r.position;
  }

  /** Shows what is there of a field cut short, then stops the walk. */
  private truncated(path: string, label: string, start: number): never {
    const end = this.at + this.r.remaining;
    if (end > start) this.spans.push({ path, label: `${label} (truncated)`, start, end });
    throw new TlsDecodeError(`${path} runs past the end of the message`);
  }

  fixed(path: string, label: string, n: number): Uint8Array {
    const start = this.at;
    if (this.r.remaining < n) this.truncated(path, label, start);
    const bytes = this.r.bytesOf(n);
    if (n > 0) this.spans.push({ path, label, start, end: start + n });
    return bytes;
  }

  /**
   * A vector with a length prefix. `span`: 'whole' covers prefix and contents, 'contents' only the contents,
   * 'none' records nothing (a list whose items get the spans).
   */
  vector(path: string, name: string, prefix: 1 | 2 | 3, inner?: Layout, span: 'whole' | 'contents' | 'none' = 'whole'): void {
    this.framed(path, name, this.at, prefix, span, inner);
  }

  /** One extension: its type, length and data as one span, then the data's own layout if it has one. */
  extension(paths: ExtensionPaths, prefix: string, inner: Readonly<Record<number, Layout>>): void {
    const start = this.at;
    const type = this.r.u16();
    const name = nameOf(extensionNames, type);
    this.framed(paths[type] ?? `${prefix}.${name}`, `Extension ${name}`, start, 2, 'whole', inner[type]);
  }

  private framed(path: string, name: string, start: number, prefix: 1 | 2 | 3, span: 'whole' | 'contents' | 'none', inner?: Layout): void {
    if (this.r.remaining < prefix) {
      if (span === 'whole') this.truncated(path, name, start);
      throw new TlsDecodeError(`${path} runs past the end of the message`);
    }
    const n = prefix === 1 ? this.r.u8() : prefix === 2 ? this.r.u16() : this.r.u24();
    const contentStart = this.at;
    const cut = this.r.remaining < n;
    const contents = this.r.bytesOf(Math.min(n, this.r.remaining));
    const from = span === 'contents' ? contentStart : start;
    const end = contentStart + contents.length;
    if (span !== 'none' && end > from) this.spans.push({ path, label: cut ? `${name} (truncated)` : sized(name, end - from), start: from, end });
    if (inner !== undefined) {
      try {
        // Even a cut-short vector shows the items it does hold.
        inner(new Walker(this.spans, new ByteReader(contents, path), contentStart));
      } catch (e) {
        // A malformed inside stays inside: the fields after this one are still laid out.
        if (!(e instanceof TlsDecodeError)) throw e;
      }
    }
    if (cut) throw new TlsDecodeError(`${path} runs past the end of the message`);
  }
}

function extensions(w: Walker, paths: ExtensionPaths, inner: Readonly<Record<number, Layout>> = {}, prefix = 'extensions'): void {
  if (w.remaining === 0) return;
  w.vector(prefix, 'Extensions', 2, (list) => {
    while (list.remaining > 0) list.extension(paths, prefix, inner);
  });
}

function authorityList(path: string): Layout {
  return (list) => {
    for (let i = 0; list.remaining > 0; i++) list.vector(`${path}[${i}]`, `CA name ${i + 1}`, 2, undefined, 'contents');
  };
}

function clientHello(w: Walker): void {
  w.fixed('legacyVersion', 'Legacy version (2 bytes)', 2);
  w.fixed('random', 'Random (32 bytes)', 32);
  w.vector('sessionId', 'Session ID', 1);
  w.vector('cipherSuites', 'Cipher suites', 2);
  w.vector('compressionMethods', 'Compression methods', 1);
  extensions(w, clientHelloPaths);
}

function serverHello(w: Walker): void {
  w.fixed('legacyVersion', 'Legacy version (2 bytes)', 2);
  const random = toHex(w.fixed('random', 'Random (32 bytes)', 32));
  if (random === helloRetryRequestRandom) w.spans.at(-1)!.label = 'Random (32 bytes: the HelloRetryRequest value)';
  w.vector('sessionId', 'Session ID', 1);
  w.fixed('cipherSuite', 'Cipher suite (2 bytes)', 2);
  w.fixed('compressionMethod', 'Compression method (1 byte)', 1);
  extensions(w, serverHelloPaths);
}

function certificate(w: Walker, tls13: boolean): void {
  if (tls13) w.vector('context', 'Certificate request context', 1);
  w.vector('certificates', 'Certificate list', 3, (list) => {
    for (let i = 0; list.remaining > 0; i++) {
      list.vector(`certificates[${i}]`, `Certificate ${i + 1} DER`, 3, undefined, 'contents');
      if (tls13) extensions(list, {}, {}, `certificates[${i}].extensions`);
    }
  });
}

function certificateRequest(w: Walker, tls13: boolean): void {
  if (tls13) {
    w.vector('context', 'Certificate request context', 1);
    extensions(w, certificateRequestPaths, { 47: (ext) => ext.vector('authorities', 'CA names', 2, authorityList('authorities'), 'none') });
    return;
  }
  w.vector('certificateTypes', 'Certificate types', 1);
  w.vector('signatureAlgorithms', 'Signature algorithms', 2);
  w.vector('authorities', 'Certificate authorities', 2, authorityList('authorities'));
}

function signed(w: Walker): void {
  w.fixed('signatureAlgorithm', 'Signature algorithm (2 bytes)', 2);
  w.vector('signature', 'Signature', 2);
}

function ecdheParams(w: Walker): void {
  const [curveType] = w.fixed('curveType', 'Curve type (1 byte)', 1);
  // Only named curves are laid out further; explicit curves are long gone from TLS.
  if (curveType !== 3) throw new TlsDecodeError(`curve type ${curveType}`, 'tls_unsupported');
  w.fixed('namedGroup', 'Named group (2 bytes)', 2);
  w.vector('publicKey', 'ECDH public key', 1);
  signed(w);
}

function dheParams(w: Walker): void {
  w.vector('dhPrime', 'DH prime p', 2);
  w.vector('dhGenerator', 'DH generator g', 2);
  w.vector('publicKey', 'DH public value', 2);
  signed(w);
}

const clientKeyExchanges: Record<'ecdhe' | 'dhe' | 'rsa', Layout> = {
  ecdhe: (w) => w.vector('publicKey', 'ECDH public key', 1),
  dhe: (w) => w.vector('publicKey', 'DH public value', 2),
  rsa: (w) => w.vector('encryptedPreMasterSecret', 'Encrypted premaster secret', 2),
};

/** The first layout that reads the whole body without error: for key exchanges whose kind is not known. */
function byShape(body: Uint8Array, base: number, spans: FieldSpan[], candidates: Layout[], fallback: Layout): void {
  for (const layout of candidates) {
    const trial: FieldSpan[] = [];
    const w = new Walker(trial, new ByteReader(body), base);
    try {
      layout(w);
    } catch (e) {
      if (e instanceof TlsDecodeError) continue;
      throw e;
    }
    if (w.remaining === 0) {
      spans.push(...trial);
      return;
    }
  }
  fallback(new Walker(spans, new ByteReader(body), base));
}

function newSessionTicket(w: Walker, tls13: boolean): void {
  w.fixed('lifetimeSeconds', 'Ticket lifetime (4 bytes)', 4);
  if (tls13) {
    w.fixed('ageAdd', 'Ticket age add (4 bytes)', 4);
    w.vector('nonce', 'Ticket nonce', 1);
  }
  w.vector('ticket', 'Ticket', 2);
  if (tls13) extensions(w, {});
}

function layoutBody(type: number, body: Uint8Array, context: LayoutContext, spans: FieldSpan[]): void {
  const w = new Walker(spans, new ByteReader(body), 4);
  const kx = context.keyExchange;
  switch (type) {
    case HandshakeType.ClientHello:
      return clientHello(w);
    case HandshakeType.ServerHello:
      return serverHello(w);
    case HandshakeType.EncryptedExtensions:
      return extensions(w, encryptedExtensionsPaths);
    case HandshakeType.Certificate:
      return certificate(w, context.tls13);
    case HandshakeType.CertificateRequest:
      return certificateRequest(w, context.tls13);
    case HandshakeType.ServerKeyExchange:
      if (kx === 'ecdhe') return ecdheParams(w);
      if (kx === 'dhe') return dheParams(w);
      return byShape(body, 4, spans, [ecdheParams, dheParams], (f) => void f.fixed('params', sized('Key exchange parameters', body.length), body.length));
    case HandshakeType.ClientKeyExchange:
      if (kx === 'ecdhe' || kx === 'dhe' || kx === 'rsa') return clientKeyExchanges[kx](w);
      return byShape(
        body,
        4,
        spans,
        [clientKeyExchanges.ecdhe, (v) => v.vector('exchangeKeys', 'DH public value or encrypted premaster secret', 2)],
        (f) => void f.fixed('exchangeKeys', sized('Exchange keys', body.length), body.length),
      );
    case HandshakeType.CertificateVerify:
      return signed(w);
    case HandshakeType.Finished:
      return void w.fixed('verifyData', sized('Verify data', body.length), body.length);
    case HandshakeType.NewSessionTicket:
      return newSessionTicket(w, context.tls13);
    case HandshakeType.KeyUpdate:
      return void w.fixed('updateRequested', 'Update requested (1 byte)', 1);
    case HandshakeType.ServerHelloDone:
    case HandshakeType.EndOfEarlyData:
      return;
    default:
      return void w.fixed('body', sized('Body', body.length), body.length);
  }
}

/**
 * The byte span of each field of one handshake message (header included; offsets from the start of the header),
 * containers before what they contain. Never throws: malformed or cut-short input gives what could be laid out.
 */
export function handshakeLayout(message: Uint8Array, context: LayoutContext): FieldSpan[] {
  const spans: FieldSpan[] = [];
  const top = new Walker(spans, new ByteReader(message), 0);
  try {
    const header = top.fixed('header', 'Handshake header (type, length)', 4);
    const declared = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
    // Bytes after the declared length belong to no field of this message.
    layoutBody(header[0]!, message.subarray(4, 4 + declared), context, spans);
  } catch (e) {
    if (!(e instanceof TlsDecodeError)) throw e;
  }
  return spans;
}
