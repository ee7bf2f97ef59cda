// The TLS decoder: whole connections (decodeWire: record layer, reassembly, decryption with the session's key log,
// every handshake message) from mutated captures and from generated sessions, and handshake bodies on their own
// (decodeHandshakeBody). The decoder reports what it cannot read in the trace; TlsDecodeError is the only error
// decodeHandshakeBody may throw, and decodeWire throws nothing.

import fc from 'fast-check';
import { TlsDecodeError } from '../../../src/core/tls/byte-reader';
import { decodeHandshakeBody, type HandshakeContext } from '../../../src/core/tls/handshake-messages';
import { KeyLog } from '../../../src/core/tls/key-log';
import { type WireDirection } from '../../../src/core/tls/session-decoder';
import { decodeWire } from '../../../src/core/tls/wire-decoding';
import { applyByteOp, byteOp, fuzzBytes, repeatTo, type FuzzTarget } from '../engine';
import { captures, certificateDers, pemDers, pkiFile } from '../seeds';

// ---- the framing of a session as bytes ----------------------------------------------------------------------
// u16 key log length, the key log (latin1), then chunks: u8 direction (bit 0: 1 = in), u24 length, the bytes.

export interface Session {
  keyLog: string;
  chunks: Array<{ dir: WireDirection; data: Buffer }>;
}

export function frameSession(session: Session): Buffer {
  const keyLog = Buffer.from(session.keyLog, 'latin1').subarray(0, 0xffff);
  const parts: Buffer[] = [Buffer.from([keyLog.length >> 8, keyLog.length & 0xff]), keyLog];
  for (const chunk of session.chunks) {
    const data = chunk.data.subarray(0, 0xffffff);
    parts.push(Buffer.from([chunk.dir === 'in' ? 1 : 0, data.length >> 16, (data.length >> 8) & 0xff, data.length & 0xff]), data);
  }
  return Buffer.concat(parts);
}

/** Reads a framed session; lengths that run past the end take what is there. */
export function unframeSession(bytes: Buffer): Session {
  const keyLogLength = bytes.length >= 2 ? bytes.readUInt16BE(0) : 0;
  const keyLog = bytes.subarray(2, 2 + keyLogLength).toString('latin1');
  const chunks: Session['chunks'] = [];
  for (let i = 2 + keyLogLength; i + 4 <= bytes.length; ) {
    const length = bytes.readUIntBE(i + 1, 3);
    chunks.push({ dir: (bytes[i]! & 1) === 1 ? 'in' : 'out', data: bytes.subarray(i + 4, i + 4 + length) });
    i += 4 + length;
  }
  return { keyLog, chunks };
}

const notableEvents = new Set(['not_tls', 'truncated_record', 'encrypted_record', 'decode_error', 'alert', 'change_cipher_spec', 'application_data']);

/** Decodes a framed session; the outcome names the notable kinds of event it produced. */
export function decodeSession(bytes: Buffer): string {
  const session = unframeSession(bytes);
  const keyLog = new KeyLog();
  for (const line of session.keyLog.split('\n')) keyLog.add(line);
  let t = 0;
  const { events, state } = decodeWire(session.chunks.map((c) => ({ dir: c.dir, t: (t += 0.25), data: c.data })), keyLog);
  const kinds = new Set<string>();
  for (const event of events) {
    if (notableEvents.has(event.event)) kinds.add(event.event);
    if (event.event === 'handshake' && event.detail?.error !== undefined) kinds.add('handshake_error');
    if (event.event === 'handshake' && event.detail?.encrypted === true && event.detail.decrypted !== false) kinds.add('decrypted');
  }
  if (state.version !== null) kinds.add(state.version);
  return kinds.size === 0 ? 'quiet' : [...kinds].sort().join('+');
}

// ---- building TLS structures ----------------------------------------------------------------------------------

function u8(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}
function u16(n: number): Buffer {
  return Buffer.from([(n >> 8) & 0xff, n & 0xff]);
}
function u24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}
function vec(prefix: 1 | 2 | 3, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([prefix === 1 ? u8(body.length) : prefix === 2 ? u16(body.length) : u24(body.length), body]);
}
export function handshake(type: number, body: Buffer): Buffer {
  return Buffer.concat([u8(type), u24(body.length), body]);
}
export function record(type: number, fragment: Buffer, version = 0x0303): Buffer {
  return Buffer.concat([u8(type), u16(version), u16(fragment.length), fragment]);
}
function extension(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vec(2, data)]);
}

const tls12Suites = [0xc02f, 0xc030, 0xcca8, 0xcca9, 0xc02b, 0x009c, 0xc013];
const tls13SuiteCodes = [0x1301, 0x1302, 0x1303];
const helloRetryRandom = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

