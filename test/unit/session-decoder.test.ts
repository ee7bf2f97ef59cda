import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { generateTestPki } from '../../src/core/pki/test-pki';
import { KeyLog } from '../../src/core/tls/key-log';
import { TlsSessionDecoder, type WireDirection } from '../../src/core/tls/session-decoder';
import { WireDecoding, decodeWire } from '../../src/core/tls/wire-decoding';
import type { TraceEvent } from '../../src/core/trace';
import { rfc8448 } from '../fixtures/rfc8448-vectors';

interface Chunk {
  t: number;
  dir: WireDirection;
  data: Buffer;
}

interface Capture {
  description: string;
  keyLog: string;
  chunks: Array<{ t: number; dir: WireDirection; hex: string }>;
}

function loadCapture(name: string): { chunks: Chunk[]; keyLog: KeyLog } {
  const capture = JSON.parse(readFileSync(new URL(`../fixtures/captures/${name}.json`, import.meta.url), 'utf8')) as Capture;
  const keyLog = new KeyLog();
  for (const line of capture.keyLog.split('\n')) keyLog.add(line);
  return { chunks: capture.chunks.map((c) => ({ t: c.t, dir: c.dir, data: Buffer.from(c.hex, 'hex') })), keyLog };
}

function record(type: number, payload: Buffer, version = 0x0303): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeUInt16BE(version, 1);
  header.writeUInt16BE(payload.length, 3);
  return Buffer.concat([header, payload]);
}

/** Re-cuts a byte stream into chunks of `size` bytes (a record or a message split across TCP reads). */
function rechunk(chunks: Chunk[], size: number): Chunk[] {
  const out: Chunk[] = [];
  for (const c of chunks) for (let i = 0; i < c.data.length; i += size) out.push({ t: c.t, dir: c.dir, data: c.data.subarray(i, i + size) });
  return out;
}

/** Parses the records of one chunk list's direction into [type, payload] pairs. */
function records(data: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  for (let i = 0; i + 5 <= data.length; ) {
    const len = data.readUInt16BE(i + 3);
    out.push([data[i]!, data.subarray(i + 5, i + 5 + len)]);
    i += 5 + len;
  }
  return out;
}

/** Re-frames the plaintext handshake bytes of a direction into records of at most `fragment` bytes. */
function reframeHandshake(chunk: Chunk, fragment: number): Chunk {
  const parts: Buffer[] = [];
  let pending: Buffer[] = [];
  const flush = (): void => {
    const all = Buffer.concat(pending);
    for (let i = 0; i < all.length; i += fragment) parts.push(record(22, all.subarray(i, i + fragment)));
    pending = [];
  };
  for (const [type, payload] of records(chunk.data)) {
    if (type === 22) pending.push(payload);
    else {
      flush();
      parts.push(record(type, payload));
    }
  }
  flush();
  return { ...chunk, data: Buffer.concat(parts) };
}

function handshakeNames(events: TraceEvent[]): string[] {
  return events.filter((e) => e.event === 'handshake').map((e) => `${e.dir} ${e.detail?.name}`);
}

function withoutTimes(events: TraceEvent[]): unknown[] {
  return events.map(({ t: _t, ...rest }) => rest);
}

/** Without times and without the framing record's own fields, which re-framing changes on purpose. */
function withoutFraming(events: TraceEvent[]): unknown[] {
  return events.map(({ t: _t, detail, ...rest }) => ({ ...rest, detail: { ...detail, record: undefined } }));
}

