import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  Tls13RecordOpener,
  deriveSecret,
  hkdfExtract,
  tls13Suites,
  tls13TrafficKeys,
} from '../../src/core/tls/record-protection';
import { rfc8448 } from '../fixtures/rfc8448-vectors';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const suite = tls13Suites[0x1301]!;
const emptyHash = createHash('sha256').digest();

describe('TLS 1.3 key schedule against RFC 8448 section 3', () => {
  test('early secret, derived secret, handshake secret and master secret', () => {
    const early = hkdfExtract('sha256', Buffer.alloc(0), Buffer.alloc(32));
    assert.equal(early.toString('hex'), rfc8448.earlySecret);
    const derived = deriveSecret('sha256', early, 'derived', emptyHash);
    assert.equal(derived.toString('hex'), rfc8448.derivedSecret);
    const handshake = hkdfExtract('sha256', derived, hex(rfc8448.sharedSecret));
    assert.equal(handshake.toString('hex'), rfc8448.handshakeSecret);
    const master = hkdfExtract('sha256', deriveSecret('sha256', handshake, 'derived', emptyHash), Buffer.alloc(32));
    assert.equal(master.toString('hex'), rfc8448.masterSecret);
  });

  test('handshake traffic secrets from the ClientHello…ServerHello transcript', () => {
    const transcript = createHash('sha256').update(hex(rfc8448.clientHello)).update(hex(rfc8448.serverHello)).digest();
    const handshake = hex(rfc8448.handshakeSecret);
    assert.equal(deriveSecret('sha256', handshake, 'c hs traffic', transcript).toString('hex'), rfc8448.clientHandshakeTrafficSecret);
    assert.equal(deriveSecret('sha256', handshake, 's hs traffic', transcript).toString('hex'), rfc8448.serverHandshakeTrafficSecret);
  });

  test('application traffic secrets from the transcript through the server Finished', () => {
    const transcript = createHash('sha256')
      .update(hex(rfc8448.clientHello))
      .update(hex(rfc8448.serverHello))
      .update(hex(rfc8448.serverHandshakePlaintext))
      .digest();
    const master = hex(rfc8448.masterSecret);
    assert.equal(deriveSecret('sha256', master, 'c ap traffic', transcript).toString('hex'), rfc8448.clientApplicationTrafficSecret);
    assert.equal(deriveSecret('sha256', master, 's ap traffic', transcript).toString('hex'), rfc8448.serverApplicationTrafficSecret);
  });

  test('traffic keys and IVs (HKDF-Expand-Label "key" and "iv")', () => {
    const cases: Array<[string, string, string]> = [
      [rfc8448.serverHandshakeTrafficSecret, rfc8448.serverHandshakeKey, rfc8448.serverHandshakeIv],
      [rfc8448.clientHandshakeTrafficSecret, rfc8448.clientHandshakeKey, rfc8448.clientHandshakeIv],
      [rfc8448.serverApplicationTrafficSecret, rfc8448.serverApplicationKey, rfc8448.serverApplicationIv],
      [rfc8448.clientApplicationTrafficSecret, rfc8448.clientApplicationKey, rfc8448.clientApplicationIv],
    ];
    for (const [secret, key, iv] of cases) {
      const keys = tls13TrafficKeys(suite, hex(secret));
      assert.equal(keys.key.toString('hex'), key);
      assert.equal(keys.iv.toString('hex'), iv);
    }
  });

  test('decrypts the server handshake record and the client Finished record', () => {
    const server = new Tls13RecordOpener(suite, hex(rfc8448.serverHandshakeTrafficSecret));
    const record = hex(rfc8448.serverHandshakeRecord);
    const opened = server.open(record.subarray(0, 5), record.subarray(5));
    assert.ok(opened);
    assert.equal(opened.contentType, 22);
    assert.equal(opened.plaintext.toString('hex'), rfc8448.serverHandshakePlaintext);

    const client = new Tls13RecordOpener(suite, hex(rfc8448.clientHandshakeTrafficSecret));
    const finished = hex(rfc8448.clientFinishedRecord);
    const openedFinished = client.open(finished.subarray(0, 5), finished.subarray(5));
    assert.ok(openedFinished);
    assert.equal(openedFinished.plaintext.toString('hex'), rfc8448.clientFinishedPlaintext);
  });

  test('a tampered record does not open (the tag is checked)', () => {
    const server = new Tls13RecordOpener(suite, hex(rfc8448.serverHandshakeTrafficSecret));
    const record = hex(rfc8448.serverHandshakeRecord);
    record[40]! ^= 1;
    assert.equal(server.open(record.subarray(0, 5), record.subarray(5)), null);
  });
});
