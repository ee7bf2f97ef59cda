import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { applyEdits, modify, parse as parseJsonc, type JSONPath } from 'jsonc-parser/lib/esm/main.js';
import { starterConfigText } from '../../src/core/config/starter-config';
import { startLab } from '../../src/core/lab/lab';
import type { ConfigProblem, EndpointConfig, WorkspaceConfig } from '../../src/core/config/types';
import { workspaceConfigSchema } from '../../src/core/config/config-schema';
import { checkConfigPaths } from '../../src/core/config/path-checks';
import { loadWorkspaceConfig, parseWorkspaceConfig } from '../../src/core/config/workspace-config';
import { describeExpectedOutcome } from '../../src/core/expectations/evaluate';
import { generatePki } from '../../src/core/pki/generate-pki';
import { problemAt, underlined } from '../support/config-problems';
import { builtSchema, schemaValidator } from '../support/config-schema';

const folder = '/workspace';
const configFile = '.vscode/mtls-probe.json';

/** Every field the format has, as the format's description writes it. */
const fullExample = `{
  // name → identity; "none" is reserved (no certificate)
  "identities": {
    "partner": { "cert": "certs/client.pem", "key": "certs/client.key" },   // key may be omitted: combined PEM
    "legacy":  { "pfx": "certs/legacy.p12" },
    "combined": { "cert": "/etc/mtls/combined.pem" },
  },
  "trustStores": { "alb": "pki/ca-bundle.pem" },
  "endpoints": [{
    "name": "prod-api",
    "url": "https://api.example.com/health",
    "ca": "certs/server-ca.pem",
    "insecure": false,
    "connectTo": "203.0.113.10",
    "serverName": "api.example.com", "hostHeader": "api.example.com",
    "tlsMin": "1.2", "tlsMax": "1.3",
    "alpn": ["h2", "http/1.1"], "method": "GET", "secretHeaders": ["X-Tenant-Token"], "headers": { "X-Test": "1" }, "timeoutMs": 10000,
    "identities": ["none", "partner", "legacy"],
    "expect": { "none": "mtls", "partner": 200, "legacy": { "stoppedAt": "mtls", "reason": "alert_unknown_ca" } },
    "aws": { "profile": "prod", "region": "ap-northeast-1",
             "loadBalancerArn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/prod/50dc6c495c0c9188",
             "listenerArn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/prod/50dc6c495c0c9188/f2f7dc8efc522ab2",
             "webAclArn": "arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/prod/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
             "wafLogGroup": "aws-waf-logs-prod", "albLogs": "s3://bucket/prefix", "albLogGroup": "/aws/vendedlogs/alb/prod",
             "cloudFront": { "distributionId": "E2DX1SLDPK0123", "connectionLogs": "cloudfront-connection-logs" },
             "apiGateway": { "domainName": "api.example.com", "accessLogGroup": "/aws/apigateway/prod-access" },
             "albLogsAthena": { "database": "alb_logs", "connectionTable": "alb_connection_logs", "accessTable": "alb_access_logs",
                                "workgroup": "primary", "outputLocation": "s3://athena-results/mtls-probe/" } },
    "logs": "logs/",
  }],
}`;

function parse(text: string): WorkspaceConfig {
  return parseWorkspaceConfig(text, configFile, folder);
}

/** A config with one endpoint made of these JSON members (text, so invalid values can be written). */
function oneEndpoint(members: string, identities = '"partner": { "cert": "c.pem", "key": "c.key" }'): string {
  return `{ "identities": { ${identities} }, "endpoints": [ { "name": "e", "url": "https://e.example/"${members ? `, ${members}` : ''} } ] }`;
}

function errors(config: WorkspaceConfig): ConfigProblem[] {
  return config.problems.filter((p) => p.severity === 'error');
}

function warnings(config: WorkspaceConfig): ConfigProblem[] {
  return config.problems.filter((p) => p.severity === 'warning');
}

function withoutLocations(endpoint: EndpointConfig): unknown {
  const { location: _location, expectations, ...rest } = endpoint;
  return { ...rest, expectations: expectations.map(({ location: _l, ...e }) => e) };
}

