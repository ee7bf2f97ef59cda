import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigRunError, phaseTimeoutsFor, probeOptionsFor } from '../../src/core/config/probe-options';
import type { ConfigLocation, EndpointConfig, ExpectedOutcome, IdentityConfig, WorkspaceConfig } from '../../src/core/config/types';
import { describeOutcome, evaluateExpectation, expectationChecks } from '../../src/core/expectations/expectations';
import { runExpectations, type ExpectationRun } from '../../src/core/runs/expectation-runs';
import { IdentityError } from '../../src/core/identity/identity-error';
import { defaultTimeouts } from '../../src/core/probe/phase-timeouts';
import type { HttpSummary, Layer, ProbeResult } from '../../src/core/probe/types';
import { holdClosedPort, type ClosedPort } from '../support/ports';

const at: ConfigLocation = { file: '/ws/.vscode/mtls-probe.json', jsonPath: '', offset: 0, length: 0 };

function endpoint(name: string, url: string, expect: Record<string, ExpectedOutcome>, extra: Partial<EndpointConfig> = {}): EndpointConfig {
  return {
    name,
    url,
    insecure: false,
    identities: Object.keys(expect),
    expectations: Object.entries(expect).map(([identity, expected]) => ({ identity, expected, location: at })),
    location: at,
    ...extra,
  };
}

function workspace(endpoints: EndpointConfig[], identities: IdentityConfig[] = []): WorkspaceConfig {
  return { file: at.file, folder: '/ws', identities, endpoints, trustStores: [], problems: [] };
}

const pemIdentity = (name: string): IdentityConfig => ({ kind: 'pem', name, certFile: `/ws/certs/${name}.pem`, keyFile: `/ws/certs/${name}.key`, location: at });

function http(status: number): HttpSummary {
  return { status, httpVersion: 'HTTP/1.1', headers: {}, bodyPreview: '', bodyBytes: 0 };
}

function result(stoppedAt: Layer | null, reason: string, summary: string, status?: number): ProbeResult {
  return {
    target: { url: 'https://api.example.com/', host: 'api.example.com', port: 443, serverName: 'api.example.com', address: '127.0.0.1', addresses: ['127.0.0.1'] },
    identity: null,
    timings: { dns: null, tcp: 1, tls: 2, firstByte: null, total: 3 },
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: null, serverCertificates: [], certificateRequest: null, clientCertificateSent: false, serverCertificateVerified: true },
    trace: [],
    http: status === undefined ? null : http(status),
    correlationId: 'Root=1-00000000-000000000000000000000000',
    verdict: { stoppedAt, reason, summary, confidence: 'probe', evidence: [] },
    client: { address: null, port: null },
    startedAt: new Date(0).toISOString(),
    error: null,
  };
}

const targetOk = result(null, 'target_responded', 'The request passed every layer: HTTP 200 from the target.', 200);
const albReset = result('mtls', 'reset_after_client_certificate', 'The server reset the connection after the client certificate.');
const nginx400 = result('mtls', 'http_400_no_client_certificate', 'nginx answered HTTP 400 "No required SSL certificate was sent".', 400);
const forbidden = result('http', 'http_403_forbidden', 'The request passed TLS and was refused with HTTP 403.', 403);
const inconclusive = result(null, 'inconclusive', 'The attempt ended without a clear failure.');