describe('TLS session decoder on RFC 8448 bytes (TLS 1.3)', () => {
  const clientHello = Buffer.from(rfc8448.clientHello, 'hex');
  const clientRandom = clientHello.subarray(6, 38).toString('hex');
  const keyLog = new KeyLog();
  keyLog.add(`CLIENT_HANDSHAKE_TRAFFIC_SECRET ${clientRandom} ${rfc8448.clientHandshakeTrafficSecret}`);
  keyLog.add(`SERVER_HANDSHAKE_TRAFFIC_SECRET ${clientRandom} ${rfc8448.serverHandshakeTrafficSecret}`);
  keyLog.add(`CLIENT_TRAFFIC_SECRET_0 ${clientRandom} ${rfc8448.clientApplicationTrafficSecret}`);
  keyLog.add(`SERVER_TRAFFIC_SECRET_0 ${clientRandom} ${rfc8448.serverApplicationTrafficSecret}`);
  const chunks: Chunk[] = [
    { t: 1, dir: 'out', data: record(22, clientHello, 0x0301) },
    { t: 2, dir: 'in', data: Buffer.concat([record(22, Buffer.from(rfc8448.serverHello, 'hex')), Buffer.from(rfc8448.serverHandshakeRecord, 'hex')]) },
    { t: 3, dir: 'out', data: Buffer.from(rfc8448.clientFinishedRecord, 'hex') },
  ];

  test('decodes the plaintext hellos and decrypts the server flight and the client Finished', () => {
    const { events, state } = decodeWire(chunks, keyLog);
    assert.deepEqual(handshakeNames(events), [
      'out Client hello',
      'in Server hello',
      'in Encrypted Extensions',
      'in Certificate',
      'in CERT verify',
      'in Finished',
      'out Finished',
    ]);
    assert.equal(state.version, 'TLSv1.3');
    assert.equal(state.cipherSuite, 'TLS_AES_128_GCM_SHA256');
    assert.equal(state.clientHello?.serverName, 'server');
    assert.equal(state.serverHello?.keyShareGroup, 'x25519');
    assert.equal(state.serverCertificate?.count, 1);
    assert.equal(state.serverCertificate?.certificates[0]?.publicKey, 'RSA 1024');
    assert.equal(state.undecrypted, 0);
    const encrypted = events.filter((e) => e.event === 'handshake' && e.detail?.encrypted === true).length;
    assert.equal(encrypted, 5);
    const verify = events.find((e) => e.detail?.name === 'CERT verify');
    assert.equal((verify?.detail?.fields as { signatureAlgorithm: string }).signatureAlgorithm, 'rsa_pss_rsae_sha256');
  });

  test('the same bytes one at a time give the same trace', () => {
    const whole = decodeWire(chunks, keyLog).events;
    const bytewise = decodeWire(rechunk(chunks, 1), keyLog).events;
    assert.deepEqual(withoutTimes(bytewise), withoutTimes(whole));
  });

  test('without the key log the protected records are reported, not guessed', () => {
    const { events, state } = decodeWire(chunks, new KeyLog());
    assert.deepEqual(handshakeNames(events), ['out Client hello', 'in Server hello']);
    assert.equal(state.undecrypted, 2);
    assert.equal(events.filter((e) => e.event === 'encrypted_record').length, 2);
  });
});

