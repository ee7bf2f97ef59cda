// What the fuzzer (bench/fuzz.ts) found, each pinned by the input shape that showed it: an uncoded exception out of a
// parser of untrusted input, or work that grew faster than the input. Behaviour is asserted, never time: the
// super-linear cases are checked by what bounds them (a walk that stops, a structure that is not kept).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCryptoText } from '../../src/core/certs/crypto-file';
import { inspectFile, maxChainLength } from '../../src/core/certs/inspect';
import { lintTrustStore } from '../../src/core/certs/truststore-lint';
import { LogRecordCollector } from '../../src/core/evidence/logs/log-record-collector';
import { splitLogFields } from '../../src/core/evidence/logs/log-fields';
import forge from 'node-forge';
import { derChildrenHead, readDerElement } from '../../src/core/formats/der';
import { FileError } from '../../src/core/formats/file-error';
import { decodePkcs12, maxPkcs12Iterations, pkcs12Iterations } from '../../src/core/formats/pkcs12';
import { derKind } from '../../src/core/formats/der-kind';
import { pemBlock, readPemLines, trimTrailingBlanks } from '../../src/core/formats/pem';
import { RunFileError, runsFromJson } from '../../src/core/runs/run-json';
import { KeyLog } from '../../src/core/tls/key-log';
import { Tls12AeadRecordOpener } from '../../src/core/tls/record-protection';
import { type WireDirection } from '../../src/core/tls/session-decoder';
import { decodeWire } from '../../src/core/tls/wire-decoding';
import type { TraceEvent } from '../../src/core/trace';
import { lookAlikes } from '../fuzz/targets/certs';
import { captures, logProbe, modSecurityLines, pemDers, pkiFile, runSeeds, wafLogLines } from '../fuzz/seeds';

function tlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, value]);
}

function record(type: number, fragment: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, 3, 3, fragment.length >> 8, fragment.length & 0xff]), fragment]);
}

/** The trace without times: what two ways of feeding the same bytes must agree on. */
function timeless(events: TraceEvent[]): unknown[] {
  return events.map(({ t: _t, ...rest }) => rest);
}

describe('TLS decoder', () => {
  test('a TLS 1.2 ChaCha20-Poly1305 record shorter than its tag does not open (it threw a RangeError)', () => {
    const openers = Tls12AeadRecordOpener.fromMasterSecret(0xcca8, Buffer.alloc(48, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3))!;
    for (const length of [0, 1, 15]) assert.equal(openers.client.open(Buffer.from([23, 3, 3, 0, length]), Buffer.alloc(length)), null);
  });

  test('a capture read one byte at a time decodes as when read whole (reads queued until the record is whole)', () => {
    for (const capture of captures()) {
      const keyLog = new KeyLog();
      for (const line of capture.keyLog.split('\n')) keyLog.add(line);
      const whole = decodeWire(capture.chunks, keyLog);
      const bytes = capture.chunks.flatMap((c) => [...c.data].map((b) => ({ t: c.t, dir: c.dir, data: Buffer.from([b]) })));
      const byByte = decodeWire(bytes, keyLog);
      assert.deepEqual(timeless(byByte.events), timeless(whole.events), capture.name);
    }
  });

  test('a handshake message whose every byte, header too, comes in its own record is reassembled', () => {
    const body = Buffer.alloc(40, 0);
    const message = Buffer.concat([Buffer.from([14, 0, 0, 0]), Buffer.from([20, 0, 0, body.length]), body]); // ServerHelloDone, Finished
    const records = [...message].map((b) => ({ t: 1, dir: 'in' as WireDirection, data: record(22, Buffer.from([b])) }));
    const { events } = decodeWire(records, new KeyLog());
    assert.deepEqual(
      events.filter((e) => e.event === 'handshake').map((e) => e.detail?.name),
      ['Server finished', 'Finished'],
    );
  });
});