const bytesOf = (max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const random32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));

const clientExtension = fc.oneof(
  fc.string({ maxLength: 20 }).map((name) => extension(0, vec(2, u8(0), vec(2, Buffer.from(name))))),
  fc.array(fc.constantFrom('h2', 'http/1.1', ''), { maxLength: 3 }).map((names) => extension(16, vec(2, ...names.map((n) => vec(1, Buffer.from(n)))))),
  fc.array(fc.constantFrom(0x0304, 0x0303, 0x0302, 0x7a7a), { maxLength: 4 }).map((v) => extension(43, vec(1, ...v.map(u16)))),
  fc.array(fc.constantFrom(0x001d, 0x0017, 0x0018), { maxLength: 3 }).map((g) => extension(10, vec(2, ...g.map(u16)))),
  fc.array(fc.constantFrom(0x0403, 0x0804, 0x0401, 0x0201), { maxLength: 4 }).map((s) => extension(13, vec(2, ...s.map(u16)))),
  fc.array(fc.tuple(fc.constantFrom(0x001d, 0x0017), bytesOf(65)), { maxLength: 2 }).map((shares) => extension(51, vec(2, ...shares.map(([g, k]) => Buffer.concat([u16(g), vec(2, k)]))))),
  fc.constant(extension(49, Buffer.alloc(0))),
  fc.tuple(fc.nat(0xffff), bytesOf(24)).map(([type, data]) => extension(type, data)),
);

const clientHello = fc
  .record({ version: fc.constantFrom(0x0303, 0x0301, 0x0304), random: random32, session: bytesOf(32), suites: fc.array(fc.constantFrom(...tls12Suites, ...tls13SuiteCodes, 0x00ff), { maxLength: 8 }), exts: fc.array(clientExtension, { maxLength: 8 }) })
  .map((h) => ({ random: h.random, message: handshake(1, Buffer.concat([u16(h.version), h.random, vec(1, h.session), vec(2, ...h.suites.map(u16)), vec(1, u8(0)), vec(2, ...h.exts)])) }));

const serverHello = fc
  .record({
    tls13: fc.boolean(),
    retry: fc.nat(7),
    random: random32,
    suite: fc.oneof(fc.constantFrom(...tls12Suites, ...tls13SuiteCodes), fc.nat(0xffff)),
    alpn: fc.constantFrom(null, 'h2', 'http/1.1'),
    extra: fc.array(fc.tuple(fc.nat(0xffff), bytesOf(8)), { maxLength: 2 }),
  })
  .map((h) => {
    const exts: Buffer[] = [];
    if (h.tls13) exts.push(extension(43, u16(0x0304)), extension(51, Buffer.concat([u16(0x001d), vec(2, Buffer.alloc(32, 7))])));
    if (h.alpn !== null) exts.push(extension(16, vec(2, vec(1, Buffer.from(h.alpn)))));
    for (const [type, data] of h.extra) exts.push(extension(type, data));
    const random = h.retry === 0 ? helloRetryRandom : h.random;
    return { random, suite: h.suite, tls13: h.tls13, message: handshake(2, Buffer.concat([u16(0x0303), random, vec(1, Buffer.alloc(32, 1)), u16(h.suite), u8(0), vec(2, ...exts)])) };
  });

function names(): Buffer[] {
  // The subject Name of each corpus certificate: TBSCertificate's sixth field.
  return certificateDers().slice(0, 4).map((der) => {
    let i = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2; // into Certificate
    i += der[i + 1]! & 0x80 ? 2 + (der[i + 1]! & 0x7f) : 2; // into TBSCertificate
    const fields: Buffer[] = [];
    while (fields.length < 6 && i < der.length) {
      const lenByte = der[i + 1]!;
      const headerLength = lenByte & 0x80 ? 2 + (lenByte & 0x7f) : 2;
      const length = lenByte & 0x80 ? der.readUIntBE(i + 2, lenByte & 0x7f) : lenByte;
      fields.push(der.subarray(i, i + headerLength + length));
      i += headerLength + length;
    }
    return fields[5] ?? Buffer.alloc(0);
  });
}

