import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatDistinguishedName } from '../../src/core/certs/distinguished-name';
import type { ByteSpan } from '../../src/core/timeline/model';
import { handshakeLayout, type LayoutContext } from '../../src/core/tls/handshake-layout';
import { KeyLog } from '../../src/core/tls/key-log';
import { type WireDirection } from '../../src/core/tls/session-decoder';
import { decodeWire } from '../../src/core/tls/wire-decoding';
import { rfc8448 } from '../fixtures/rfc8448-vectors';

interface Capture {
  keyLog: string;
  chunks: Array<{ t: number; dir: WireDirection; hex: string }>;
}

/** One decoded handshake message: its bytes as the trace carries them and the decoder's fields. */
interface Message {
  source: string;
  name: string;
  tls13: boolean;
  bytes: Buffer;
  fields: Record<string, unknown>;
}

const capturesDir = new URL('../fixtures/captures/', import.meta.url);

function messagesOf(source: string, chunks: Array<{ t: number; dir: WireDirection; data: Buffer }>, keyLog: KeyLog): Message[] {
  return decodeWire(chunks, keyLog)
    .events.filter((e) => e.event === 'handshake' && typeof e.detail?.bytes === 'string')
    .map((e) => ({
      source,
      name: String(e.detail!.name),
      tls13: e.detail!.version === 'TLSv1.3',
      bytes: Buffer.from(String(e.detail!.bytes), 'base64'),
      fields: (e.detail!.fields ?? {}) as Record<string, unknown>,
    }));
}

function captureMessages(): Message[] {
  const out: Message[] = [];
  for (const file of readdirSync(capturesDir).filter((f) => f.endsWith('.json'))) {
    const capture = JSON.parse(readFileSync(new URL(file, capturesDir), 'utf8')) as Capture;
    const keyLog = new KeyLog();
    for (const line of capture.keyLog.split('\n')) keyLog.add(line);
    const chunks = capture.chunks.map((c) => ({ t: c.t, dir: c.dir, data: Buffer.from(c.hex, 'hex') }));
    out.push(...messagesOf(file, chunks, keyLog));
  }
  return out;
}

function record(type: number, payload: Buffer): Buffer {
  const header = Buffer.from([type, 3, 3, 0, 0]);
  header.writeUInt16BE(payload.length, 3);
  return Buffer.concat([header, payload]);
}

function rfc8448Messages(): Message[] {
  const clientHello = Buffer.from(rfc8448.clientHello, 'hex');
  const clientRandom = clientHello.subarray(6, 38).toString('hex');
  const keyLog = new KeyLog();
  keyLog.add(`CLIENT_HANDSHAKE_TRAFFIC_SECRET ${clientRandom} ${rfc8448.clientHandshakeTrafficSecret}`);
  keyLog.add(`SERVER_HANDSHAKE_TRAFFIC_SECRET ${clientRandom} ${rfc8448.serverHandshakeTrafficSecret}`);
  const chunks = [
    { t: 1, dir: 'out' as const, data: record(22, clientHello) },
    { t: 2, dir: 'in' as const, data: Buffer.concat([record(22, Buffer.from(rfc8448.serverHello, 'hex')), Buffer.from(rfc8448.serverHandshakeRecord, 'hex')]) },
    { t: 3, dir: 'out' as const, data: Buffer.from(rfc8448.clientFinishedRecord, 'hex') },
  ];
  return messagesOf('RFC 8448', chunks, keyLog);
}

const rfcMessages = rfc8448Messages();
const capturedMessages = captureMessages();
const allMessages = [...rfcMessages, ...capturedMessages];

/**
 * Spans lie within the message, are ordered by start, and any two are either disjoint (same level) or one holds
 * the other (a container before its contents): the hex view can nest them.
 */