describe('formats', () => {
  test('derKind of a SEQUENCE of half a million tiny elements: unknown, and the elements are counted, not kept', () => {
    const flat = tlv(0x30, Buffer.alloc(1_000_000, 0x05).fill(Buffer.from([0x05, 0x00])));
    const top = readDerElement(flat, 0)!;
    assert.equal(derKind(flat, top), 'unknown');
    const inside = derChildrenHead(flat, top, 3)!;
    assert.equal(inside.count, 500_000);
    assert.equal(inside.head.length, 3);
    assert.equal(derChildrenHead(Buffer.from([0x30, 0x03, 0x05, 0x00, 0x05]), readDerElement(Buffer.from([0x30, 0x03, 0x05, 0x00, 0x05]), 0)!, 3), null);
  });

  test('derKind still tells the corpus files apart', () => {
    const kinds = ['p256/valid.pem', 'p256/valid.key', 'p256/client.csr', 'p256/intermediate-ca.crl.pem'].map((name) => {
      const der = pemDers(pkiFile(name))[0]!;
      return derKind(der, readDerElement(der, 0)!);
    });
    assert.deepEqual(kinds, ['certificate', 'pkcs8-key', 'certificate-request', 'crl']);
    const p12 = pkiFile('rsa2048/valid-3des.p12');
    assert.equal(derKind(p12, readDerElement(p12, 0)!), 'pkcs12');
  });

  test('strict PEM lines lose their trailing spaces and tabs only (a loop: the regex was quadratic on a long run)', () => {
    for (const text of ['', ' ', 'a', 'a ', 'a \t ', ' a', ' a b  ', '\t\t', 'x'.padEnd(10_000, ' ') + 'y']) {
      assert.equal(trimTrailingBlanks(text), text.replace(/[ \t]+$/, ''), JSON.stringify(text.slice(0, 20)));
    }
    const { blocks, others } = readPemLines(`-----BEGIN CERTIFICATE-----  \n${' '.repeat(200_000)}x\n-----END CERTIFICATE-----\t\n`, 'strict');
    assert.deepEqual(others, []);
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0]!.endLabel, 'CERTIFICATE');
    assert.equal(blocks[0]!.badLine?.number, 2);
  });
});

describe('PKCS#12', () => {
  test('a file asking for more key-derivation iterations than any exporter writes is refused before deriving (hours for 2^31)', () => {
    assert.equal(pkcs12Iterations(pkiFile('rsa2048/valid-3des.p12')), 32); // MAC and key bag, 16 each
    assert.equal(decodePkcs12(pkiFile('rsa2048/valid-3des.p12'), 'valid.p12', 'fuzz').keys.length, 1);
    const key = forge.pki.privateKeyFromPem(pkiFile('rsa2048/valid.key').toString('latin1'));
    const cert = forge.pki.certificateFromPem(pkiFile('rsa2048/valid.pem').toString('latin1'));
    const hostile = Buffer.from(forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(key, [cert], 'fuzz', { algorithm: '3des', count: maxPkcs12Iterations })).getBytes(), 'binary');
    assert.equal(pkcs12Iterations(hostile), 2 * maxPkcs12Iterations);
    for (const passphrase of ['fuzz', 'wrong', undefined]) {
      assert.throws(() => decodePkcs12(hostile, 'hostile.p12', passphrase), (e: unknown) => e instanceof FileError && e.code === 'bad_pfx' && /asks for 4,000,000 key-derivation iterations/.test(e.message));
    }
  });
});