describe('TLS session decoder on captured sessions', () => {
  test('TLS 1.2 rejection by openssl: CertificateRequest with CA names, empty client Certificate, handshake_failure', () => {
    const { chunks, keyLog } = loadCapture('tls12-openssl-no-certificate');
    const { events, state } = decodeWire(chunks, keyLog);
    assert.deepEqual(handshakeNames(events), [
      'out Client hello',
      'in Server hello',
      'in Certificate',
      'in Server key exchange',
      'in Request CERT',
      'in Server finished',
      'out Certificate',
      'out Client key exchange',
      'out Finished',
    ]);
    assert.deepEqual(state.certificateRequest?.authorities, ['CN=Capture Fixture Root CA,O=Capture Fixture']);
    assert.ok(state.certificateRequest?.certificateTypes?.includes('ecdsa_sign'));
    assert.ok(state.certificateRequest?.signatureAlgorithms.includes('ecdsa_secp256r1_sha256'));
    assert.equal(state.clientCertificate?.empty, true);
    assert.equal(state.alerts.length, 1);
    assert.deepEqual(
      { dir: state.alerts[0]!.dir, level: state.alerts[0]!.level, description: state.alerts[0]!.description, code: state.alerts[0]!.code, encrypted: state.alerts[0]!.encrypted },
      { dir: 'in', level: 'fatal', description: 'handshake_failure', code: 40, encrypted: false },
    );
  });

  test('TLS 1.2 server flight re-framed: several messages in one record, and each message split across records', () => {
    const { chunks, keyLog } = loadCapture('tls12-openssl-no-certificate');
    const reference = withoutFraming(decodeWire(chunks, keyLog).events.filter((e) => e.event === 'handshake'));
    const inIndex = chunks.findIndex((c) => c.dir === 'in');
    for (const fragment of [16384, 7, 1]) {
      const reframed = chunks.map((c, i) => (i === inIndex ? reframeHandshake(c, fragment) : c));
      // the re-framed stream must really differ in its record structure
      if (fragment === 7) assert.ok(records(reframed[inIndex]!.data).length > 50);
      const events = decodeWire(reframed, keyLog).events.filter((e) => e.event === 'handshake');
      assert.deepEqual(withoutFraming(events), reference, `fragment size ${fragment}`);
      if (fragment === 7) assert.ok(events.filter((e) => e.dir === 'in').every((e) => (e.detail?.record as { length: number }).length <= 7));
    }
  });

  test('TLS 1.2 full session: Finished and application data decrypted from the key log (AES-GCM)', () => {
    const { chunks, keyLog } = loadCapture('tls12-openssl-valid');
    const { events, state } = decodeWire(chunks, keyLog);
    assert.equal(state.undecrypted, 0);
    const finished = events.filter((e) => e.event === 'handshake' && e.detail?.name === 'Finished');
    assert.equal(finished.length, 2);
    for (const f of finished) assert.equal((f.detail?.fields as { verifyDataLength: number }).verifyDataLength, 12);
    assert.equal(state.clientCertificate?.count, 2);
    assert.ok(state.applicationData.in > 0 && state.applicationData.out > 0);
  });

  test('TLS 1.3 rejection by openssl: encrypted CertificateRequest and certificate_required alert decrypted', () => {
    const { chunks, keyLog } = loadCapture('tls13-openssl-no-certificate');
    const { events, state } = decodeWire(chunks, keyLog);
    assert.equal(state.version, 'TLSv1.3');
    assert.deepEqual(state.certificateRequest?.authorities, ['CN=Capture Fixture Root CA,O=Capture Fixture']);
    const request = events.find((e) => e.detail?.name === 'Request CERT');
    assert.equal(request?.detail?.encrypted, true);
    assert.equal(state.clientCertificate?.empty, true);
    const alert = state.alerts.find((a) => a.dir === 'in');
    assert.equal(alert?.description, 'certificate_required');
    assert.equal(alert?.code, 116);
    assert.equal(alert?.encrypted, true);
    assert.equal(state.undecrypted, 0);
  });

  test('ALB-like reset capture: the client flight is decoded up to its Finished', () => {
    const { chunks, keyLog } = loadCapture('tls12-alb-like-reset');
    const { events, state } = decodeWire(chunks, keyLog);
    assert.equal(state.clientCertificate?.empty, true);
    assert.deepEqual(handshakeNames(events).slice(-3), ['out Certificate', 'out Client key exchange', 'out Finished']);
    assert.equal(state.changeCipherSpec.out, true);
    assert.equal(state.changeCipherSpec.in, false);
  });
});