function assertWellFormed(spans: ByteSpan[], length: number, what: string): void {
  for (const [i, s] of spans.entries()) {
    assert.ok(s.start >= 0 && s.start < s.end && s.end <= length, `${what}: span ${s.path} [${s.start}, ${s.end}) within ${length} bytes`);
    assert.ok(s.path.length > 0 && s.label.length > 0, `${what}: span ${i} is named`);
    for (const later of spans.slice(i + 1)) {
      assert.ok(later.start >= s.start, `${what}: ${later.path} starts before ${s.path}`);
      const disjoint = later.start >= s.end;
      const nested = later.end <= s.end;
      assert.ok(disjoint || nested, `${what}: ${later.path} [${later.start}, ${later.end}) overlaps ${s.path} [${s.start}, ${s.end})`);
    }
  }
}

function spanOf(spans: ByteSpan[], path: string): ByteSpan {
  const span = spans.find((s) => s.path === path);
  assert.ok(span, `a span ${path} among ${spans.map((s) => s.path).join(', ')}`);
  return span;
}

function bytesOf(message: Message, span: ByteSpan): Buffer {
  return message.bytes.subarray(span.start, span.end);
}

function layout(message: Message, context: Partial<LayoutContext> = {}): ByteSpan[] {
  return handshakeLayout(message.bytes, { tls13: message.tls13, ...context });
}

function named(messages: Message[], name: string): Message[] {
  const found = messages.filter((m) => m.name === name);
  assert.ok(found.length > 0, `at least one ${name}`);
  return found;
}

describe('handshake layout on RFC 8448 messages', () => {
  test('every message is laid out within its bytes, in order, nested without overlap', () => {
    assert.deepEqual(
      rfcMessages.map((m) => m.name),
      ['Client hello', 'Server hello', 'Encrypted Extensions', 'Certificate', 'CERT verify', 'Finished', 'Finished'],
    );
    for (const m of rfcMessages) assertWellFormed(layout(m), m.bytes.length, `${m.source} ${m.name}`);
  });

  test('ClientHello: each field and each extension, named after the decoded fields', () => {
    const m = named(rfcMessages, 'Client hello')[0]!;
    const spans = layout(m);
    assert.deepEqual(
      spans.map((s) => [s.path, s.start, s.end]),
      [
        ['header', 0, 4],
        ['legacyVersion', 4, 6],
        ['random', 6, 38],
        ['sessionId', 38, 39],
        ['cipherSuites', 39, 47],
        ['compressionMethods', 47, 49],
        ['extensions', 49, 196],
        ['serverName', 51, 66],
        ['extensions.renegotiation_info', 66, 71],
        ['supportedGroups', 71, 95],
        ['extensions.session_ticket', 95, 99],
        ['keyShareGroups', 99, 141],
        ['supportedVersions', 141, 148],
        ['signatureAlgorithms', 148, 184],
        ['extensions.psk_key_exchange_modes', 184, 190],
        ['extensions.record_size_limit', 190, 196],
      ],
    );
    assert.equal(spans[0]!.label, 'Handshake header (type, length)');
    assert.equal(spanOf(spans, 'random').label, 'Random (32 bytes)');
    assert.equal(spanOf(spans, 'serverName').label, 'Extension server_name (15 bytes)');
    assert.equal(bytesOf(m, spanOf(spans, 'random')).toString('hex'), m.fields.random);
    assert.ok(bytesOf(m, spanOf(spans, 'serverName')).includes(Buffer.from('server')));
  });

  test('ServerHello (TLS 1.3): supported_versions is the version, key_share the group', () => {
    const m = named(rfcMessages, 'Server hello')[0]!;
    const spans = layout(m);
    assert.deepEqual(
      spans.map((s) => s.path),
      ['header', 'legacyVersion', 'random', 'sessionId', 'cipherSuite', 'compressionMethod', 'extensions', 'keyShareGroup', 'version'],
    );
    assert.equal(bytesOf(m, spanOf(spans, 'cipherSuite')).toString('hex'), '1301');
    assert.equal(bytesOf(m, spanOf(spans, 'version')).toString('hex'), '002b00020304');
  });

  test('the decrypted server flight: EncryptedExtensions, Certificate, CertificateVerify, Finished', () => {
    const ee = named(rfcMessages, 'Encrypted Extensions')[0]!;
    assert.deepEqual(
      layout(ee).map((s) => s.path),
      ['header', 'extensions', 'extensions.supported_groups', 'extensions.record_size_limit', 'serverNameAcknowledged'],
    );
    const cert = named(rfcMessages, 'Certificate')[0]!;
    const certSpans = layout(cert);
    assert.deepEqual(
      certSpans.map((s) => s.path),
      ['header', 'context', 'certificates', 'certificates[0]', 'certificates[0].extensions'],
    );
    const summaries = cert.fields.certificates as Array<{ sha256: string }>;
    assert.equal(createHash('sha256').update(bytesOf(cert, spanOf(certSpans, 'certificates[0]'))).digest('hex'), summaries[0]!.sha256);
    const verify = named(rfcMessages, 'CERT verify')[0]!;
    const verifySpans = layout(verify);
    assert.deepEqual(verifySpans.map((s) => s.path), ['header', 'signatureAlgorithm', 'signature']);
    assert.equal(bytesOf(verify, spanOf(verifySpans, 'signatureAlgorithm')).toString('hex'), '0804');
    assert.equal(verifySpans.at(-1)!.end, verify.bytes.length);
    for (const finished of named(rfcMessages, 'Finished')) {
      const spans = layout(finished);
      assert.deepEqual(spans.map((s) => [s.path, s.start, s.end]), [['header', 0, 4], ['verifyData', 4, 36]]);
    }
  });
});