describe('certificates', () => {
  test('inspecting a bundle of look-alike CAs stops the chain walk at its bound (it checked every pair: minutes for 1 MB)', () => {
    const root = pemDers(pkiFile('p256/root-ca.pem'))[0]!;
    const bundle = Buffer.from(lookAlikes(root, maxChainLength + 20).map((der) => pemBlock('CERTIFICATE', der)).join(''));
    const inspection = inspectFile(parseCryptoText(bundle, 'look-alikes.pem'), { now: new Date('2026-02-01T00:00:00Z') });
    assert.equal(inspection.certificates.length, maxChainLength + 20);
    assert.equal(inspection.chain!.chain.length, maxChainLength);
    assert.equal(inspection.chain!.complete, false);
    assert.match(inspection.chain!.breaks.at(-1)!.problem, new RegExp(`longer than ${maxChainLength} certificates`));
  });

  test('the trust-store lint of a bundle of look-alike CAs ends, its paths bounded (it compared every pair and recursed as deep as the bundle)', () => {
    const root = pemDers(pkiFile('p256/root-ca.pem'))[0]!;
    const report = lintTrustStore(lookAlikes(root, 300).map((der) => pemBlock('CERTIFICATE', der)).join(''), 'look-alikes.pem', { now: new Date('2026-02-01T00:00:00Z') });
    assert.equal(report.certificates.length, 300);
    const deep = report.findings.filter((f) => f.rule === 'chain-too-deep');
    assert.ok(deep.length > 0);
    for (const finding of deep) assert.ok(Number(/: (\d+) certificates deep/.exec(finding.message)![1]) <= 64, finding.message.slice(0, 80));
  });
});

describe('logs', () => {
  test('a quoted field keeps its escapes unescaped, and a field of escapes is read in one pass', () => {
    assert.deepEqual(splitLogFields('a "b \\"c\\" \\\\d" -'), ['a', 'b "c" \\d', '-']);
    assert.equal(splitLogFields('a "unclosed'), null);
    assert.equal(splitLogFields('a "ends with \\'), null);
    assert.deepEqual(splitLogFields(`"${'\\\\'.repeat(100_000)}"`), ['\\'.repeat(100_000)]);
  });

  test('WAF and ModSecurity records with objects where the summary expects text match and are summarised (a TypeError)', () => {
    const collector = new LogRecordCollector(
      { traceId: logProbe.traceId, clientIp: logProbe.clientIp },
      { from: new Date(Date.parse(logProbe.from) - 60_000), to: new Date(Date.parse(logProbe.to) + 60_000) },
    );
    const waf = JSON.parse(wafLogLines[0]!) as Record<string, unknown> & { httpRequest: Record<string, unknown> };
    waf.terminatingRuleId = { toString: 1 };
    waf.httpRequest.requestId = { valueOf: null, toString: 'x' };
    const modSecurity = JSON.parse(modSecurityLines[0]!) as { transaction: Record<string, unknown> };
    modSecurity.transaction.unique_id = { toString: 1 };
    modSecurity.transaction.messages = [{ message: ['not', 'text'] }];
    assert.equal(collector.addLine('waf-log', JSON.stringify(waf), { file: 'waf.log', line: 1 }), true);
    assert.equal(collector.addLine('modsecurity-audit-log', JSON.stringify(modSecurity), { file: 'audit.log', line: 1 }), true);
    assert.deepEqual(
      collector.report().events.map((e) => e.summary),
      ['WAF BLOCK by rule Default_Action (requestId -)', "ModSecurity answered 403 for GET /?id=1' or '1'='1 (unique_id -)"],
    );
  });
});

describe('saved runs', () => {
  test('a document nested thousands of levels deep is not a run (it overflowed the stack)', () => {
    const deep = JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`) as unknown;
    assert.throws(() => runsFromJson(deep, 'deep.json'), (e: unknown) => e instanceof RunFileError && e.code === 'not_a_run' && /nested more than 16 levels/.test(e.message));
  });

  test("an expectation whose text fields are objects is read without calling them (their own toString)", () => {
    const run = JSON.parse(runSeeds()[1]!) as { expectation: Record<string, unknown> };
    run.expectation.expected = { toString: 1 };
    run.expectation.message = ['a'];
    const [read] = runsFromJson(run, 'run.json');
    assert.equal(read!.expectation!.expected, '{"toString":1}');
    assert.equal(read!.expectation!.message, '["a"]');
  });
});