/** A message of any type, for either side: the fields a decoder reads, from real certificates and names. */
function anyMessage(): fc.Arbitrary<Buffer> {
  const ders = certificateDers();
  const dns = names();
  const der = fc.oneof(fc.constantFrom(...ders), bytesOf(64));
  const dn = fc.oneof(fc.constantFrom(...dns), bytesOf(16));
  return fc.oneof(
    clientHello.map((h) => h.message),
    serverHello.map((h) => h.message),
    fc.record({ tls13: fc.boolean(), certs: fc.array(der, { maxLength: 3 }) }).map(({ tls13, certs }) =>
      handshake(11, tls13 ? Buffer.concat([vec(1), vec(3, ...certs.map((c) => Buffer.concat([vec(3, c), vec(2)])))]) : vec(3, ...certs.map((c) => vec(3, c)))),
    ),
    fc.record({ tls13: fc.boolean(), authorities: fc.array(dn, { maxLength: 3 }) }).map(({ tls13, authorities }) =>
      handshake(
        13,
        tls13
          ? Buffer.concat([vec(1), vec(2, extension(13, vec(2, u16(0x0403), u16(0x0804))), extension(47, vec(2, ...authorities.map((a) => vec(2, a)))))])
          : Buffer.concat([vec(1, u8(1), u8(64)), vec(2, u16(0x0403)), vec(2, ...authorities.map((a) => vec(2, a)))]),
      ),
    ),
    fc.tuple(fc.constantFrom(3, 1), bytesOf(65), bytesOf(72)).map(([curveType, key, sig]) => handshake(12, Buffer.concat([u8(curveType), u16(0x001d), vec(1, key), u16(0x0403), vec(2, sig)]))),
    bytesOf(65).map((key) => handshake(16, vec(1, key))),
    bytesOf(72).map((sig) => handshake(15, Buffer.concat([u16(0x0403), vec(2, sig)]))),
    bytesOf(48).map((v) => handshake(20, v)),
    fc.tuple(bytesOf(8), bytesOf(64)).map(([nonce, ticket]) => handshake(4, Buffer.concat([Buffer.alloc(8), vec(1, nonce), vec(2, ticket), vec(2)]))),
    fc.nat(2).map((r) => handshake(24, u8(r))),
    fc.constant(handshake(14, Buffer.alloc(0))),
    fc.constant(handshake(8, vec(2, extension(16, vec(2, vec(1, Buffer.from('h2'))))))),
    fc.tuple(fc.nat(255), bytesOf(32)).map(([type, body]) => handshake(type, body)),
  );
}

/** Handshake bytes cut into records: one message per record, several in one, or a message across records. */
function recordsOf(messages: Buffer, cut: number): Buffer[] {
  const size = cut === 0 ? 16384 : cut;
  const out: Buffer[] = [];
  for (let i = 0; i < messages.length; i += size) out.push(record(22, messages.subarray(i, i + size)));
  return out;
}