describe('evaluateExpectation', () => {
  const cases: Array<[string, ExpectedOutcome, ProbeResult, boolean]> = [
    ['stopped at the layer', { kind: 'stopped', layer: 'mtls' }, albReset, true],
    ['stopped at the layer with the reason', { kind: 'stopped', layer: 'mtls', reason: 'reset_after_client_certificate' }, albReset, true],
    ['stopped at the layer, another reason', { kind: 'stopped', layer: 'mtls', reason: 'alert_unknown_ca' }, albReset, false],
    ['stopped elsewhere', { kind: 'stopped', layer: 'tls' }, albReset, false],
    ['expected a stop, the target answered', { kind: 'stopped', layer: 'mtls' }, targetOk, false],
    ['target', { kind: 'target' }, targetOk, true],
    ['target with its status', { kind: 'target', status: 200 }, targetOk, true],
    ['target with another status', { kind: 'target', status: 204 }, targetOk, false],
    ['target, but stopped at mtls', { kind: 'target' }, albReset, false],
    ['target, but HTTP 403 from the front', { kind: 'target' }, forbidden, false],
    ['target, but nothing answered', { kind: 'target' }, inconclusive, false],
    ['status from an mTLS layer (nginx 400)', { kind: 'status', status: 400 }, nginx400, true],
    ['status from the target', { kind: 'status', status: 200 }, targetOk, true],
    ['status, another one', { kind: 'status', status: 400 }, targetOk, false],
    ['status, no HTTP answer at all', { kind: 'status', status: 400 }, albReset, false],
  ];
  for (const [name, expected, probeResult, passed] of cases) {
    test(`${name} → ${passed ? 'pass' : 'fail'}`, () => {
      assert.equal(evaluateExpectation(expected, probeResult).passed, passed);
    });
  }

  test('a failure says expected vs got, with the reason and the summary', () => {
    assert.equal(evaluateExpectation({ kind: 'stopped', layer: 'mtls' }, targetOk).message, 'expected mtls, got target with HTTP 200: The request passed every layer: HTTP 200 from the target.');
    assert.equal(
      evaluateExpectation({ kind: 'target' }, albReset).message,
      'expected target, got mtls (reset_after_client_certificate): The server reset the connection after the client certificate.',
    );
    assert.equal(evaluateExpectation({ kind: 'status', status: 400 }, forbidden).message, 'expected HTTP 400, got http (http_403_forbidden): The request passed TLS and was refused with HTTP 403.');
  });

  test('a pass says what happened', () => {
    assert.equal(evaluateExpectation({ kind: 'stopped', layer: 'mtls' }, albReset).message, 'mtls (reset_after_client_certificate), as expected');
  });

  test('what the probe ended with, in the words the expectations use', () => {
    assert.equal(describeOutcome(albReset), 'mtls (reset_after_client_certificate)');
    assert.equal(describeOutcome(targetOk), 'target with HTTP 200');
    assert.equal(describeOutcome(inconclusive), 'target (inconclusive)');
  });
});

describe('expectationChecks', () => {
  const config = workspace(
    [
      endpoint('prod-api', 'https://api.example.com/', { none: { kind: 'stopped', layer: 'mtls' }, partner: { kind: 'target' } }),
      endpoint('staging', 'https://staging.example.com/', { partner: { kind: 'status', status: 200 }, ghost: { kind: 'target' } }),
    ],
    [pemIdentity('partner')],
  );

  test('one check per endpoint × expectation, with stable ids', () => {
    const checks = expectationChecks(config);
    assert.deepEqual(
      checks.map((c) => c.id),
      ['prod-api/none', 'prod-api/partner', 'staging/partner', 'staging/ghost'],
    );
    assert.deepEqual(
      checks.map((c) => c.expectedText),
      ['mtls', 'target', 'HTTP 200', 'target'],
    );
    assert.equal(checks[0]!.identity, null);
    assert.equal(checks[1]!.identity?.name, 'partner');
    assert.equal(checks[3]!.identity, null, 'an undefined identity has no config');
    assert.deepEqual(
      expectationChecks(config).map((c) => c.id),
      checks.map((c) => c.id),
    );
  });

  test('filters by endpoint name and by check id', () => {
    assert.deepEqual(
      expectationChecks(config, { endpoints: ['staging'] }).map((c) => c.id),
      ['staging/partner', 'staging/ghost'],
    );
    assert.deepEqual(
      expectationChecks(config, { ids: ['prod-api/partner'] }).map((c) => c.id),
      ['prod-api/partner'],
    );
  });
});