describe('parseWorkspaceConfig: the full format', () => {
  test('reads every field without problems, resolving paths against the folder', () => {
    const config = parse(fullExample);
    assert.deepEqual(config.problems, []);
    assert.equal(config.file, '/workspace/.vscode/mtls-probe.json');
    assert.equal(config.folder, folder);
    assert.deepEqual(
      config.identities.map(({ location: _l, ...identity }) => identity),
      [
        { kind: 'pem', name: 'partner', certFile: '/workspace/certs/client.pem', keyFile: '/workspace/certs/client.key' },
        { kind: 'pfx', name: 'legacy', pfxFile: '/workspace/certs/legacy.p12' },
        // No "key": the certificate file holds the key; an absolute path is kept.
        { kind: 'pem', name: 'combined', certFile: '/etc/mtls/combined.pem', keyFile: '/etc/mtls/combined.pem' },
      ],
    );
    assert.deepEqual(config.trustStores.map(({ location: _l, ...t }) => t), [{ name: 'alb', file: '/workspace/pki/ca-bundle.pem' }]);
    assert.equal(config.endpoints.length, 1);
    assert.deepEqual(withoutLocations(config.endpoints[0]!), {
      name: 'prod-api',
      url: 'https://api.example.com/health',
      caFile: '/workspace/certs/server-ca.pem',
      insecure: false,
      connectTo: { host: '203.0.113.10', port: 443 },
      serverName: 'api.example.com',
      hostHeader: 'api.example.com',
      tlsMinVersion: 'TLSv1.2',
      tlsMaxVersion: 'TLSv1.3',
      alpn: ['h2', 'http/1.1'],
      method: 'GET',
      secretHeaders: ['X-Tenant-Token'],
      headers: { 'X-Test': '1' },
      timeoutMs: 10000,
      identities: ['none', 'partner', 'legacy'],
      expectations: [
        { identity: 'none', expected: { kind: 'stopped', layer: 'mtls' } },
        { identity: 'partner', expected: { kind: 'status', status: 200 } },
        { identity: 'legacy', expected: { kind: 'stopped', layer: 'mtls', reason: 'alert_unknown_ca' } },
      ],
      aws: {
        profile: 'prod',
        region: 'ap-northeast-1',
        loadBalancerArn: 'arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/prod/50dc6c495c0c9188',
        listenerArn: 'arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/prod/50dc6c495c0c9188/f2f7dc8efc522ab2',
        webAclArn: 'arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/prod/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
        wafLogGroup: 'aws-waf-logs-prod',
        albLogs: 's3://bucket/prefix',
        albLogGroup: '/aws/vendedlogs/alb/prod',
        cloudFront: { distributionId: 'E2DX1SLDPK0123', connectionLogs: 'cloudfront-connection-logs' },
        apiGateway: { domainName: 'api.example.com', accessLogGroup: '/aws/apigateway/prod-access' },
        albLogsAthena: { database: 'alb_logs', connectionTable: 'alb_connection_logs', accessTable: 'alb_access_logs', workgroup: 'primary', outputLocation: 's3://athena-results/mtls-probe/' },
      },
      logs: '/workspace/logs',
    });
  });

  test('entry locations point at the entries, for code lenses and tests', () => {
    const config = parse(fullExample);
    assert.match(underlined(fullExample, config.identities[0]!.location), /^"partner": \{ "cert"/);
    assert.equal(config.identities[0]!.location.jsonPath, 'identities.partner');
    assert.match(underlined(fullExample, config.endpoints[0]!.location), /^\{\n {4}"name": "prod-api"/);
    assert.equal(config.endpoints[0]!.location.jsonPath, 'endpoints[0]');
    const expectation = config.endpoints[0]!.expectations[1]!;
    assert.equal(expectation.location.jsonPath, 'endpoints[0].expect.partner');
    assert.equal(underlined(fullExample, expectation.location), '"partner": 200');
  });

  test('path references carry the place each path is written', () => {
    const config = parse(fullExample);
    const written = (config.pathReferences ?? []).map((r) => [r.jsonPath, r.written, underlined(fullExample, r), r.expects]);
    assert.deepEqual(written, [
      ['identities.partner.cert', 'certs/client.pem', '"certs/client.pem"', 'file'],
      ['identities.partner.key', 'certs/client.key', '"certs/client.key"', 'file'],
      ['identities.legacy.pfx', 'certs/legacy.p12', '"certs/legacy.p12"', 'file'],
      ['identities.combined.cert', '/etc/mtls/combined.pem', '"/etc/mtls/combined.pem"', 'file'],
      ['trustStores.alb', 'pki/ca-bundle.pem', '"pki/ca-bundle.pem"', 'file'],
      ['endpoints[0].ca', 'certs/server-ca.pem', '"certs/server-ca.pem"', 'file'],
      ['endpoints[0].logs', 'logs/', '"logs/"', 'file-or-folder'],
    ]);
  });

  test('defaults: "none" and every identity in config order, the system store, verification on', () => {
    const config = parse(`{
      "identities": { "b": { "pfx": "b.p12" }, "a": { "cert": "a.pem", "key": "a.key" } },
      "endpoints": [ { "name": "e", "url": "https://e.example:8443/x", "ca": "system" } ]
    }`);
    assert.deepEqual(config.problems, []);
    const endpoint = config.endpoints[0]!;
    assert.deepEqual(endpoint.identities, ['none', 'b', 'a']);
    assert.equal(endpoint.caFile, undefined);
    assert.equal(endpoint.insecure, false);
    assert.deepEqual(endpoint.expectations, []);
    assert.equal('connectTo' in endpoint, false);
  });

  test('connectTo: host, host:port, [v6]:port and a bare IPv6 address; the port defaults to the URL\'s', () => {
    const cases: [string, string, { host: string; port: number }][] = [
      ['https://e.example/', 'lb.internal', { host: 'lb.internal', port: 443 }],
      ['https://e.example:8443/', '203.0.113.10', { host: '203.0.113.10', port: 8443 }],
      ['https://e.example/', '203.0.113.10:9443', { host: '203.0.113.10', port: 9443 }],
      ['https://e.example:8443/', '[2001:db8::1]', { host: '2001:db8::1', port: 8443 }],
      ['https://e.example/', '[2001:db8::1]:4443', { host: '2001:db8::1', port: 4443 }],
      ['https://e.example/', '::1', { host: '::1', port: 443 }],
    ];
    for (const [url, connectTo, expected] of cases) {
      const config = parse(`{ "endpoints": [ { "name": "e", "url": ${JSON.stringify(url)}, "connectTo": ${JSON.stringify(connectTo)} } ] }`);
      assert.deepEqual(config.problems, [], connectTo);
      assert.deepEqual(config.endpoints[0]?.connectTo, expected, connectTo);
    }
    for (const bad of ['a b', 'host:0', 'host:70000', 'host:', '2001:db8::1:443:x', '[not-v6]:443', 'h/x']) {
      const config = parse(`{ "endpoints": [ { "name": "e", "url": "https://e.example/", "connectTo": ${JSON.stringify(bad)} } ] }`);
      assert.equal(config.endpoints.length, 0, bad);
      assert.match(problemAt(config, 'endpoints[0].connectTo').message, /"connectTo" is not an address/);
    }
  });

  test('an empty object is a valid config with nothing in it; comments and trailing commas are allowed', () => {
    assert.deepEqual(parse('{}').problems, []);
    assert.deepEqual(parse('// nothing yet\n{ /* none */ "endpoints": [], }').problems, []);
  });
});

describe('parseWorkspaceConfig: expectations', () => {
  const outcome = (value: string) => {
    const config = parse(oneEndpoint(`"expect": { "partner": ${value} }`));
    return { config, expectation: config.endpoints[0]?.expectations[0] };
  };

  test('a layer, "target", a status, or an object', () => {
    assert.deepEqual(outcome('"waf"').expectation?.expected, { kind: 'stopped', layer: 'waf' });
    assert.deepEqual(outcome('"target"').expectation?.expected, { kind: 'target' });
    assert.deepEqual(outcome('403').expectation?.expected, { kind: 'status', status: 403 });
    assert.deepEqual(outcome('{ "stoppedAt": "target", "status": 204 }').expectation?.expected, { kind: 'target', status: 204 });
    assert.deepEqual(outcome('{ "stoppedAt": "target" }').expectation?.expected, { kind: 'target' });
    assert.deepEqual(outcome('{ "stoppedAt": "tls", "reason": "server_name_mismatch" }').expectation?.expected, {
      kind: 'stopped',
      layer: 'tls',
      reason: 'server_name_mismatch',
    });
    for (const value of ['"waf"', '"target"', '403', '{ "stoppedAt": "target", "status": 204 }']) assert.deepEqual(outcome(value).config.problems, [], value);
  });

  test('a bad expectation is dropped with an error naming the value; its endpoint stays', () => {
    const cases: [value: string, jsonPath: string, message: RegExp][] = [
      ['"ssl"', 'endpoints[0].expect.partner', /must be a layer, "target" or an HTTP status; found "ssl"\. This expectation is dropped\./],
      ['"200"', 'endpoints[0].expect.partner', /found "200"/],
      ['99', 'endpoints[0].expect.partner', /whole number from 100 to 599; found 99\./],
      ['200.5', 'endpoints[0].expect.partner', /found 200\.5\./],
      ['true', 'endpoints[0].expect.partner', /found true\./],
      ['null', 'endpoints[0].expect.partner', /found null\./],
      ['["mtls"]', 'endpoints[0].expect.partner', /found a list\./],
      ['{ "reason": "x" }', 'endpoints[0].expect.partner', /has no "stoppedAt"/],
      ['{ "stoppedAt": "MTLS" }', 'endpoints[0].expect.partner.stoppedAt', /found "MTLS"/],
      ['{ "stoppedAt": "target", "reason": "target_responded" }', 'endpoints[0].expect.partner.reason', /"reason" applies to a layer/],
      ['{ "stoppedAt": "mtls", "status": 400 }', 'endpoints[0].expect.partner.status', /"status" applies to "stoppedAt": "target"/],
      ['{ "stoppedAt": "mtls", "reason": "Alert Unknown CA" }', 'endpoints[0].expect.partner.reason', /verdict reason code; found "Alert Unknown CA"/],
      ['{ "stoppedAt": "target", "status": "200" }', 'endpoints[0].expect.partner.status', /found "200"/],
    ];
    for (const [value, jsonPath, message] of cases) {
      const { config } = outcome(value);
      assert.equal(config.endpoints.length, 1, value);
      assert.deepEqual(config.endpoints[0]!.expectations, [], value);
      const problem = problemAt(config, jsonPath);
      assert.equal(problem.severity, 'error', value);
      assert.match(problem.message, message, value);
      assert.ok(problem.fix.length > 0);
    }
  });

  test('fixes suggest what was probably meant', () => {
    assert.match(problemAt(outcome('"MTLS"').config, 'endpoints[0].expect.partner').fix, /Did you mean "mtls"\?/);
    assert.match(problemAt(outcome('"200"').config, 'endpoints[0].expect.partner').fix, /as a number, without quotes: 200/);
    assert.match(problemAt(outcome('{ "stoppedAt": "mtls", "status": 400 }').config, 'endpoints[0].expect.partner.status').fix, /number alone \(e\.g\. 400\)/);
  });

  test('keys must be "none" or a loaded identity; the others are dropped', () => {
    const text = `{
      "identities": { "partner": { "cert": "c.pem" }, "broken": { "key": "k.pem" } },
      "endpoints": [ { "name": "e", "url": "https://e.example/",
        "expect": { "none": "mtls", "partnr": 200, "broken": 200, "partner": "target" } } ]
    }`;
    const config = parse(text);
    assert.deepEqual(config.endpoints[0]!.expectations.map((e) => e.identity), ['none', 'partner']);
    const misspelt = problemAt(config, 'endpoints[0].expect.partnr');
    assert.equal(misspelt.severity, 'error');
    assert.equal(underlined(text, misspelt), '"partnr"');
    assert.match(misspelt.message, /identity "partnr" is not defined\. This expectation is dropped\./);
    assert.match(misspelt.fix, /Did you mean "partner"\?/);
    const broken = problemAt(config, 'endpoints[0].expect.broken');
    assert.equal(broken.severity, 'error');
    assert.match(broken.message, /skipped because its definition has an error \(see identities\.broken\)/);
  });

  test('an expectation for an identity the endpoint does not probe is a warning and is dropped', () => {
    const config = parse(oneEndpoint('"identities": ["none"], "expect": { "none": "mtls", "partner": "target" }'));
    assert.deepEqual(config.endpoints[0]!.expectations.map((e) => e.identity), ['none']);
    const problem = problemAt(config, 'endpoints[0].expect.partner');
    assert.equal(problem.severity, 'warning');
    assert.match(problem.fix, /Add "partner" to "identities"/);
  });

  test('describeExpectedOutcome', () => {
    assert.equal(describeExpectedOutcome({ kind: 'stopped', layer: 'mtls' }), 'mtls');
    assert.equal(describeExpectedOutcome({ kind: 'stopped', layer: 'mtls', reason: 'alert_certificate_required' }), 'mtls (alert_certificate_required)');
    assert.equal(describeExpectedOutcome({ kind: 'target' }), 'target');
    assert.equal(describeExpectedOutcome({ kind: 'target', status: 200 }), 'target with HTTP 200');
    assert.equal(describeExpectedOutcome({ kind: 'status', status: 400 }), 'HTTP 400');
  });
});

describe('parseWorkspaceConfig: a bad entry disables that entry only', () => {
  test('identities with neither cert nor pfx, both, a key with pfx, a bad path, or the reserved name are left out', () => {
    const text = `{ "identities": {
      "ok": { "cert": "ok.pem", "key": "ok.key" },
      "neither": {},
      "keyOnly": { "key": "k.pem" },
      "both": { "cert": "c.pem", "pfx": "c.p12" },
      "pfxKey": { "pfx": "c.p12", "key": "c.key" },
      "badCert": { "cert": 42, "key": "k.pem" },
      "emptyPfx": { "pfx": "  " },
      "notObject": "c.pem",
      "none": { "cert": "c.pem" },
      "ok": { "pfx": "again.p12" },
    } }`;
    const config = parse(text);
    assert.deepEqual(config.identities.map((i) => i.name), ['ok']);
    assert.equal(config.identities[0]!.kind, 'pem');
    const expectations: [string, RegExp][] = [
      ['identities.neither', /identity "neither" has neither "cert" nor "pfx"\. Identity "neither" is skipped\./],
      ['identities.keyOnly', /has a "key" but no "cert"/],
      ['identities.both.pfx', /has both "cert" and "pfx"/],
      ['identities.pfxKey.key', /"key" is not used with "pfx"/],
      ['identities.badCert.cert', /"cert" must be a file path; found 42\. Identity "badCert" is skipped\./],
      ['identities.emptyPfx.pfx', /"pfx" must be a file path; found " {2}"/],
      ['identities.notObject', /found "c\.pem"/],
      ['identities.none', /"none" cannot name an identity/],
      ['identities.ok', /defined twice; the first definition is used/],
    ];
    for (const [jsonPath, message] of expectations) {
      const problem = problemAt(config, jsonPath);
      assert.equal(problem.severity, 'error', jsonPath);
      assert.match(problem.message, message, jsonPath);
    }
    assert.equal(errors(config).length, expectations.length);
  });

  test('the default identities of an endpoint leave out the skipped ones', () => {
    const config = parse('{ "identities": { "a": { "cert": "a.pem" }, "b": {} }, "endpoints": [ { "name": "e", "url": "https://e.example/" } ] }');
    assert.deepEqual(config.endpoints[0]!.identities, ['none', 'a']);
  });

  test('endpoints without a valid https URL or with a duplicate name are left out; the others load', () => {
    const text = `{ "endpoints": [
      { "name": "ok", "url": "https://ok.example/" },
      { "name": "plain", "url": "http://plain.example/" },
      { "name": "relative", "url": "/health" },
      { "name": "spaces", "url": "https://a b/" },
      { "name": "nourl" },
      { "url": "https://noname.example/" },
      { "name": "", "url": "https://emptyname.example/" },
      { "name": "ok", "url": "https://again.example/" },
      "https://string.example/",
      { "name": "numberurl", "url": 443 },
      { "name": "ok2", "url": "HTTPS://upper.example:8443/x?y#z" },
    ] }`;
    const config = parse(text);
    assert.deepEqual(config.endpoints.map((e) => e.name), ['ok', 'ok2']);
    assert.match(problemAt(config, 'endpoints[1].url').message, /"url" must be an https:\/\/ URL; found "http:\/\/plain\.example\/"\. Endpoint "plain" is skipped\./);
    assert.match(problemAt(config, 'endpoints[1].url').fix, /use https:\/\//);
    assert.match(problemAt(config, 'endpoints[2].url').message, /found "\/health"/);
    assert.match(problemAt(config, 'endpoints[3].url').message, /found "https:\/\/a b\/"/);
    assert.match(problemAt(config, 'endpoints[4]').message, /endpoint "nourl" has no "url"/);
    assert.match(problemAt(config, 'endpoints[5]').message, /endpoints\[5\] has no "name"\. endpoints\[5\] is skipped\./);
    assert.equal(underlined(text, problemAt(config, 'endpoints[5]')), '{');
    assert.match(problemAt(config, 'endpoints[6].name').message, /non-empty string; found ""/);
    assert.match(problemAt(config, 'endpoints[7].name').message, /"ok" is already used by endpoints\[0\]; this one is skipped/);
    assert.match(problemAt(config, 'endpoints[8]').message, /must be an object with "name" and "url"; found "https:\/\/string\.example\/"/);
    assert.match(problemAt(config, 'endpoints[9].url').message, /found 443\./);
    assert.ok(config.problems.every((p) => p.severity === 'error'));
  });

  // Where the request goes, what is verified and what is sent: a probe without the field would test something else.
  const disablingFields: [member: string, jsonPath: string][] = [
    ['"ca": 42', 'endpoints[0].ca'],
    ['"ca": ""', 'endpoints[0].ca'],
    ['"insecure": "yes"', 'endpoints[0].insecure'],
    ['"connectTo": "a b"', 'endpoints[0].connectTo'],
    ['"serverName": "10.0.0.1"', 'endpoints[0].serverName'],
    ['"serverName": "https://api.example.com"', 'endpoints[0].serverName'],
    ['"hostHeader": "a b"', 'endpoints[0].hostHeader'],
    ['"tlsMin": "1.1"', 'endpoints[0].tlsMin'],
    ['"tlsMax": 1.3', 'endpoints[0].tlsMax'],
    ['"tlsMin": "1.3", "tlsMax": "1.2"', 'endpoints[0].tlsMax'],
    ['"alpn": ["h2", 2]', 'endpoints[0].alpn'],
    ['"alpn": "h2"', 'endpoints[0].alpn'],
    ['"method": "GE T"', 'endpoints[0].method'],
    ['"headers": ["X-Test: 1"]', 'endpoints[0].headers'],
    ['"headers": { "X Test": "1" }', 'endpoints[0].headers["X Test"]'],
    ['"headers": { "X-Test": 1 }', 'endpoints[0].headers.X-Test'],
    ['"headers": { "X-Test": "a\\r\\nInjected: 1" }', 'endpoints[0].headers.X-Test'],
    ['"headers": { "Transfer-Encoding": "chunked" }', 'endpoints[0].headers.Transfer-Encoding'],
    // Which values to keep secret: a probe that cannot tell would print one.
    ['"secretHeaders": "X-Tenant-Token"', 'endpoints[0].secretHeaders'],
    ['"secretHeaders": ["X Tenant Token"]', 'endpoints[0].secretHeaders[0]'],
    ['"secretHeaders": ["X-Tenant-Token", 7]', 'endpoints[0].secretHeaders[1]'],
  ];
  for (const [member, jsonPath] of disablingFields) {
    test(`${member} leaves the endpoint out`, () => {
      const config = parse(oneEndpoint(member));
      assert.deepEqual(config.endpoints, []);
      const problem = problemAt(config, jsonPath);
      assert.equal(problem.severity, 'error');
      assert.match(problem.message, /Endpoint "e" is skipped\.$/);
    });
  }

  // The wait and the evidence: the probe itself is the one written, so the field is dropped and the endpoint runs.
  const droppedFields: [member: string, jsonPath: string, dropped: keyof EndpointConfig | 'aws.region'][] = [
    ['"timeoutMs": 0', 'endpoints[0].timeoutMs', 'timeoutMs'],
    ['"timeoutMs": 1.5', 'endpoints[0].timeoutMs', 'timeoutMs'],
    ['"timeoutMs": "10s"', 'endpoints[0].timeoutMs', 'timeoutMs'],
    ['"timeoutMs": 600001', 'endpoints[0].timeoutMs', 'timeoutMs'],
    ['"aws": "prod"', 'endpoints[0].aws', 'aws'],
    ['"aws": { "region": "Tokyo" }', 'endpoints[0].aws.region', 'aws.region'],
    ['"logs": 7', 'endpoints[0].logs', 'logs'],
  ];
  for (const [member, jsonPath, dropped] of droppedFields) {
    test(`${member} is dropped; the endpoint stays`, () => {
      const config = parse(oneEndpoint(member));
      assert.equal(config.endpoints.length, 1);
      const endpoint = config.endpoints[0]!;
      if (dropped === 'aws.region') assert.deepEqual(endpoint.aws, {});
      else assert.equal(endpoint[dropped], undefined);
      const problem = problemAt(config, jsonPath);
      assert.equal(problem.severity, 'error');
      assert.match(problem.message, /It is ignored/);
    });
  }

  test('a bad "identities" list falls back to every identity; bad names in it are dropped', () => {
    const notList = parse(oneEndpoint('"identities": "none"'));
    assert.deepEqual(notList.endpoints[0]!.identities, ['none', 'partner']);
    assert.match(problemAt(notList, 'endpoints[0].identities').message, /It is ignored: the endpoint is probed with "none" and every identity\./);

    const text = oneEndpoint('"identities": ["partner", "partnr", 3, "partner"]');
    const badNames = parse(text);
    assert.deepEqual(badNames.endpoints[0]!.identities, ['partner']);
    assert.equal(problemAt(badNames, 'endpoints[0].identities[1]').severity, 'error');
    assert.match(problemAt(badNames, 'endpoints[0].identities[1]').fix, /Did you mean "partner"\?/);
    assert.equal(problemAt(badNames, 'endpoints[0].identities[2]').severity, 'error');
    assert.equal(problemAt(badNames, 'endpoints[0].identities[3]').severity, 'warning');

    const empty = parse(oneEndpoint('"identities": []'));
    assert.deepEqual(empty.endpoints[0]!.identities, []);
    assert.match(problemAt(empty, 'endpoints[0].identities').message, /never probed/);
  });

  test('trust stores: a bad path leaves that store out', () => {
    const config = parse('{ "trustStores": { "good": "ca.pem", "bad": ["ca.pem"], "": "x.pem", "good": "other.pem" } }');
    assert.deepEqual(config.trustStores.map((t) => t.name), ['good']);
    assert.match(problemAt(config, 'trustStores.bad').message, /found a list\. Trust store "bad" is skipped\./);
    assert.equal(errors(config).length, 3);
  });

  test('wrong types for the top-level lists', () => {
    const config = parse('{ "identities": [], "trustStores": "ca.pem", "endpoints": { "name": "e" } }');
    assert.match(problemAt(config, 'identities').message, /"identities" must be an object .*found a list\. No identity is loaded\./);
    assert.match(problemAt(config, 'trustStores').message, /found "ca\.pem"/);
    assert.match(problemAt(config, 'endpoints').message, /"endpoints" must be a list of endpoints; found an object/);
  });

  test('headers: the correlation id is the probe\'s own; names are case-insensitive', () => {
    const config = parse(oneEndpoint('"headers": { "X-Amzn-Trace-Id": "Root=1", "x-test": "1", "X-Test": "2" }'));
    assert.deepEqual(config.endpoints[0]!.headers, { 'x-test': '1' });
    assert.equal(problemAt(config, 'endpoints[0].headers.X-Amzn-Trace-Id').severity, 'warning');
    assert.equal(problemAt(config, 'endpoints[0].headers.X-Test').severity, 'warning');
  });

  test('secretHeaders: header names, kept as written; a name given twice is a warning', () => {
    const config = parse(oneEndpoint('"secretHeaders": ["X-Tenant-Token", "x-tenant-token", "X-Session"], "headers": { "X-Tenant-Token": "t0k3n-value" }'));
    assert.deepEqual(config.endpoints[0]!.secretHeaders, ['X-Tenant-Token', 'X-Session']);
    const twice = problemAt(config, 'endpoints[0].secretHeaders[1]');
    assert.equal(twice.severity, 'warning');
    assert.match(twice.message, /"x-tenant-token" is listed twice/);
    assert.deepEqual(errors(config), []);
    assert.deepEqual(parse(oneEndpoint('"secretHeaders": []')).endpoints[0]!.secretHeaders, []);
    assert.equal(parse(oneEndpoint('')).endpoints[0]!.secretHeaders, undefined);
  });

  test('secretHeaders: a bad name says why the endpoint is skipped', () => {
    const config = parse(oneEndpoint('"secretHeaders": ["X Tenant"]'));
    const problem = problemAt(config, 'endpoints[0].secretHeaders[0]');
    assert.equal(problem.message, '"secretHeaders" must list HTTP header names; found "X Tenant". Endpoint "e" is skipped.');
    assert.match(problem.fix, /e\.g\. \["X-Tenant-Token"\]/);
    assert.match(problemAt(parse(oneEndpoint('"secretHeaders": {}')), 'endpoints[0].secretHeaders').message, /"secretHeaders" must be a list of header names; found an object\. Endpoint "e" is skipped\./);
  });

  test('a secret header\'s bad value is not repeated in the problem: only its length', () => {
    for (const [members, name] of [
      ['"headers": { "Authorization": "Bearer canary-1f3a\\r\\nX: 1" }', 'Authorization'],
      ['"secretHeaders": ["X-Tenant-Token"], "headers": { "X-Tenant-Token": "canary-1f3a\\nX: 1" }', 'X-Tenant-Token'],
    ] as const) {
      const text = oneEndpoint(members);
      const config = parse(text);
      const problem = problemAt(config, `endpoints[0].headers.${name}`);
      assert.doesNotMatch(JSON.stringify(config.problems), /canary-1f3a/, text);
      assert.match(problem.message, /found \[redacted, \d+ bytes\] \(a secret header's value is not shown\)\. Endpoint "e" is skipped\./);
    }
    // Other headers' values are quoted, as they were.
    assert.match(problemAt(parse(oneEndpoint('"headers": { "X-Test": "a\\r\\nb" }')), 'endpoints[0].headers.X-Test').message, /found "a/);
  });

  test('aws: an ARN in another region than "region" is a warning', () => {
    const config = parse(
      oneEndpoint('"aws": { "region": "us-east-1", "loadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1", "webAclArn": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1" }'),
    );
    assert.equal(config.endpoints[0]!.aws?.loadBalancerArn?.split(':')[3], 'eu-west-1');
    const problem = problemAt(config, 'endpoints[0].aws.loadBalancerArn');
    assert.equal(problem.severity, 'warning');
    assert.match(problem.message, /in region "eu-west-1", but "region" is "us-east-1"/);
    assert.equal(config.problems.length, 1);
  });

  test('"ca" with "insecure": true is a warning', () => {
    const config = parse(oneEndpoint('"ca": "ca.pem", "insecure": true'));
    assert.equal(config.endpoints[0]!.insecure, true);
    assert.equal(problemAt(config, 'endpoints[0].ca').severity, 'warning');
  });
});

describe('parseWorkspaceConfig: unknown properties', () => {
  test('warn with the closest known name, and the entry still loads', () => {
    const text = oneEndpoint('"ulr": "https://x.example/", "timeout": 5, "cacert": "ca.pem", "zzzzzz": 1');
    const config = parse(text);
    assert.equal(config.endpoints.length, 1);
    const ulr = problemAt(config, 'endpoints[0].ulr');
    assert.equal(ulr.severity, 'warning');
    assert.equal(ulr.message, 'unknown property "ulr" in endpoints[0].');
    assert.equal(underlined(text, ulr), '"ulr"');
    assert.match(ulr.fix, /^Did you mean "url"\? Known properties: "name", "url", "ca",/);
    assert.match(problemAt(config, 'endpoints[0].timeout').fix, /^Did you mean "timeoutMs"\?/);
    assert.match(problemAt(config, 'endpoints[0].cacert').fix, /^Did you mean "ca"\?/);
    assert.match(problemAt(parse(oneEndpoint('"secret-headers": ["X-Tenant-Token"]')), 'endpoints[0].secret-headers').fix, /^Did you mean "secretHeaders"\?/);
    assert.match(problemAt(config, 'endpoints[0].zzzzzz').fix, /^Remove it, or use a known property: "name"/);
    assert.ok(config.problems.every((p) => p.severity === 'warning'));
  });

  test('at the top level, in identities, expectations and aws', () => {
    const config = parse(`{
      "endpoint": [],
      "identities": { "p": { "cert": "c.pem", "passphrase": "hunter2" } },
      "endpoints": [ { "name": "e", "url": "https://e.example/", "expect": { "p": { "stoppedAt": "mtls", "resaon": "x" } }, "aws": { "regoin": "us-east-1" } } ]
    }`);
    assert.equal(problemAt(config, 'endpoint').message, 'unknown property "endpoint" at the top level.');
    assert.match(problemAt(config, 'endpoint').fix, /Did you mean "endpoints"\?/);
    assert.match(problemAt(config, 'identities.p.passphrase').fix, /secrets do not belong in the workspace/);
    assert.match(problemAt(config, 'endpoints[0].expect.p.resaon').fix, /Did you mean "reason"\?/);
    assert.match(problemAt(config, 'endpoints[0].aws.regoin').fix, /Did you mean "region"\?/);
    assert.deepEqual(errors(config), []);
    assert.equal(config.identities.length, 1);
    assert.equal(config.endpoints[0]!.expectations.length, 1);
  });

  test('a property written twice: a warning, the first one counts', () => {
    const config = parse('{ "endpoints": [ { "name": "e", "url": "https://one.example/", "url": "https://two.example/" } ] }');
    assert.equal(config.endpoints[0]!.url, 'https://one.example/');
    assert.match(problemAt(config, 'endpoints[0].url').message, /appears twice in endpoints\[0\]; the first one is used/);
  });

  test('"$schema" is allowed', () => {
    assert.deepEqual(parse('{ "$schema": "./schemas/mtls-probe.schema.json" }').problems, []);
  });
});

describe('parseWorkspaceConfig: locations and syntax', () => {
  test('problems carry the JSON path and underline the offending value', () => {
    const text = `{
  "identities": { "partner": { "cert": 42 } },
  "endpoints": [
    { "name": "a", "url": "https://a.example/" },
    { "name": "b", "url": "https://b.example/", "ca": 42, "expect": { "none": "sometimes" } }
  ]
}`;
    const config = parse(text);
    const cert = problemAt(config, 'identities.partner.cert');
    assert.equal(underlined(text, cert), '42');
    assert.equal(cert.file, '/workspace/.vscode/mtls-probe.json');
    const ca = problemAt(config, 'endpoints[1].ca');
    assert.equal(underlined(text, ca), '42');
    assert.equal(ca.message, '"ca" must be a file path or "system"; found 42. Endpoint "b" is skipped.');
    assert.equal(ca.fix, 'Give the path of a PEM bundle relative to the workspace folder, or "system".');
    assert.equal(underlined(text, problemAt(config, 'endpoints[1].expect.none')), '"sometimes"');
    // Sorted by place in the file.
    assert.deepEqual(
      config.problems.map((p) => p.offset),
      [...config.problems.map((p) => p.offset)].sort((a, b) => a - b),
    );
  });

  test('names that are not identifiers are quoted in the JSON path', () => {
    const config = parse('{ "identities": { "my partner": { "cert": 1 } } }');
    assert.equal(config.problems[0]?.jsonPath, 'identities["my partner"].cert');
  });

  test('a syntax error is an error with its place; an entry holding one is left out, the rest load', () => {
    const text = `{
  "identities": { "a": { "cert": "a.pem" }, "b": { "cert" "b.pem" } },
  "endpoints": [
    { "name": "good", "url": "https://good.example/" },
    { "name": "bad", "url": "https://bad.example/" "ca": "x.pem" },
  ]
}`;
    const config = parse(text);
    assert.deepEqual(config.identities.map((i) => i.name), ['a']);
    assert.deepEqual(config.endpoints.map((e) => e.name), ['good']);
    const syntax = config.problems.filter((p) => p.message.startsWith('JSON syntax error'));
    assert.equal(syntax.length, 2);
    assert.ok(syntax.every((p) => p.severity === 'error'));
    assert.match(syntax[0]!.message, /expected a colon after the property name; found "\\"b\.pem\\""/);
    assert.equal(syntax[0]!.jsonPath, 'identities.b.cert');
    assert.match(syntax[1]!.message, /expected a comma/);
    assert.equal(underlined(text, syntax[1]!), '"ca"');
  });

  test('an unclosed file leaves out the unfinished entry', () => {
    const config = parse('{ "endpoints": [ { "name": "a", "url": "https://a.example/" }, { "name": "b", "url": "https://b.ex');
    assert.deepEqual(config.endpoints.map((e) => e.name), ['a']);
    assert.ok(errors(config).length > 0);
    assert.ok(config.problems.every((p) => p.offset + p.length <= 200));
  });

  test('a root that is not an object gives an empty config with that problem', () => {
    for (const [text, found] of [
      ['[]', 'a list'],
      ['"endpoints"', '"endpoints"'],
      ['42', '42'],
      ['null', 'null'],
    ] as const) {
      const config = parse(text);
      assert.deepEqual([config.identities, config.endpoints, config.trustStores], [[], [], []]);
      assert.equal(config.problems.length, 1, text);
      assert.equal(config.problems[0]!.message, `the config must be a JSON object; found ${found}.`);
      assert.equal(config.problems[0]!.jsonPath, '');
    }
  });

  test('an empty file is a warning; text that is not JSON is an error', () => {
    const empty = parse('  // just a comment\n');
    assert.equal(empty.problems.length, 1);
    assert.equal(empty.problems[0]!.severity, 'warning');
    const garbage = parse('identities: none');
    assert.ok(errors(garbage).length > 0);
    assert.deepEqual(garbage.endpoints, []);
  });

  test('a byte-order mark keeps offsets in place', () => {
    const text = '\uFEFF{ "endpoints": [ { "name": "e", "url": "https://e.example/", "ca": 1 } ] }';
    const config = parse(text);
    assert.equal(underlined(text, problemAt(config, 'endpoints[0].ca')), '1');
    assert.equal(config.problems.length, 1);
  });

  test('many syntax errors are capped', () => {
    const config = parse(`{ ${'@ '.repeat(500)} }`);
    assert.ok(config.problems.length <= 21, String(config.problems.length));
    assert.match(config.problems.at(-1)!.message, /more syntax errors/);
  });

  test('deep nesting does not throw', () => {
    for (const text of ['['.repeat(100_000), `{"endpoints":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, '{"a":'.repeat(30_000)]) {
      const config = parse(text);
      assert.ok(errors(config).length > 0);
      for (const p of config.problems) assert.ok(p.offset >= 0 && p.offset + p.length <= text.length);
    }
  });
});

describe('parseWorkspaceConfig never throws (fast-check)', () => {
  const jsonish = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc
      .array(fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '/', '*', '//', '/*', '*/', '\\', '\n', ' ', 'a', '1', '-', '.', 'e', 'true', 'null', '\uFEFF', '\u2028'), {
        maxLength: 12,
      })
      .map((parts) => parts.join('')),
  );

  function checkInvariants(text: string): void {
    const config = parseWorkspaceConfig(text, configFile, folder);
    for (const p of config.problems) {
      assert.ok(Number.isInteger(p.offset) && Number.isInteger(p.length), JSON.stringify(p));
      assert.ok(p.offset >= 0 && p.length >= 0 && p.offset + p.length <= text.length, JSON.stringify(p));
      assert.ok(p.severity === 'error' || p.severity === 'warning');
      assert.ok(p.message.length > 0 && p.fix.length > 0);
      assert.equal(typeof p.jsonPath, 'string');
    }
    const identityNames = new Set(config.identities.map((i) => i.name));
    assert.equal(identityNames.size, config.identities.length);
    assert.equal(identityNames.has('none'), false);
    const endpointNames = new Set(config.endpoints.map((e) => e.name));
    assert.equal(endpointNames.size, config.endpoints.length);
    for (const endpoint of config.endpoints) {
      assert.equal(new URL(endpoint.url).protocol, 'https:');
      for (const identity of endpoint.identities) assert.ok(identity === 'none' || identityNames.has(identity), identity);
      for (const expectation of endpoint.expectations) assert.ok(endpoint.identities.includes(expectation.identity));
    }
  }

  test('random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), jsonish), (text) => checkInvariants(text)),
      { numRuns: 400 },
    );
  });

  test('random edits of a valid config', () => {
    const edit = fc.record({ at: fc.nat({ max: fullExample.length }), remove: fc.nat({ max: 10 }), insert: jsonish });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
        let text = fullExample;
        for (const { at, remove, insert } of edits) {
          const position = Math.min(at, text.length);
          text = text.slice(0, position) + insert + text.slice(position + remove);
        }
        checkInvariants(text);
      }),
      { numRuns: 400 },
    );
  });

  test('random values at the places the format defines', () => {
    const places: JSONPath[] = [
      ['identities'],
      ['identities', 'partner'],
      ['identities', 'partner', 'cert'],
      ['identities', 'legacy', 'key'],
      ['identities', 'none'],
      ['trustStores', 'alb'],
      ['endpoints'],
      ['endpoints', 0],
      ['endpoints', 0, 'name'],
      ['endpoints', 0, 'url'],
      ['endpoints', 0, 'ca'],
      ['endpoints', 0, 'connectTo'],
      ['endpoints', 0, 'tlsMin'],
      ['endpoints', 0, 'alpn'],
      ['endpoints', 0, 'headers'],
      ['endpoints', 0, 'headers', 'X-Test'],
      ['endpoints', 0, 'identities'],
      ['endpoints', 0, 'identities', 1],
      ['endpoints', 0, 'expect'],
      ['endpoints', 0, 'expect', 'partner'],
      ['endpoints', 0, 'expect', 'legacy', 'stoppedAt'],
      ['endpoints', 0, 'aws'],
      ['endpoints', 0, 'aws', 'region'],
      ['endpoints', 0, 'timeoutMs'],
      ['endpoints', 1],
    ];
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom('none', 'partner', 'mtls', 'target', 'https://x.example/', 'system', '1.3', '[::1]:1', 200, -1, 1e300),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...places), value), { minLength: 1, maxLength: 4 }), (changes) => {
        let text = fullExample;
        for (const [place, newValue] of changes) {
          try {
            text = applyEdits(text, modify(text, place, newValue, { formattingOptions: { insertSpaces: true, tabSize: 2 } }));
          } catch {
            // The place no longer exists in this shape (e.g. "endpoints" became a string): keep the text.
          }
        }
        checkInvariants(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkConfigPaths and loadWorkspaceConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mtls-probe-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a missing path is a warning that underlines it; a folder where a file belongs too', async () => {
    const workspace = join(dir, 'paths');
    await mkdir(join(workspace, 'certs'), { recursive: true });
    await mkdir(join(workspace, 'logs'), { recursive: true });
    await mkdir(join(workspace, 'legacy.p12'), { recursive: true });
    await writeFile(join(workspace, 'certs', 'client.pem'), 'x');
    const text = `{
      "identities": { "p": { "cert": "certs/client.pem", "key": "certs/client.key" }, "l": { "pfx": "legacy.p12" } },
      "endpoints": [ { "name": "e", "url": "https://e.example/", "logs": "logs", "ca": "certs/client.pem" } ]
    }`;
    const config = parseWorkspaceConfig(text, configFile, workspace);
    assert.deepEqual(config.problems, []);
    const problems = await checkConfigPaths(config);
    assert.equal(problems.length, 2);
    const [key, pfx] = problems;
    assert.equal(key!.severity, 'warning');
    assert.equal(key!.jsonPath, 'identities.p.key');
    assert.equal(underlined(text, key!), '"certs/client.key"');
    assert.equal(key!.message, `"certs/client.key" (${join(workspace, 'certs', 'client.key')}) does not exist.`);
    assert.match(key!.fix, /relative to the workspace folder/);
    assert.equal(pfx!.jsonPath, 'identities.l.pfx');
    assert.match(pfx!.message, /is a folder, not a file/);
  });

  test('a config not parsed from text is checked at its entries', async () => {
    const config: WorkspaceConfig = {
      file: join(dir, 'x.json'),
      folder: dir,
      identities: [{ kind: 'pfx', name: 'p', pfxFile: join(dir, 'missing.p12'), location: { file: join(dir, 'x.json'), jsonPath: 'identities.p', offset: 5, length: 9 } }],
      endpoints: [],
      trustStores: [],
      problems: [],
    };
    const problems = await checkConfigPaths(config);
    assert.equal(problems.length, 1);
    assert.deepEqual([problems[0]!.jsonPath, problems[0]!.offset, problems[0]!.length], ['identities.p', 5, 9]);
  });

  test('loadWorkspaceConfig: null without a file; reads .vscode/mtls-probe.json and appends path warnings', async () => {
    const workspace = join(dir, 'load');
    await mkdir(workspace, { recursive: true });
    assert.equal(await loadWorkspaceConfig(workspace), null);
    await mkdir(join(workspace, '.vscode'));
    // Editors drop the byte-order mark: offsets count from after it.
    const text = '{ "trustStores": { "alb": "missing.pem" }, "endpoints": [ { "name": "e", "url": "https://e.example/", "ca": 5 } ] }';
    await writeFile(join(workspace, '.vscode', 'mtls-probe.json'), `\uFEFF${text}`);
    const config = await loadWorkspaceConfig(workspace);
    assert.ok(config);
    assert.equal(config.file, join(workspace, '.vscode', 'mtls-probe.json'));
    assert.equal(config.folder, workspace);
    assert.deepEqual(config.problems.map((p) => [p.severity, p.jsonPath, underlined(text, p)]), [
      ['warning', 'trustStores.alb', '"missing.pem"'],
      ['error', 'endpoints[0].ca', '5'],
    ]);
  });

  test('loadWorkspaceConfig: another file, relative to the folder', async () => {
    const workspace = join(dir, 'other');
    await mkdir(join(workspace, 'ci'), { recursive: true });
    await writeFile(join(workspace, 'ci', 'probe.jsonc'), '{ "endpoints": [ { "name": "e", "url": "https://e.example/" } ] }');
    const config = await loadWorkspaceConfig(workspace, 'ci/probe.jsonc');
    assert.equal(config?.file, join(workspace, 'ci', 'probe.jsonc'));
    assert.deepEqual(config?.endpoints.map((e) => e.name), ['e']);
    assert.equal(await loadWorkspaceConfig(workspace, 'ci/missing.jsonc'), null);
  });

  test('loadWorkspaceConfig: a read failure is a problem naming the file, not a throw', async () => {
    const workspace = join(dir, 'folder-config');
    await mkdir(join(workspace, '.vscode', 'mtls-probe.json'), { recursive: true });
    const config = await loadWorkspaceConfig(workspace);
    assert.ok(config);
    assert.equal(config.problems.length, 1);
    assert.equal(config.problems[0]!.severity, 'error');
    assert.match(config.problems[0]!.message, new RegExp(`${join(workspace, '.vscode', 'mtls-probe.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a folder`));

    // .vscode is a file: there is no config.
    const notDir = join(dir, 'vscode-file');
    await mkdir(notDir, { recursive: true });
    await writeFile(join(notDir, '.vscode'), '');
    assert.equal(await loadWorkspaceConfig(notDir), null);
  });
});

describe('starterConfigText', () => {
  test('the placeholder starter loads with no problems', () => {
    const text = starterConfigText();
    const config = parse(text);
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.endpoints.map((e) => e.url), ['https://api.example.com/health']);
    assert.match(text, /\/\/ {3}"partner": \{ "cert": "certs\/client\.pem", "key": "certs\/client\.key" \}/);
    assert.doesNotMatch(text, /\$schema/);
  });

  test('with a test PKI: its identities, the local endpoint and the trust store', () => {
    for (const [pkiDir, prefix] of [
      ['pki', 'pki/'],
      ['./pki/', 'pki/'],
      ['test\\pki', 'test/pki/'],
      ['.', ''],
      ['odd "name"', 'odd "name"/'],
    ] as const) {
      const config = parse(starterConfigText({ pkiDir }));
      assert.deepEqual(config.problems, [], pkiDir);
      const at = (name: string) => `/workspace/${prefix}${name}`;
      assert.deepEqual(
        config.identities.map((i) => (i.kind === 'pem' ? [i.name, i.certFile, i.keyFile] : [i.name])),
        [
          ['valid', at('valid.chain.pem'), at('valid.key')],
          ['expired', at('expired.chain.pem'), at('expired.key')],
          ['untrusted', at('untrusted.chain.pem'), at('untrusted.key')],
        ],
        pkiDir,
      );
      assert.deepEqual(config.trustStores.map((t) => t.file), [at('ca-bundle.pem')]);
      const endpoint = config.endpoints[0]!;
      assert.equal(endpoint.url, 'https://localhost:8443/');
      assert.equal(endpoint.caFile, at('root-ca.pem'));
      assert.deepEqual(
        endpoint.expectations.map((e) => [e.identity, describeExpectedOutcome(e.expected)]),
        [
          ['none', 'mtls'],
          ['valid', 'target'],
          ['expired', 'mtls'],
          ['untrusted', 'mtls'],
        ],
      );
    }
  });

  test('every file the PKI starter names is one the generator writes', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'mtls-probe-starter-'));
    try {
      await generatePki(join(workspace, 'pki'));
      await mkdir(join(workspace, '.vscode'));
      await writeFile(join(workspace, '.vscode', 'mtls-probe.json'), starterConfigText({ pkiDir: 'pki' }));
      const config = await loadWorkspaceConfig(workspace);
      assert.ok(config);
      assert.deepEqual(config.problems, []);
      assert.equal(config.pathReferences?.length, 8);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });
});

describe('the local lab starter', () => {
  test('it loads with no problems and points every identity and the logs at the lab folder', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'mtls-probe-lab-starter-'));
    const lab = await startLab({ dir: join(workspace, 'mtls-probe-lab') });
    try {
      await mkdir(join(workspace, '.vscode'));
      await writeFile(join(workspace, '.vscode', 'mtls-probe.json'), starterConfigText({ lab: { dir: 'mtls-probe-lab', port: 8443 } }));
      const config = await loadWorkspaceConfig(workspace);
      assert.ok(config);
      assert.deepEqual(config.problems, [], 'every file the starter names is one the lab writes');
      assert.deepEqual(config.identities.map((i) => i.name), ['valid', 'expired', 'untrusted', 'revoked']);
      assert.deepEqual(config.endpoints.map((e) => [e.name, e.url, e.logs]), [
        ['local-lab', 'https://localhost:8443/', lab.logs],
        ['local-lab-waf', 'https://localhost:8443/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E', lab.logs],
      ]);
      assert.equal(config.endpoints[0]!.caFile, lab.ca);
      // The expectations are the lab's own: what its identities must end with.
      for (const expectation of config.endpoints[0]!.expectations.filter((e) => e.identity !== 'none')) {
        const expected = lab.details[expectation.identity]!.expected;
        assert.deepEqual(expectation.expected, expected.stoppedAt === null ? { kind: 'target' } : { kind: 'stopped', layer: 'mtls', reason: expected.reason });
      }
    } finally {
      await lab.close();
      await rm(workspace, { recursive: true, force: true });
    }
  });
});

describe('the JSON Schema agrees with the parser', () => {
  const schema = builtSchema();

  test('the built schema is the one the field tables make (run npm run build after changing them)', () => {
    assert.deepEqual(schema, JSON.parse(JSON.stringify(workspaceConfigSchema())));
  });

  const { validate, accepts: schemaAccepts } = schemaValidator(schema);

  test('accepts the starter configs and the full example', () => {
    for (const text of [starterConfigText(), starterConfigText({ pkiDir: 'pki' }), starterConfigText({ lab: { dir: 'mtls-probe-lab', port: 8443 } }), fullExample, '{}']) {
      assert.ok(schemaAccepts(text), `${JSON.stringify(validate.errors)}\n${text}`);
      assert.deepEqual(errors(parse(text)), []);
    }
  });

  const badConfigs: [what: string, text: string][] = [
    ['an identity with neither cert nor pfx', '{ "identities": { "p": {} } }'],
    ['an identity with cert and pfx', '{ "identities": { "p": { "cert": "c.pem", "pfx": "c.p12" } } }'],
    ['an identity with key and pfx', '{ "identities": { "p": { "key": "c.key", "pfx": "c.p12" } } }'],
    ['an identity named none', '{ "identities": { "none": { "cert": "c.pem" } } }'],
    ['a cert that is not a string', '{ "identities": { "p": { "cert": 42 } } }'],
    ['a trust store that is not a path', '{ "trustStores": { "alb": ["ca.pem"] } }'],
    ['identities as a list', '{ "identities": [] }'],
    ['endpoints as an object', '{ "endpoints": {} }'],
    ['a root that is a list', '[]'],
    ['an endpoint without url', '{ "endpoints": [ { "name": "e" } ] }'],
    ['an endpoint without name', '{ "endpoints": [ { "url": "https://e.example/" } ] }'],
    ['an http URL', oneEndpoint('').replace('https://e.example/', 'http://e.example/')],
    ['a URL without scheme', oneEndpoint('').replace('https://e.example/', 'e.example')],
    ['ca that is a number', oneEndpoint('"ca": 42')],
    ['insecure as a string', oneEndpoint('"insecure": "true"')],
    ['connectTo with a space', oneEndpoint('"connectTo": "a b"')],
    ['serverName that is an IP address', oneEndpoint('"serverName": "10.0.0.1"')],
    ['hostHeader with a space', oneEndpoint('"hostHeader": "a b"')],
    ['an unknown TLS version', oneEndpoint('"tlsMin": "1.1"')],
    ['a TLS version as a number', oneEndpoint('"tlsMax": 1.3')],
    ['tlsMin above tlsMax', oneEndpoint('"tlsMin": "1.3", "tlsMax": "1.2"')],
    ['an empty ALPN protocol', oneEndpoint('"alpn": [""]')],
    ['a method with a space', oneEndpoint('"method": "GE T"')],
    ['a header value that is a number', oneEndpoint('"headers": { "X-Test": 1 }')],
    ['a header name with a space', oneEndpoint('"headers": { "X Test": "1" }')],
    ['secretHeaders that is a string', oneEndpoint('"secretHeaders": "X-Tenant-Token"')],
    ['a secret header name with a space', oneEndpoint('"secretHeaders": ["X Tenant"]')],
    ['a timeout of zero', oneEndpoint('"timeoutMs": 0')],
    ['a fractional timeout', oneEndpoint('"timeoutMs": 1.5')],
    ['identities that is not a list', oneEndpoint('"identities": "none"')],
    ['an unknown layer', oneEndpoint('"expect": { "none": "ssl" }')],
    ['a status out of range', oneEndpoint('"expect": { "none": 700 }')],
    ['a status as a string', oneEndpoint('"expect": { "none": "200" }')],
    ['an expectation that is a list', oneEndpoint('"expect": { "none": ["mtls"] }')],
    ['an object expectation without stoppedAt', oneEndpoint('"expect": { "none": { "reason": "x" } }')],
    ['an object expectation with an unknown layer', oneEndpoint('"expect": { "none": { "stoppedAt": "ssl" } }')],
    ['a reason with target', oneEndpoint('"expect": { "none": { "stoppedAt": "target", "reason": "target_responded" } }')],
    ['a status with a layer', oneEndpoint('"expect": { "none": { "stoppedAt": "mtls", "status": 400 } }')],
    ['a reason that is not a code', oneEndpoint('"expect": { "none": { "stoppedAt": "mtls", "reason": "Unknown CA" } }')],
    ['aws as a string', oneEndpoint('"aws": "prod"')],
    ['a region that is not a code', oneEndpoint('"aws": { "region": "Tokyo" }')],
    ['a WAF log group without the prefix', oneEndpoint('"aws": { "wafLogGroup": "waf-logs" }')],
    ['a load balancer ARN of another service', oneEndpoint('"aws": { "loadBalancerArn": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x/1" }')],
    ['ALB logs that are not s3://', oneEndpoint('"aws": { "albLogs": "https://bucket.s3.amazonaws.com/prefix" }')],
    ['logs that is a number', oneEndpoint('"logs": 7')],
  ];
  for (const [what, text] of badConfigs) {
    test(`rejects ${what}, which the parser reports as an error`, () => {
      assert.equal(schemaAccepts(text), false, `the schema accepts ${text}`);
      assert.ok(errors(parse(text)).length > 0, `the parser finds no error in ${text}`);
    });
  }

  test('unknown properties: the schema rejects them, the parser warns', () => {
    for (const text of ['{ "endpoint": [] }', oneEndpoint('"ulr": "https://x.example/"'), oneEndpoint('"aws": { "regoin": "us-east-1" }')]) {
      assert.equal(schemaAccepts(text), false, text);
      const config = parse(text);
      assert.deepEqual(errors(config), []);
      assert.equal(warnings(config).length, 1);
    }
  });

  test('the schema describes every property the parser reads', () => {
    const definitions = schema.definitions as Record<string, { properties?: Record<string, unknown> }>;
    const endpointExample = (parseJsonc(fullExample, [], { allowTrailingComma: true }) as { endpoints: Record<string, unknown>[] }).endpoints[0]!;
    assert.deepEqual(Object.keys(definitions.endpoint?.properties ?? {}).sort(), Object.keys(endpointExample).sort());
    assert.deepEqual(Object.keys(definitions.aws?.properties ?? {}).sort(), Object.keys(endpointExample.aws as object).sort());

    const undescribed: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        node.forEach((item, i) => visit(item, `${path}[${i}]`));
        return;
      }
      if (typeof node !== 'object' || node === null) return;
      const record = node as Record<string, unknown>;
      if (record.properties && typeof record.properties === 'object' && !Array.isArray(record.properties)) {
        for (const [name, property] of Object.entries(record.properties as Record<string, Record<string, unknown>>)) {
          const described = typeof property.description === 'string' || typeof property.$ref === 'string';
          // Properties that are references take their description from the definition.
          if (!described) undescribed.push(`${path}.${name}`);
        }
      }
      // Conditions (if/then/else/not) restate properties to constrain them; snippets are examples.
      for (const [key, value] of Object.entries(record)) if (!['defaultSnippets', 'examples', 'if', 'then', 'else', 'not'].includes(key)) visit(value, `${path}.${key}`);
    };
    visit(schema, '#');
    assert.deepEqual(undescribed, []);
  });
});