describe('TLS session decoder on bad input', () => {
  test('a server that answers in plain HTTP is reported as not TLS, with a readable preview', () => {
    const events: TraceEvent[] = [];
    const decoder = new TlsSessionDecoder(new KeyLog(), (e) => events.push(e));
    decoder.feed('in', 1, Buffer.from('HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n'));
    assert.equal(decoder.state.notTls?.dir, 'in');
    assert.match(decoder.state.notTls?.preview ?? '', /^HTTP\/1\.1 400 Bad Request/);
    assert.equal(events[0]?.event, 'not_tls');
  });

  test('a malformed handshake body becomes a decode error on its event, not an exception', () => {
    const events: TraceEvent[] = [];
    const decoder = new TlsSessionDecoder(new KeyLog(), (e) => events.push(e));
    // ClientHello whose cipher_suites length runs past the message
    const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32), Buffer.from([0, 0xff, 0xff])]);
    const message = Buffer.concat([Buffer.from([1, 0, 0, body.length]), body]);
    decoder.feed('out', 1, record(22, message));
    assert.equal(decoder.state.decodeErrors, 1);
    assert.match(String(events[0]?.detail?.error), /truncated/);
  });

  test('a record cut short by the end of the connection is reported', () => {
    const events: TraceEvent[] = [];
    const decoder = new TlsSessionDecoder(new KeyLog(), (e) => events.push(e));
    decoder.feed('in', 1, record(22, Buffer.alloc(100)).subarray(0, 40));
    decoder.finish(2);
    assert.equal(events.at(-1)?.event, 'truncated_record');
  });

  test('random and mutated bytes never throw', () => {
    const { chunks, keyLog } = loadCapture('tls13-openssl-no-certificate');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 })), { maxLength: 12 }), (parts) => {
        const decoder = new TlsSessionDecoder(keyLog, () => undefined);
        for (const [out, bytes] of parts) decoder.feed(out ? 'out' : 'in', 0, bytes);
        decoder.finish(1);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (position, xor) => {
        const mutated = chunks.map((c) => ({ ...c, data: Buffer.from(c.data) }));
        const total = mutated.reduce((n, c) => n + c.data.length, 0);
        let at = position % total;
        for (const c of mutated) {
          if (at < c.data.length) {
            c.data[at]! ^= xor;
            break;
          }
          at -= c.data.length;
        }
        decodeWire(mutated, keyLog);
      }),
      { numRuns: 300 },
    );
  });
});