describe('runExpectations', () => {
  // Nothing listens there, and nothing can while it is held: the probes end at tcp (connection_refused), fast.
  let closed: ClosedPort;
  before(async () => {
    closed = await holdClosedPort();
  });
  after(() => closed.release());

  test('an identity that does not load, or is not defined, is that check\'s error; the others still run', async () => {
    const { port } = closed;
    const config = workspace(
      [
        endpoint('local', `https://127.0.0.1:${port}/`, {
          none: { kind: 'stopped', layer: 'tcp' },
          locked: { kind: 'target' },
          ghost: { kind: 'target' },
          partner: { kind: 'stopped', layer: 'mtls' },
        }),
      ],
      [pemIdentity('locked'), pemIdentity('partner')],
    );
    const loaded: string[] = [];
    const seen: ExpectationRun[] = [];
    const runs = await runExpectations(config, {
      loadIdentity: async (identity) => {
        loaded.push(identity.name);
        throw new IdentityError('wrong_passphrase', identity.kind === 'pem' ? identity.keyFile : identity.pfxFile, `The passphrase does not decrypt the private key in /ws/certs/${identity.name}.key: check the passphrase.`);
      },
      onResult: (run) => seen.push(run),
    });
    assert.deepEqual(
      runs.map((r) => [r.check.id, r.status]),
      [
        ['local/none', 'passed'],
        ['local/locked', 'error'],
        ['local/ghost', 'error'],
        ['local/partner', 'error'],
      ],
    );
    assert.equal(runs[0]!.result?.verdict.reason, 'connection_refused');
    assert.match(runs[1]!.error!, /The passphrase does not decrypt the private key in \/ws\/certs\/locked\.key/);
    assert.match(runs[2]!.error!, /identity "ghost", which is not defined under "identities" in \/ws\/\.vscode\/mtls-probe\.json \(defined: locked, partner/);
    assert.ok(runs.every((r) => r.durationMs >= 0));
    assert.equal(seen.length, 4);
    assert.deepEqual(loaded.sort(), ['locked', 'partner']);
  });

  test('a failed expectation is a failure with the probe result', async () => {
    const { port } = closed;
    const config = workspace([endpoint('local', `https://127.0.0.1:${port}/`, { none: { kind: 'stopped', layer: 'mtls' } })]);
    const [run] = await runExpectations(config, { loadIdentity: () => Promise.reject(new Error('not called')) });
    assert.equal(run?.status, 'failed');
    assert.equal(run?.passed, false);
    assert.match(run!.message, /^expected mtls, got tcp \(connection_refused\): The TCP connection was refused/);
    assert.equal(run?.result?.verdict.stoppedAt, 'tcp');
  });

  test('an identity is loaded once for all its checks', async () => {
    const { port } = closed;
    const config = workspace(
      [endpoint('a', `https://127.0.0.1:${port}/`, { partner: { kind: 'target' } }), endpoint('b', `https://127.0.0.1:${port}/x`, { partner: { kind: 'target' } })],
      [pemIdentity('partner')],
    );
    let calls = 0;
    const runs = await runExpectations(config, {
      concurrency: 2,
      loadIdentity: async () => {
        calls++;
        throw new IdentityError('file_not_found', '/ws/certs/partner.pem', 'Certificate file /ws/certs/partner.pem does not exist.');
      },
    });
    assert.equal(calls, 1);
    assert.deepEqual(
      runs.map((r) => r.status),
      ['error', 'error'],
    );
  });

  test('a missing CA file is the check\'s error, naming the file and the endpoint', async () => {
    const config = workspace([endpoint('prod-api', 'https://127.0.0.1:1/', { none: { kind: 'stopped', layer: 'mtls' } }, { caFile: '/nonexistent/ca.pem' })]);
    const [run] = await runExpectations(config, { loadIdentity: () => Promise.reject(new Error('not called')) });
    assert.equal(run?.status, 'error');
    assert.equal(run?.error, 'The CA file /nonexistent/ca.pem of endpoint "prod-api" does not exist.');
  });

  test('cancelled before the start: every run is skipped, nothing throws', async () => {
    const config = workspace([endpoint('local', 'https://127.0.0.1:1/', { none: { kind: 'stopped', layer: 'tcp' }, partner: { kind: 'target' } })], [pemIdentity('partner')]);
    const controller = new AbortController();
    controller.abort();
    const runs = await runExpectations(config, { signal: controller.signal, loadIdentity: () => Promise.reject(new Error('not called')) });
    assert.deepEqual(
      runs.map((r) => r.status),
      ['skipped', 'skipped'],
    );
  });

  test('cancelled while an identity loads (e.g. a passphrase prompt): that run and the rest are skipped', async () => {
    const config = workspace(
      [endpoint('local', 'https://127.0.0.1:1/', { partner: { kind: 'target' }, none: { kind: 'stopped', layer: 'tcp' } })],
      [pemIdentity('partner')],
    );
    const controller = new AbortController();
    const runs = await runExpectations(config, {
      concurrency: 1,
      signal: controller.signal,
      loadIdentity: () => {
        // Cancelled once the run is waiting on this load (it awaits it as soon as the call returns).
        setImmediate(() => controller.abort());
        return new Promise(() => undefined); // never settles
      },
    });
    assert.deepEqual(
      runs.map((r) => [r.status, r.message]),
      [
        ['skipped', 'cancelled while running'],
        ['skipped', 'not run: cancelled'],
      ],
    );
  });
});

describe('probeOptionsFor', () => {
  test('maps every endpoint setting to the probe options', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-options-'));
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const controller = new AbortController();
    const options = await probeOptionsFor(
      endpoint('prod', 'https://api.example.com/health', {}, {
        caFile: ca,
        connectTo: { host: '127.0.0.1', port: 8443 },
        serverName: 'api.internal',
        hostHeader: 'api.example.com',
        tlsMinVersion: 'TLSv1.2',
        tlsMaxVersion: 'TLSv1.2',
        alpn: ['http/1.1'],
        method: 'HEAD',
        headers: { 'x-probe': '1' },
        timeoutMs: 7000,
      }),
      null,
      { signal: controller.signal, correlationId: 'Root=1-00000000-111111111111111111111111' },
    );
    assert.deepEqual({ ...options, signal: undefined }, {
      url: 'https://api.example.com/health',
      identity: null,
      ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      serverName: 'api.internal',
      hostHeader: 'api.example.com',
      connectTo: { host: '127.0.0.1', port: 8443 },
      tlsMinVersion: 'TLSv1.2',
      tlsMaxVersion: 'TLSv1.2',
      alpn: ['http/1.1'],
      method: 'HEAD',
      headers: { 'x-probe': '1' },
      timeouts: { dns: 1000, connect: 1000, tls: 2000, http: 3000 },
      correlationId: 'Root=1-00000000-111111111111111111111111',
      signal: undefined,
    });
    assert.equal(options.signal, controller.signal);
    const insecure = await probeOptionsFor(endpoint('lab', 'https://localhost/', {}, { insecure: true }), null);
    assert.deepEqual(insecure, { url: 'https://localhost/', identity: null, insecure: true });
  });

  test('timeoutMs bounds the whole attempt, shared out like the defaults', () => {
    const total = (t: ReturnType<typeof phaseTimeoutsFor>): number => t.dns + t.connect + t.tls + t.http;
    for (const ms of [1, 100, 3500, 10_000, 60_000]) assert.ok(total(phaseTimeoutsFor(ms)) <= Math.max(ms, 4), `${ms}`);
    assert.deepEqual(phaseTimeoutsFor(defaultTimeouts.dns + defaultTimeouts.connect + defaultTimeouts.tls + defaultTimeouts.http), defaultTimeouts);
  });

  test('a CA file that is missing or not PEM: ConfigRunError naming the file and the endpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-options-'));
    const der = join(dir, 'ca.der');
    await writeFile(der, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
    const missing = join(dir, 'missing.pem');
    await assert.rejects(probeOptionsFor(endpoint('prod-api', 'https://x/', {}, { caFile: missing }), null), (e: unknown) => {
      assert.ok(e instanceof ConfigRunError);
      assert.equal(e.code, 'ca_unreadable');
      assert.equal(e.file, missing);
      assert.equal(e.message, `The CA file ${missing} of endpoint "prod-api" does not exist.`);
      return true;
    });
    await assert.rejects(probeOptionsFor(endpoint('prod-api', 'https://x/', {}, { caFile: der }), null), (e: unknown) => {
      assert.ok(e instanceof ConfigRunError);
      assert.equal(e.code, 'ca_not_pem');
      assert.match(e.message, /ca\.der of endpoint "prod-api" contains no PEM CERTIFICATE block/);
      return true;
    });
    await assert.rejects(probeOptionsFor(endpoint('prod-api', 'https://x/', {}, { caFile: dir }), null), /is a directory/);
  });
});