describe('handshake layout on captured sessions', () => {
  test('every message of every capture is laid out within its bytes, in order, nested without overlap', () => {
    assert.ok(capturedMessages.length >= 30);
    for (const m of capturedMessages) {
      const spans = layout(m);
      assertWellFormed(spans, m.bytes.length, `${m.source} ${m.name}`);
      assert.equal(spans[0]?.path, 'header');
    }
  });

  test('ClientHello: random is the decoded random, serverName holds the SNI, paths are decoded field names', () => {
    for (const m of named(capturedMessages, 'Client hello')) {
      const spans = layout(m);
      assert.equal(bytesOf(m, spanOf(spans, 'random')).toString('hex'), m.fields.random);
      assert.ok(bytesOf(m, spanOf(spans, 'serverName')).includes(Buffer.from(String(m.fields.serverName))), m.source);
      assert.equal(bytesOf(m, spanOf(spans, 'cipherSuites')).length, 2 + 2 * (m.fields.cipherSuites as string[]).length);
      for (const s of spans) {
        const known = s.path in m.fields || ['header', 'sessionId', 'extensions'].includes(s.path) || s.path.startsWith('extensions.');
        assert.ok(known, `${m.source}: ${s.path} names a decoded field`);
      }
      const extensionSpans = spans.filter((s) => s.label.startsWith('Extension '));
      assert.equal(extensionSpans.length, (m.fields.extensions as unknown[]).length);
    }
  });

  test('ServerHello: TLS 1.2 and TLS 1.3 shapes', () => {
    for (const m of named(capturedMessages, 'Server hello')) {
      const spans = layout(m);
      assert.equal(bytesOf(m, spanOf(spans, 'random')).toString('hex'), m.fields.random);
      assert.equal(bytesOf(m, spanOf(spans, 'cipherSuite')).readUInt16BE(0), m.fields.cipherSuiteCode);
      if (m.tls13) {
        assert.equal(bytesOf(m, spanOf(spans, 'version')).readUInt16BE(4), 0x0304);
        spanOf(spans, 'keyShareGroup');
      }
    }
  });

  test('Certificate: each certificates[i] span is the DER whose SHA-256 the decoder reported', () => {
    let checked = 0;
    for (const m of named(capturedMessages, 'Certificate')) {
      const spans = layout(m);
      spanOf(spans, 'certificates');
      const summaries = m.fields.certificates as Array<{ sha256: string }>;
      for (const [i, summary] of summaries.entries()) {
        assert.equal(createHash('sha256').update(bytesOf(m, spanOf(spans, `certificates[${i}]`))).digest('hex'), summary.sha256);
        if (m.tls13) spanOf(spans, `certificates[${i}].extensions`);
        checked++;
      }
      assert.equal(spans.filter((s) => /^certificates\[\d+\]$/.test(s.path)).length, summaries.length);
    }
    assert.ok(checked >= 6);
  });

  test('CertificateRequest: TLS 1.2 lists and TLS 1.3 extensions lead to the same field names', () => {
    const requests = named(capturedMessages, 'Request CERT');
    assert.ok(requests.some((m) => m.tls13) && requests.some((m) => !m.tls13));
    for (const m of requests) {
      const spans = layout(m);
      const authorities = m.fields.authorities as string[];
      spanOf(spans, 'authorities');
      for (const [i, name] of authorities.entries()) assert.equal(formatDistinguishedName(bytesOf(m, spanOf(spans, `authorities[${i}]`))), name);
      const algorithms = bytesOf(m, spanOf(spans, 'signatureAlgorithms'));
      // TLS 1.3 wraps the list in an extension header (4 bytes) before its own 2-byte length.
      assert.equal(algorithms.length, (m.tls13 ? 6 : 2) + 2 * (m.fields.signatureAlgorithms as string[]).length);
      if (m.tls13) spanOf(spans, 'context');
      else assert.equal(bytesOf(m, spanOf(spans, 'certificateTypes')).length, 1 + (m.fields.certificateTypes as string[]).length);
    }
  });

  test('key exchanges: ECDHE parameters recognised with or without the negotiated key exchange', () => {
    for (const m of named(capturedMessages, 'Server key exchange')) {
      for (const spans of [layout(m), layout(m, { keyExchange: 'ecdhe' })]) {
        assert.deepEqual(spans.map((s) => s.path), ['header', 'curveType', 'namedGroup', 'publicKey', 'signatureAlgorithm', 'signature']);
        assert.equal(bytesOf(m, spanOf(spans, 'publicKey')).length, 1 + Number(m.fields.publicKeyLength));
        assert.equal(bytesOf(m, spanOf(spans, 'signature')).length, 2 + Number(m.fields.signatureLength));
        assert.equal(spans.at(-1)!.end, m.bytes.length);
      }
    }
    for (const m of named(capturedMessages, 'Client key exchange')) {
      for (const spans of [layout(m), layout(m, { keyExchange: 'ecdhe' })]) {
        assert.deepEqual(spans.map((s) => [s.path, s.start, s.end]), [['header', 0, 4], ['publicKey', 4, m.bytes.length]]);
      }
    }
  });

  test('Finished, CertificateVerify and the TLS 1.2 NewSessionTicket', () => {
    for (const m of named(capturedMessages, 'Finished')) {
      assert.equal(bytesOf(m, spanOf(layout(m), 'verifyData')).length, m.fields.verifyDataLength);
    }
    for (const m of named(capturedMessages, 'CERT verify')) {
      assert.equal(bytesOf(m, spanOf(layout(m), 'signature')).length, 2 + Number(m.fields.signatureLength));
    }
    for (const m of named(capturedMessages, 'Newsession Ticket')) {
      const spans = layout(m);
      assert.deepEqual(spans.map((s) => s.path), ['header', 'lifetimeSeconds', 'ticket']);
      assert.equal(bytesOf(m, spanOf(spans, 'lifetimeSeconds')).readUInt32BE(0), m.fields.lifetimeSeconds);
    }
  });
});