describe('TLS session decoder: the bytes of each message in the trace', () => {
  function bytesOf(event: TraceEvent): Buffer {
    assert.equal(typeof event.detail?.bytes, 'string', `${event.event} ${String(event.detail?.name ?? '')} carries its bytes`);
    return Buffer.from(String(event.detail!.bytes), 'base64');
  }

  test('every handshake message, alert and ChangeCipherSpec of every capture carries its bytes', () => {
    for (const name of ['tls12-alb-like-reset', 'tls12-openssl-no-certificate', 'tls12-openssl-valid', 'tls13-openssl-no-certificate']) {
      const { chunks, keyLog } = loadCapture(name);
      const { events } = decodeWire(chunks, keyLog);
      let seen = 0;
      for (const e of events) {
        if (e.event === 'handshake') {
          const bytes = bytesOf(e);
          assert.equal(bytes[0], e.detail?.type, `${name}: ${String(e.detail?.name)} starts with its handshake type`);
          assert.equal(bytes.readUIntBE(1, 3), e.detail?.length);
          assert.equal(bytes.length, 4 + Number(e.detail?.length));
          assert.equal(e.detail?.bytesTruncated, undefined);
          seen++;
        } else if (e.event === 'alert') {
          const level = e.detail?.level === 'fatal' ? 2 : 1;
          assert.deepEqual([...bytesOf(e)], [level, e.detail?.code]);
          seen++;
        } else if (e.event === 'change_cipher_spec') {
          assert.deepEqual([...bytesOf(e)], [1]);
          seen++;
        }
      }
      assert.ok(seen >= 10, `${name}: ${seen} messages`);
    }
  });

  test('protected TLS 1.3 messages carry their decrypted bytes (RFC 8448)', () => {
    const clientHello = Buffer.from(rfc8448.clientHello, 'hex');
    const clientRandom = clientHello.subarray(6, 38).toString('hex');
    const keyLog = new KeyLog();
    keyLog.add(`CLIENT_HANDSHAKE_TRAFFIC_SECRET ${clientRandom} ${rfc8448.clientHandshakeTrafficSecret}`);
    keyLog.add(`SERVER_HANDSHAKE_TRAFFIC_SECRET ${clientRandom} ${rfc8448.serverHandshakeTrafficSecret}`);
    const { events } = decodeWire(
      [
        { t: 1, dir: 'out', data: record(22, clientHello, 0x0301) },
        { t: 2, dir: 'in', data: Buffer.concat([record(22, Buffer.from(rfc8448.serverHello, 'hex')), Buffer.from(rfc8448.serverHandshakeRecord, 'hex')]) },
        { t: 3, dir: 'out', data: Buffer.from(rfc8448.clientFinishedRecord, 'hex') },
      ],
      keyLog,
    );
    const handshakes = events.filter((e) => e.event === 'handshake');
    assert.equal(bytesOf(handshakes[0]!).toString('hex'), rfc8448.clientHello);
    assert.equal(bytesOf(handshakes[1]!).toString('hex'), rfc8448.serverHello);
    const serverFlight = handshakes.filter((e) => e.dir === 'in' && e.detail?.encrypted === true);
    assert.equal(serverFlight.length, 4);
    assert.equal(Buffer.concat(serverFlight.map(bytesOf)).toString('hex'), rfc8448.serverHandshakePlaintext);
    const clientFinished = handshakes.at(-1)!;
    assert.equal(clientFinished.detail?.encrypted, true);
    assert.equal(bytesOf(clientFinished).toString('hex'), rfc8448.clientFinishedPlaintext);
  });

  test('a protected alert carries its decrypted 2 bytes; a TLS 1.2 Finished that could not be decrypted carries none', () => {
    const tls13 = loadCapture('tls13-openssl-no-certificate');
    const alert = decodeWire(tls13.chunks, tls13.keyLog).events.find((e) => e.event === 'alert');
    assert.equal(alert?.detail?.encrypted, true);
    assert.equal(bytesOf(alert!).toString('hex'), '0274');

    const tls12 = loadCapture('tls12-alb-like-reset');
    const finished = decodeWire(tls12.chunks, new KeyLog()).events.find((e) => e.event === 'handshake' && e.detail?.name === 'Finished');
    assert.equal(finished?.detail?.decrypted, false);
    assert.ok(finished?.detail !== undefined && !('bytes' in finished.detail) && !('bytesTruncated' in finished.detail));
  });

  test('a message longer than 64 KB keeps its first 65,536 bytes and says it was cut', () => {
    const body = Buffer.alloc(70_000, 0x5a);
    const header = Buffer.from([8, 0, 0, 0]);
    header.writeUIntBE(body.length, 1, 3);
    const message = Buffer.concat([header, body]);
    const records: Buffer[] = [];
    for (let i = 0; i < message.length; i += 16_384) records.push(record(22, message.subarray(i, i + 16_384)));
    const { events } = decodeWire([{ t: 1, dir: 'in', data: Buffer.concat(records) }], new KeyLog());
    const event = events.find((e) => e.event === 'handshake');
    assert.equal(event?.detail?.length, 70_000);
    const bytes = bytesOf(event!);
    assert.equal(bytes.length, 65_536);
    assert.ok(bytes.equals(message.subarray(0, 65_536)));
    assert.equal(event?.detail?.bytesTruncated, true);
  });
});

