import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCurlConnectTo as parseConnectTo, parseCurlResolve as parseResolve } from '../../src/cli/curl-routing';
import { escapeDnValue, rfc4514FromNodeName } from '../../src/core/certs/distinguished-name';
import { decodeMtlsHeaders } from '../../src/core/probe/mtls-headers';
import { newCorrelationId } from '../../src/core/probe/probe';

describe('RFC 4514 distinguished names', () => {
  test('escapes special characters, leading #/space and a trailing space', () => {
    assert.equal(escapeDnValue('Example, Inc.'), 'Example\\, Inc.');
    assert.equal(escapeDnValue('a+b;c<d>e"f\\g'), 'a\\+b\\;c\\<d\\>e\\"f\\\\g');
    assert.equal(escapeDnValue('#hash'), '\\#hash');
    assert.equal(escapeDnValue(' lead'), '\\ lead');
    assert.equal(escapeDnValue('trail '), 'trail\\ ');
  });

  test("node:crypto's one-RDN-per-line names become RFC 4514 order", () => {
    assert.equal(rfc4514FromNodeName('C=JP\nO=Example\\, Inc.\nOU=Dev + UID=42\nCN=Test CA'), 'CN=Test CA,UID=42+OU=Dev,O=Example\\, Inc.,C=JP');
  });
});

describe('X-Amzn-Mtls-* headers', () => {
  test('URL-decoded with decodeURIComponent: "+" stays "+"', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB+ab/cd==\n-----END CERTIFICATE-----\n';
    const encoded = encodeURIComponent(pem).replace(/%2B/g, '+').replace(/%2F/g, '/').replace(/%3D/g, '=');
    const decoded = decodeMtlsHeaders({
      'x-amzn-mtls-clientcert-serial-number': 'a1b2',
      'x-amzn-mtls-clientcert-subject': 'CN=client,O=Example',
      'x-amzn-mtls-clientcert-validity': 'NotBefore=2023-09-21T01:50:17Z;NotAfter=2024-09-21T01:50:17Z',
      'x-amzn-mtls-clientcert-leaf': encoded,
    });
    assert.equal(decoded?.leafPem, pem);
    assert.equal(decoded?.serialNumber, 'A1B2');
    assert.deepEqual(decoded?.validity, { notBefore: '2023-09-21T01:50:17Z', notAfter: '2024-09-21T01:50:17Z' });
    assert.equal(decodeMtlsHeaders({ server: 'nginx' }), undefined);
  });
});

describe('correlation id', () => {
  test('X-Amzn-Trace-Id root format with the epoch seconds in hex', () => {
    const id = newCorrelationId(Date.UTC(2025, 1, 15, 9, 39, 48));
    assert.match(id, /^Root=1-67b060e4-[0-9a-f]{24}$/);
    assert.notEqual(newCorrelationId(), newCorrelationId());
  });

  test('ids drawn across several refills of the random pool are all well-formed and all different', () => {
    const ids = Array.from({ length: 1000 }, () => newCorrelationId());
    for (const id of ids) assert.match(id, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(new Set(ids.map((id) => id.slice(-24))).size, ids.length);
  });
});

describe('curl-style routing options', () => {
  const url = new URL('https://api.example.com/health');
  test('--connect-to HOST1:PORT1:HOST2:PORT2, with empty parts matching anything', () => {
    assert.deepEqual(parseConnectTo('api.example.com:443:127.0.0.1:8443', url), { host: '127.0.0.1', port: 8443 });
    assert.deepEqual(parseConnectTo('::127.0.0.1:8443', url), { host: '127.0.0.1', port: 8443 });
    assert.deepEqual(parseConnectTo('api.example.com:443:[::1]:8443', url), { host: '::1', port: 8443 });
    assert.deepEqual(parseConnectTo(':443:alb.internal:', url), { host: 'alb.internal', port: 443 });
    assert.equal(parseConnectTo('other.example.com:443:127.0.0.1:8443', url), undefined);
  });
  test('--resolve HOST:PORT:ADDRESS', () => {
    assert.deepEqual(parseResolve('api.example.com:443:203.0.113.10', url), { host: '203.0.113.10', port: 443 });
    assert.equal(parseResolve('api.example.com:8443:203.0.113.10', url), undefined);
  });
});