/** A generated connection: hellos, then any messages, alerts, ChangeCipherSpec and (undecryptable) protected records. */
function generatedSession(): fc.Arbitrary<Buffer> {
  const step = fc.oneof(
    { arbitrary: fc.tuple(fc.constantFrom<WireDirection>('out', 'in'), fc.array(anyMessage(), { minLength: 1, maxLength: 3 }), fc.nat(40)).map(([dir, msgs, cut]) => recordsOf(Buffer.concat(msgs), cut).map((data) => ({ dir, data }))), weight: 4 },
    { arbitrary: fc.tuple(fc.constantFrom<WireDirection>('out', 'in'), bytesOf(5)).map(([dir, data]) => [{ dir, data: record(21, data) }]), weight: 1 },
    { arbitrary: fc.constantFrom<WireDirection>('out', 'in').map((dir) => [{ dir, data: record(20, u8(1)) }]), weight: 1 },
    { arbitrary: fc.tuple(fc.constantFrom<WireDirection>('out', 'in'), fc.constantFrom(22, 23, 21), bytesOf(40)).map(([dir, type, data]) => [{ dir, data: record(type, data) }]), weight: 2 },
    { arbitrary: fc.tuple(fc.constantFrom<WireDirection>('out', 'in'), bytesOf(12)).map(([dir, data]) => [{ dir, data }]), weight: 1 },
  );
  return fc
    .record({
      client: clientHello,
      server: serverHello,
      steps: fc.array(step, { maxLength: 10 }),
      secretLength: fc.constantFrom(48, 32, 0, 1),
      labels: fc.subarray(['CLIENT_RANDOM', 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']),
      ccsEarly: fc.boolean(),
      split: fc.nat(7),
    })
    .map((s) => {
      const random = s.client.random.toString('hex');
      const secret = Buffer.alloc(s.secretLength, 0x5a).toString('hex');
      const keyLog = s.labels.map((label) => `${label} ${random} ${secret}`).join('\n');
      const chunks: Session['chunks'] = [
        { dir: 'out', data: record(22, s.client.message) },
        { dir: 'in', data: record(22, s.server.message) },
      ];
      if (s.ccsEarly) chunks.push({ dir: 'out', data: record(20, u8(1)) }, { dir: 'in', data: record(20, u8(1)) });
      for (const group of s.steps) chunks.push(...group);
      // Some sessions arrive a few bytes per read.
      const split = s.split === 0 ? chunks.flatMap((c) => [...Array(Math.ceil(c.data.length / 3)).keys()].map((i) => ({ dir: c.dir, data: c.data.subarray(i * 3, i * 3 + 3) }))) : chunks;
      return frameSession({ keyLog, chunks: split });
    });
}

/** Captures with their chunks mutated (a chunk's bytes, the cut between chunks, the key log). */
function mutatedCapture(): fc.Arbitrary<Buffer> {
  const all = captures();
  const seedChunks = all.flatMap((c) => c.chunks.map((k) => k.data));
  const tokens = [record(21, Buffer.from([2, 40])), record(20, u8(1)), record(22, handshake(14, Buffer.alloc(0))), Buffer.from([22, 3, 3, 0xff, 0xff]), Buffer.from([23, 3, 3, 0, 0])];
  return fc
    .record({
      capture: fc.nat(all.length - 1),
      edits: fc.array(fc.record({ chunk: fc.nat(), op: byteOp(tokens.length) }), { minLength: 1, maxLength: 6 }),
      rechunk: fc.constantFrom(0, 0, 0, 1, 2, 5, 7, 64, 300),
      dropKeyLog: fc.nat(5),
      keyLogEdit: fc.option(byteOp(0), { nil: undefined }),
    })
    .map((m) => {
      const capture = all[m.capture]!;
      const chunks = capture.chunks.map((c) => ({ dir: c.dir, data: c.data }));
      for (const { chunk, op } of m.edits) {
        const target = chunks[chunk % chunks.length]!;
        target.data = applyByteOp(target.data, op, seedChunks, tokens);
      }
      const cut = m.rechunk === 0 ? chunks : chunks.flatMap((c) => [...Array(Math.max(1, Math.ceil(c.data.length / m.rechunk))).keys()].map((i) => ({ dir: c.dir, data: c.data.subarray(i * m.rechunk, (i + 1) * m.rechunk) })));
      let keyLog = m.dropKeyLog === 0 ? '' : capture.keyLog;
      if (m.keyLogEdit !== undefined) keyLog = applyByteOp(Buffer.from(keyLog, 'latin1'), m.keyLogEdit, [], []).toString('latin1');
      return frameSession({ keyLog, chunks: cut });
    });
}

// ---- worst-case shapes --------------------------------------------------------------------------------------------

/** A ClientHello claiming 16 MB, its body sent in full-size records: reassembly over many records. */
function hugeHandshake(bytes: number): Buffer {
  const chunks: Session['chunks'] = [{ dir: 'out', data: record(22, Buffer.concat([u8(1), u24(0xffffff), Buffer.alloc(16380)])) }];
  for (let total = 16389; total < bytes; total += 16389) chunks.push({ dir: 'out', data: record(22, Buffer.alloc(16384, 0x41)) });
  return frameSession({ keyLog: '', chunks });
}

/** The same, one byte of handshake per record. */
function oneByteRecords(bytes: number): Buffer {
  const records = [record(22, Buffer.concat([u8(11), u24(0xffffff)]))];
  for (let total = 9; total < bytes; total += 6) records.push(record(22, Buffer.from([0x30])));
  return frameSession({ keyLog: '', chunks: [{ dir: 'in', data: Buffer.concat(records) }] });
}

/** Every byte of a handshake message in its own record, its header too. */
function oneByteRecordsFromTheHeader(bytes: number): Buffer {
  const message = Buffer.concat([u8(11), u24(0xffffff)]);
  const records = [...message].map((b) => record(22, Buffer.from([b])));
  for (let total = 24; total < bytes; total += 6) records.push(record(22, Buffer.from([0x30])));
  return frameSession({ keyLog: '', chunks: [{ dir: 'in', data: Buffer.concat(records) }] });
}

/** Full-size application-data records read one byte at a time. */
function byteByByte(bytes: number): Buffer {
  const records: Buffer[] = [record(22, handshake(1, Buffer.alloc(60)))];
  for (let total = 69; total < bytes; total += 16389) records.push(record(23, Buffer.alloc(16384, 0x17)));
  // Each byte is framed as its own 5-byte read: `bytes` of input carry a fifth as many bytes of stream.
  const stream = Buffer.concat(records).subarray(0, Math.ceil(bytes / 5));
  return frameSession({ keyLog: '', chunks: [...stream].map((b) => ({ dir: 'out' as const, data: Buffer.from([b]) })) });
}

export const tlsSessionTarget: FuzzTarget = {
  name: 'tls-session',
  description: 'decodeWire over captured sessions (mutated bytes, re-cut reads, damaged key logs) and generated ones (any message, alerts, CCS, protected records, a key log for the randoms)',
  weight: 30,
  input: fc.oneof({ arbitrary: mutatedCapture(), weight: 1 }, { arbitrary: generatedSession(), weight: 1 }),
  run: decodeSession,
  coded: [],
  shapes: [
    { name: 'huge handshake length over full records', make: hugeHandshake },
    { name: 'one handshake byte per record', make: oneByteRecords },
    { name: 'one handshake byte per record, header too', make: oneByteRecordsFromTheHeader },
    { name: 'records read one byte at a time', make: byteByByte },
    { name: 'many alerts', make: (bytes) => frameSession({ keyLog: '', chunks: [{ dir: 'in', data: repeatTo(record(21, Buffer.from([1, 0])), bytes) }] }) },
  ],
};

// ---- handshake bodies alone ------------------------------------------------------------------------------------------

const contexts: HandshakeContext[] = [
  { version: null, keyExchange: 'unknown' },
  { version: 0x0303, keyExchange: 'ecdhe' },
  { version: 0x0303, keyExchange: 'dhe' },
  { version: 0x0303, keyExchange: 'rsa' },
  { version: 0x0304, keyExchange: 'tls13' },
];

/** Every plaintext handshake message of the captures, header included. */
function captureMessages(): Buffer[] {
  const out: Buffer[] = [];
  for (const capture of captures()) {
    for (const dir of ['out', 'in'] as const) {
      const stream = Buffer.concat(capture.chunks.filter((c) => c.dir === dir).map((c) => c.data));
      let handshakeBytes = Buffer.alloc(0);
      for (let i = 0; i + 5 <= stream.length; ) {
        const length = stream.readUInt16BE(i + 3);
        if (stream[i] === 22) handshakeBytes = Buffer.concat([handshakeBytes, stream.subarray(i + 5, i + 5 + length)]);
        i += 5 + length;
      }
      for (let i = 0; i + 4 <= handshakeBytes.length; ) {
        const length = handshakeBytes.readUIntBE(i + 1, 3);
        if (i + 4 + length > handshakeBytes.length) break;
        out.push(handshakeBytes.subarray(i, i + 4 + length));
        i += 4 + length;
      }
    }
  }
  return out;
}

/** Input: u8 context index, then a handshake message (type, u24 length, body): the body is what follows the header. */
export function decodeBody(bytes: Buffer): string {
  if (bytes.length < 2) return 'short';
  const ctx = contexts[bytes[0]! % contexts.length]!;
  const type = bytes[1]!;
  const fields = decodeHandshakeBody(type, bytes.subarray(5), ctx);
  return `${type}:${Object.keys(fields).length > 0 ? 'fields' : 'empty'}`;
}

function handshakeSeeds(): Buffer[] {
  const messages = [...captureMessages(), ...fc.sample(anyMessage(), { seed: 1, numRuns: 200 })];
  return messages.flatMap((m) => contexts.map((_, i) => Buffer.concat([u8(i), m])));
}

export const tlsHandshakeTarget: FuzzTarget = {
  name: 'tls-handshake',
  description: 'decodeHandshakeBody on every message type of the captures and generated ones, mutated, in each negotiated context',
  weight: 20,
  input: fuzzBytes(handshakeSeeds(), [u16(0xffff), u24(0xffffff), Buffer.from([0, 0]), vec(2, u16(0x0403))]),
  run: decodeBody,
  coded: [TlsDecodeError],
  shapes: [
    { name: 'cipher suite list', make: (bytes) => Buffer.concat([u8(0), u8(1), u24(0), u16(0x0303), Buffer.alloc(32), u8(0), vec(2, repeatTo(u16(0x1301), Math.min(0xfffe, bytes)))]) },
    { name: 'certificate list of tiny entries', make: (bytes) => { const list = repeatTo(vec(3, Buffer.from([0x30, 0])), bytes); return Buffer.concat([u8(1), u8(11), u24(0), u24(list.length), list]); } },
    { name: 'CA names', make: (bytes) => Buffer.concat([u8(1), u8(13), u24(0), vec(1, u8(1)), vec(2, u16(0x0403)), vec(2, repeatTo(vec(2, pemDers(pkiFile('p256/root-ca.pem'))[0]!.subarray(0, 40)), Math.min(0xfff0, bytes)))]) },
  ],
};