describe('handshake layout on built messages', () => {
  function message(type: number, body: Buffer): Buffer {
    return Buffer.concat([Buffer.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  }

  test('TLS 1.3 NewSessionTicket and KeyUpdate', () => {
    const ticket = Buffer.concat([
      Buffer.from('00001c20', 'hex'), // lifetime 7200 s
      Buffer.from('01020304', 'hex'), // age add
      Buffer.from('0100', 'hex'), // nonce: 1 byte
      Buffer.from('0003aabbcc', 'hex'), // ticket: 3 bytes
      Buffer.from('0008002a000400004000', 'hex'), // extensions: early_data
    ]);
    const spans = handshakeLayout(message(4, ticket), { tls13: true });
    assert.deepEqual(
      spans.map((s) => [s.path, s.start, s.end]),
      [
        ['header', 0, 4],
        ['lifetimeSeconds', 4, 8],
        ['ageAdd', 8, 12],
        ['nonce', 12, 14],
        ['ticket', 14, 19],
        ['extensions', 19, 29],
        ['extensions.early_data', 21, 29],
      ],
    );
    assert.deepEqual(handshakeLayout(message(24, Buffer.from([1])), { tls13: true }).map((s) => s.path), ['header', 'updateRequested']);
  });

  test('a HelloRetryRequest is a ServerHello with the special random, and says so', () => {
    const hrr = Buffer.concat([
      Buffer.from('0303', 'hex'),
      Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'),
      Buffer.from('00130100', 'hex'),
      Buffer.from('000c002b00020304003300020017', 'hex'),
    ]);
    const spans = handshakeLayout(message(2, hrr), { tls13: false });
    assert.deepEqual(spans.map((s) => s.path).slice(-3), ['extensions', 'version', 'keyShareGroup']);
    assert.match(spanOf(spans, 'random').label, /HelloRetryRequest/);
  });

  test('a cut-short ClientHello keeps the fields it has and shows the last one up to the end', () => {
    const full = Buffer.from(rfc8448.clientHello, 'hex');
    const cut = full.subarray(0, 60);
    const spans = handshakeLayout(cut, { tls13: false });
    assertWellFormed(spans, cut.length, 'cut ClientHello');
    assert.deepEqual(spans.map((s) => s.path), ['header', 'legacyVersion', 'random', 'sessionId', 'cipherSuites', 'compressionMethods', 'extensions', 'serverName']);
    assert.deepEqual([spanOf(spans, 'extensions').end, spanOf(spans, 'serverName').end], [60, 60]);
    assert.match(spanOf(spans, 'extensions').label, /truncated/);
    assert.deepEqual(handshakeLayout(full.subarray(0, 2), { tls13: false }), [{ path: 'header', label: 'Handshake header (type, length) (truncated)', start: 0, end: 2 }]);
    assert.deepEqual(handshakeLayout(new Uint8Array(0), { tls13: false }), []);
  });

  test('a malformed extension does not hide the extensions after it', () => {
    // certificate_authorities whose list length overruns the extension, then signature_algorithms.
    const body = Buffer.concat([Buffer.from('00', 'hex'), Buffer.from('000e', 'hex'), Buffer.from('002f00020009', 'hex'), Buffer.from('000d000400020403', 'hex')]);
    const spans = handshakeLayout(message(13, body), { tls13: true });
    assertWellFormed(spans, 4 + body.length, 'malformed CertificateRequest');
    assert.deepEqual(spans.map((s) => s.path), ['header', 'context', 'extensions', 'authorities', 'signatureAlgorithms']);
  });
});

describe('handshake layout never throws', () => {
  test('every prefix of every real message', () => {
    for (const m of allMessages) {
      for (let n = 0; n <= m.bytes.length; n++) {
        const cut = m.bytes.subarray(0, n);
        assertWellFormed(handshakeLayout(cut, { tls13: m.tls13 }), n, `${m.source} ${m.name} cut at ${n}`);
      }
    }
  });

  test('random bytes under every handshake type and context', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20, 22, 24, 99),
        fc.uint8Array({ maxLength: 400 }),
        fc.boolean(),
        fc.constantFrom(undefined, 'ecdhe', 'dhe', 'rsa', 'unknown'),
        (type, body, tls13, keyExchange) => {
          const bytes = Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);
          const context: LayoutContext = keyExchange === undefined ? { tls13 } : { tls13, keyExchange };
          assertWellFormed(handshakeLayout(bytes, context), bytes.length, `type ${type}`);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('real messages with one byte changed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...allMessages), fc.nat(), fc.integer({ min: 1, max: 255 }), (m, position, xor) => {
        const bytes = Buffer.from(m.bytes);
        bytes[position % bytes.length]! ^= xor;
        assertWellFormed(handshakeLayout(bytes, { tls13: m.tls13 }), bytes.length, `${m.source} ${m.name} changed at ${position % bytes.length}`);
      }),
      { numRuns: 1000 },
    );
  });
});