describe('TLS session decoder: a 16 MB certificate chain', () => {
  /** A TLS 1.2 server Certificate message of `copies` × the same certificate, framed in 16 KB records. */
  async function hugeCertificateMessage(): Promise<{ message: Buffer; records: Buffer; copies: number }> {
    const pki = await generateTestPki();
    const der = Buffer.from(pki.otherCa.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const entry = Buffer.concat([Buffer.from([0, der.length >> 8, der.length & 0xff]), der]);
    const copies = Math.floor((16 * 1024 * 1024 - 16) / entry.length);
    const list = Buffer.concat(Array.from({ length: copies }, () => entry));
    const body = Buffer.concat([Buffer.from([list.length >> 16, (list.length >> 8) & 0xff, list.length & 0xff]), list]);
    const header = Buffer.from([11, 0, 0, 0]);
    header.writeUIntBE(body.length, 1, 3);
    const message = Buffer.concat([header, body]);
    const framed: Buffer[] = [];
    for (let i = 0; i < message.length; i += 16_384) framed.push(record(22, message.subarray(i, i + 16_384)));
    return { message, records: Buffer.concat(framed), copies };
  }

  test('decoded whole: every certificate counted, the first 100 summarized, 64 KB of its bytes in the trace', async () => {
    const { records, copies } = await hugeCertificateMessage();
    const { events, state } = decodeWire([{ t: 1, dir: 'in', data: records }], new KeyLog());
    assert.equal(state.serverCertificate?.count, copies);
    assert.equal(state.serverCertificate?.certificates.length, 100);
    assert.equal(state.incompleteHandshake, null);
    const event = events.find((e) => e.event === 'handshake');
    assert.equal(event?.detail?.bytesTruncated, true);
    assert.equal(Buffer.from(String(event?.detail?.bytes), 'base64').length, 65_536);
    assert.ok(JSON.stringify(events).length < 512 * 1024);
  });

  test('cut short by the end of the connection: reported as an incomplete Certificate with its announced length', async () => {
    const { message, records } = await hugeCertificateMessage();
    const received = records.subarray(0, 5 * (16_384 + 5));
    const { events, state } = decodeWire([{ t: 1, dir: 'in', data: received }], new KeyLog());
    assert.deepEqual(state.incompleteHandshake, { dir: 'in', t: 1, type: 11, name: 'Certificate', length: message.length - 4, received: 5 * 16_384 });
    assert.equal(state.serverCertificate, null);
    const event = events.find((e) => e.event === 'handshake');
    assert.equal(event?.detail?.incomplete, true);
    assert.match(String(event?.detail?.error), /^incomplete: 81,920 of its 16,7\d\d,\d\d\d bytes arrived before the connection ended$/);
    assert.ok(Buffer.from(String(event?.detail?.bytes), 'base64').equals(message.subarray(0, 65_536)));
  });
});

describe('TLS session decoder: decoding while the connection goes on', () => {
  const captures = ['tls12-alb-like-reset', 'tls12-openssl-no-certificate', 'tls12-openssl-valid', 'tls13-openssl-no-certificate'];

  test('decoded in steps (as the probe does in its idle moments) gives the events and state of one decode at the end', () => {
    for (const name of captures) {
      const { chunks, keyLog } = loadCapture(name);
      const whole = decodeWire(chunks, keyLog, 99);
      for (const steps of [[1], [2, 3], [chunks.length - 1], [0, 0, 1, 1, chunks.length + 5]]) {
        const live: Chunk[] = [];
        const decoding = new WireDecoding(live, keyLog);
        for (const chunk of chunks) {
          live.push(chunk);
          for (const upTo of steps) decoding.decodeUpTo(Math.min(upTo, live.length));
        }
        const stepped = decoding.finish(99);
        assert.deepEqual(stepped.events, whole.events, `${name}, steps ${steps.join(',')}`);
        assert.deepEqual(stepped.state, whole.state, `${name}, steps ${steps.join(',')}`);
      }
    }
  });

  test('finish is the end: a second finish hands back the same result, and later bytes are not decoded', () => {
    const { chunks, keyLog } = loadCapture('tls13-openssl-no-certificate');
    const live = chunks.slice(0, 2);
    const decoding = new WireDecoding(live, keyLog);
    const first = decoding.finish(10);
    const events = first.events.length;
    live.push(...chunks.slice(2));
    decoding.decodeUpTo();
    assert.equal(decoding.finish(20), first);
    assert.equal(first.events.length, events);
  });
});

describe('TLS session decoder: names', () => {
  test('every cipher suite Node offers is named (as Wireshark names it), none left as a code', () => {
    for (const name of ['tls12-alb-like-reset', 'tls12-openssl-no-certificate', 'tls12-openssl-valid', 'tls13-openssl-no-certificate']) {
      const { chunks, keyLog } = loadCapture(name);
      const suites = decodeWire(chunks, keyLog).state.clientHello?.cipherSuites ?? [];
      assert.ok(suites.length >= 56, `${name}: ${suites.length} suites`);
      assert.deepEqual(suites.filter((s) => !s.startsWith('TLS_')), [], name);
    }
  });
});
