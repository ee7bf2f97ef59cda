import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Ajv from 'ajv';
import { appendToJsonc, configPath, endpointEntry, observedExpectation, uniqueName } from '../../src/extension/endpoint-draft';
import { parse as parseJsonc } from 'jsonc-parser/lib/esm/main.js';
import { labDescription, pkiSummary } from '../../src/extension/lab-words';
import { parseWorkspaceConfig } from '../../src/core/config/workspace-config';

const folder = join('/', 'work', 'space');

describe('Probe URL… → Save to Config: the endpoint as the config writes it', () => {
  test('a name no endpoint has yet', () => {
    assert.equal(uniqueName('api.example.com', []), 'api.example.com');
    assert.equal(uniqueName('api.example.com', ['api.example.com', 'api.example.com-2']), 'api.example.com-3');
    assert.equal(uniqueName('  ', []), 'endpoint');
  });

  test('paths relative to the workspace folder with forward slashes; outside it, absolute', () => {
    assert.equal(configPath(folder, join(folder, 'certs', 'ca.pem')), 'certs/ca.pem');
    assert.equal(configPath(folder, join('/', 'etc', 'ssl', 'ca.pem')), join('/', 'etc', 'ssl', 'ca.pem'));
  });

  test('the observed outcome as an expectation: the layer, or target when the application answered', () => {
    assert.equal(observedExpectation('mtls'), 'mtls');
    assert.equal(observedExpectation(null), 'target');
  });

  test('the trust the probe used: "ca" relative to the workspace, "insecure": true, or nothing for the system store', () => {
    const url = 'https://localhost:8443/';
    assert.deepEqual(endpointEntry({ name: 'lab', url, trust: { kind: 'ca', file: join(folder, 'certs', 'ca.pem') }, identity: 'valid', expect: 'target' }, folder), {
      name: 'lab',
      url,
      ca: 'certs/ca.pem',
      identities: ['none', 'valid'],
      expect: { valid: 'target' },
    });
    assert.deepEqual(endpointEntry({ name: 'lab', url, trust: { kind: 'insecure' } }, folder), { name: 'lab', url, insecure: true });
    assert.deepEqual(endpointEntry({ name: 'lab', url, trust: { kind: 'system' }, expect: 'mtls' }, folder), { name: 'lab', url, expect: { none: 'mtls' } });
  });

  test('what it writes is a config the loader and the schema accept', () => {
    const entry = endpointEntry({ name: 'lab', url: 'https://localhost:8443/', trust: { kind: 'insecure' }, identity: 'valid', expect: 'mtls' }, folder);
    const text = JSON.stringify({ identities: { valid: { cert: 'c.pem', key: 'c.key' } }, endpoints: [entry] });
    const schema = JSON.parse(readFileSync(new URL('../../schemas/mtls-probe.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ allErrors: true });
    for (const keyword of ['markdownDescription', 'defaultSnippets', 'enumDescriptions', 'allowComments', 'allowTrailingCommas']) ajv.addKeyword(keyword);
    const validate = ajv.compile(schema);
    assert.ok(validate(JSON.parse(text)), JSON.stringify(validate.errors));
    const config = parseWorkspaceConfig(text, join(folder, '.vscode', 'mtls-probe.json'), folder);
    assert.deepEqual(config.problems.filter((p) => p.severity === 'error'), []);
    assert.equal(config.endpoints[0]?.insecure, true);
    assert.deepEqual(config.endpoints[0]?.expectations.map((e) => [e.identity, e.expected]), [['valid', { kind: 'stopped', layer: 'mtls' }]]);
  });
});

describe('appendToJsonc: a new entry at the end, the rest as the person wrote it', () => {
  const config = `{
  // mine
  "identities": { "a": { "cert": "a.pem" } },
  "endpoints": [
    { "name": "one", "url": "https://one/", "identities": ["none"] },
  ],
}
`;

  test('an endpoint after the last one, keeping its one-line form, the comment and the trailing comma', () => {
    const text = appendToJsonc(config, ['endpoints'], { name: 'two', url: 'https://two/', expect: { none: 'mtls' } });
    assert.ok(text.includes('    { "name": "one", "url": "https://one/", "identities": ["none"] },\n    {\n      "name": "two",'), text);
    assert.ok(text.includes('// mine'));
    assert.deepEqual((parseJsonc(text, [], { allowTrailingComma: true }) as { endpoints: unknown[] }).endpoints.at(-1), { name: 'two', url: 'https://two/', expect: { none: 'mtls' } });
  });

  test('a named member of an object; a missing array or object is created', () => {
    const withIdentity = appendToJsonc(config, ['identities'], { cert: 'b.pem' }, 'b');
    assert.ok(withIdentity.includes('"identities": { "a": { "cert": "a.pem" },\n  "b": {\n    "cert": "b.pem"\n  } },'), withIdentity);
    const created = appendToJsonc('{}', ['endpoints'], { name: 'x' });
    assert.deepEqual(parseJsonc(created), { endpoints: [{ name: 'x' }] });
    const empty = appendToJsonc('{\n  "endpoints": []\n}\n', ['endpoints'], { name: 'x' });
    assert.equal(empty, '{\n  "endpoints": [\n    {\n      "name": "x"\n    }\n  ]\n}\n');
  });
});

describe('the lab and a test PKI in the extension\'s words', () => {
  const manifest = {
    generatedAt: '2025-03-04T12:00:00.000Z',
    keyAlgorithm: 'p256' as const,
    trustStore: 'ca-bundle.pem' as const,
    server: { cert: 'server.pem', key: 'server.key', names: ['localhost', '127.0.0.1'] },
    crl: 'intermediate-ca.crl.pem',
    identities: [
      { name: 'valid', cert: 'valid.pem', key: 'valid.key', chain: 'valid.chain.pem', expectedTlsVerifyStatus: 'Success', description: '' },
      { name: 'expired', cert: 'expired.pem', key: 'expired.key', chain: 'expired.chain.pem', expectedTlsVerifyStatus: 'Failed:ClientCertExpired', description: '' },
    ],
  };

  test('no command line to run: the VSIX does not ship the CLI', () => {
    const pki = pkiSummary('/w/pki', manifest, (f) => f.replace('/w/', ''));
    assert.match(pki, /^Test PKI in pki \(ECDSA P-256 keys, generated 2025-03-04\)/);
    assert.match(pki, /expired +Failed:ClientCertExpired +expired\.chain\.pem/);
    assert.match(pki, /Server +pki\/server\.pem \+ pki\/server\.key \(localhost, 127\.0\.0\.1\)/);
    const lab = labDescription({
      url: 'https://localhost:8443/',
      mode: 'verify',
      ca: '/w/mtls-probe-lab/pki/root-ca.pem',
      trustStore: '/w/mtls-probe-lab/pki/ca-bundle.pem',
      crl: null,
      logs: '/w/mtls-probe-lab/logs',
      details: { valid: { cert: '', key: '', description: '', expected: { tlsVerifyStatus: 'Success', stoppedAt: null, reason: 'target_responded' } } },
    });
    assert.match(lab, /valid +accepted: the target answers/);
    assert.match(lab, /Stop Local Lab/);
    for (const text of [pki, lab]) {
      assert.doesNotMatch(text, /mtls-probe (probe|lab|pki)|Ctrl-C/);
    }
  });
});
