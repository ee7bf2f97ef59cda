// Client certificates asked for after the handshake (issue 15), against real Apache httpd and Caddy.
// Apache with `SSLVerifyClient require` inside `<Location /secure>` asks only once it has read the request: by
// renegotiation over TLS 1.2 (HelloRequest, a new handshake with a CertificateRequest), by post-handshake
// authentication over TLS 1.3 — which needs the client's `post_handshake_auth` extension, which Node's TLS client
// never offers, so Apache answers 403 without asking. The probe then retries over TLS 1.2 (`fallback`) and words
// the first attempt with what the retry showed. Apache for the whole host and Caddy (Go: no renegotiation, no
// post-handshake authentication) ask during the handshake: no retry there. Apache's `/denied/` refuses with 403
// whatever the version: a refusal the retry must not take for a certificate asked after the handshake.
// Each peer is started once per describe block; a missing apache2 or caddy fails each test of the block (it never
// skips, unless MTLS_PROBE_ALLOW_MISSING_PEERS=1 outside CI, like the other peers).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test, type TestContext } from 'node:test';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import type { ProbeOptions, ProbeResult } from '../../src/core/probe/types';
import { HandshakeType } from '../../src/core/tls/registry';
import type { TraceEvent } from '../../src/core/trace';
import { startApache, type ApachePeer, type ApachePeerOptions } from '../support/apache-peer';
import { builtCli, runBuiltCli } from '../support/built-cli';
import { startCaddy, type CaddyPeer } from '../support/caddy-peer';
import { makeGeneratedPki, type GeneratedPkiFiles } from '../support/generated-pki';
import type { RunningPeer } from '../support/peers';

type Who = 'none' | 'valid' | 'untrusted';
const everyone: Who[] = ['none', 'valid', 'untrusted'];

let pki: GeneratedPkiFiles;
let ca: Buffer;
const identities = new Map<Who, ClientIdentity | null>();

before(async () => {
  pki = await makeGeneratedPki('mtls-probe-post-handshake-pki-');
  ca = await readFile(pki.caFile);
  identities.set('none', null);
  for (const who of ['valid', 'untrusted'] as const) {
    // The chain file: `valid` is issued by the intermediate, which Apache needs to reach the root.
    const files = pki.identity(who);
    identities.set(who, await loadPemIdentity({ certFile: files.chain, keyFile: files.key, label: who }));
  }
});

async function probeAs(url: string, who: Who, extra: Partial<ProbeOptions> = {}): Promise<ProbeResult> {
  const { result } = await probe({ url, ca, identity: identities.get(who) ?? null, timeouts: { tls: 5000, http: 5000 }, ...extra });
  return result;
}

function traceLines(trace: TraceEvent[]): string {
  return trace
    .map((e) => `  ${e.t} ${e.dir} ${e.layer} ${e.event} ${e.event === 'handshake' ? String(e.detail?.name) : JSON.stringify(e.detail ?? {}).slice(0, 120)}`)
    .join('\n');
}

function explain(result: ProbeResult): string {
  const v = result.verdict;
  const retry = result.fallback?.result;
  return [
    `${v.stoppedAt}/${v.reason} (${result.tls.version ?? 'no TLS'}, HTTP ${result.http?.status ?? '-'}): ${v.summary}`,
    `hint: ${v.hint ?? '-'}`,
    traceLines(result.trace),
    retry === undefined
      ? 'no fallback'
      : `fallback ${result.fallback!.reason} → ${retry.verdict.stoppedAt}/${retry.verdict.reason} (${retry.tls.version ?? 'no TLS'}): ${retry.verdict.summary}\nhint: ${retry.verdict.hint ?? '-'}\n${traceLines(retry.trace)}`,
  ].join('\n');
}

function expectVerdict(result: ProbeResult, stoppedAt: string | null, reason: string): void {
  assert.equal(result.verdict.stoppedAt, stoppedAt, explain(result));
  assert.equal(result.verdict.reason, reason, explain(result));
}

/** The server's HelloRequests: how a TLS 1.2 server starts a renegotiation (decrypted from the key log). */
function helloRequests(result: ProbeResult): TraceEvent[] {
  return result.trace.filter((e) => e.dir === 'in' && e.event === 'handshake' && e.detail?.type === HandshakeType.HelloRequest && e.detail?.name === 'Hello request');
}

function expectNoFallback(result: ProbeResult): void {
  assert.equal(result.fallback, undefined, explain(result));
}

/** The retry over TLS 1.2 that the contract promises, checked for its shape; returns its result. */
function expectFallback(result: ProbeResult): ProbeResult {
  assert.ok(result.fallback !== undefined, `a TLS 1.2 retry was expected\n${explain(result)}`);
  assert.equal(result.fallback.reason, 'post_handshake_auth_not_offered', explain(result));
  assert.equal(result.fallback.tlsMaxVersion, 'TLSv1.2', explain(result));
  assert.equal(result.tls.version, 'TLSv1.3', explain(result));
  const retry = result.fallback.result;
  assert.equal(retry.fallback, undefined, `a retry has no retry of its own\n${explain(result)}`);
  assert.notEqual(retry.correlationId, result.correlationId, 'the retry is a request of its own');
  return retry;
}

/** A renegotiation after the request for /secure/ over TLS 1.2: in the trace, and in the verdict's words. */
function expectRenegotiation(result: ProbeResult): void {
  assert.equal(result.tls.version, 'TLSv1.2', explain(result));
  assert.equal(helloRequests(result).length, 1, `one incoming HelloRequest\n${explain(result)}`);
  assert.match(result.verdict.summary, /renegotiat/i, explain(result));
  assert.match(result.verdict.summary, /\/secure\//, explain(result));
  // The renegotiated handshake brings its own keys: every record after it decrypts too (the key log has both).
  assert.deepEqual(result.trace.filter((e) => e.event === 'encrypted_record'), [], `every record decrypted\n${explain(result)}`);
  const renegotiation = result.trace.find((e) => e.event === 'renegotiation');
  assert.equal(renegotiation?.detail?.after, 'GET /secure/', explain(result));
  assert.equal(result.tls.renegotiation?.askedForCertificate, true, explain(result));
}

/** Post-handshake authentication is not a WAF's doing: neither the summary nor the hint may say so. */
function expectNoWaf(result: ProbeResult): void {
  assert.doesNotMatch(result.verdict.summary, /WAF/, explain(result));
  assert.doesNotMatch(result.verdict.hint ?? '', /WAF/, explain(result));
}

/**
 * One peer for a describe block: started before its tests, stopped after them. A test gets it with the peer's log
 * added to any failure. A peer that could not start (its binary missing: the install hint) fails each test of the
 * block, or — only when skipping is allowed (MTLS_PROBE_ALLOW_MISSING_PEERS=1 outside CI) — skips it.
 */
type WithPeer<P> = (t: TestContext, body: (peer: P) => Promise<void>) => Promise<void>;

function sharedPeer<P extends RunningPeer>(start: (t: Pick<TestContext, 'skip'>) => Promise<P | null>): WithPeer<P> {
  let peer: P | null = null;
  let failure: unknown;
  let skipped = 'not started';
  before(async () => {
    try {
      peer = await start({ skip: (message?: string) => void (skipped = message ?? skipped) });
    } catch (e) {
      failure = e;
    }
  });
  after(async () => {
    await peer?.stop();
  });
  return async (t, body) => {
    if (failure !== undefined) throw failure;
    if (peer === null) {
      t.skip(skipped);
      return;
    }
    try {
      await body(peer);
    } catch (e) {
      if (e instanceof Error) e.message += `\n--- ${peer.name} log ---\n${(await peer.log()).slice(-3000)}`;
      throw e;
    }
  };
}

const apache = (options: ApachePeerOptions): WithPeer<ApachePeer> => sharedPeer((t) => startApache(t, pki, options));

/** One test per identity, each probing the block's peer at /secure/ and checking the result. */
function testEachIdentity<P extends ApachePeer | CaddyPeer>(withPeer: WithPeer<P>, title: (who: Who) => string, check: (result: ProbeResult, who: Who) => void): void {
  for (const who of everyone) {
    test(title(who), async (t) => {
      await withPeer(t, async (peer) => check(await probeAs(peer.secureUrl, who), who));
    });
  }
}

/** What an identity gets from Apache once it asks for a certificate (in the handshake, or by renegotiating). */
interface Outcome {
  stoppedAt: 'mtls' | null;
  reason: string;
  certificateSent: boolean;
  /** How the first attempt's summary names this outcome when it was the TLS 1.2 retry's. */
  words: RegExp;
}

function apacheOutcome(who: Who, noCertificateAlert: 'handshake_failure' | 'certificate_required'): Outcome {
  if (who === 'valid') return { stoppedAt: null, reason: 'target_responded', certificateSent: true, words: /HTTP 200/ };
  if (who === 'untrusted') return { stoppedAt: 'mtls', reason: 'alert_unknown_ca', certificateSent: true, words: /unknown_ca/ };
  return { stoppedAt: 'mtls', reason: `alert_${noCertificateAlert}`, certificateSent: false, words: new RegExp(noCertificateAlert) };
}

/** `result` ended as `outcome` says; `whole` (the first attempt, when `result` is its retry) explains a failure. */
function expectOutcome(result: ProbeResult, outcome: Outcome, whole: ProbeResult = result): void {
  assert.equal(result.verdict.stoppedAt, outcome.stoppedAt, explain(whole));
  assert.equal(result.verdict.reason, outcome.reason, explain(whole));
  assert.equal(result.tls.clientCertificateSent, outcome.certificateSent, explain(whole));
  if (outcome.stoppedAt === null) {
    assert.equal(result.http?.status, 200, explain(whole));
    assert.equal(result.http?.bodyPreview, 'ok from apache (secure)\n', explain(whole));
  }
}

for (const tls of ['1.2', '1.3'] as const) {
  describe(`Apache httpd, SSLVerifyClient require for the whole host, TLS ${tls}: asked during the handshake`, () => {
    const withApache = apache({ mode: 'host', tls });

    const outcomeOf = (who: Who): Outcome => apacheOutcome(who, tls === '1.2' ? 'handshake_failure' : 'certificate_required');
    testEachIdentity(
      withApache,
      (who) => `${who}: ${outcomeOf(who).stoppedAt ?? 'target'} · ${outcomeOf(who).reason}, no retry`,
      (result, who) => {
        expectOutcome(result, outcomeOf(who));
        assert.equal(result.tls.version, `TLSv${tls}`, explain(result));
        assert.ok(result.tls.certificateRequest !== null, `the CertificateRequest is in the handshake\n${explain(result)}`);
        assert.equal(helloRequests(result).length, 0, explain(result));
        expectNoFallback(result);
      },
    );
  });
}

describe('Apache httpd, SSLVerifyClient require in <Location /secure>, TLS 1.2 only: asked by renegotiation', () => {
  const withApache = apache({ mode: 'location', tls: '1.2' });

  const outcomeOf = (who: Who): Outcome => apacheOutcome(who, 'handshake_failure');
  testEachIdentity(
    withApache,
    (who) => `${who}: ${outcomeOf(who).stoppedAt ?? 'target'} · ${outcomeOf(who).reason} after the renegotiation, no retry`,
    (result, who) => {
      expectOutcome(result, outcomeOf(who));
      expectRenegotiation(result);
      expectNoFallback(result);
    },
  );

  test('the public path /: HTTP 200, nothing asked', async (t) => {
    await withApache(t, async (peer) => {
      const result = await probeAs(peer.url, 'none');
      expectVerdict(result, null, 'target_responded');
      assert.equal(result.http?.bodyPreview, 'ok from apache (public)\n');
      assert.equal(helloRequests(result).length, 0, explain(result));
      expectNoFallback(result);
    });
  });
});

describe('Apache httpd, SSLVerifyClient require in <Location /secure>, TLS 1.2 and 1.3: 403 over TLS 1.3, the retry over TLS 1.2 renegotiates', () => {
  const withApache = apache({ mode: 'location', tls: 'both' });

  testEachIdentity(
    withApache,
    (who) => `${who}: post_handshake_auth_required; the retry renegotiates and gets ${apacheOutcome(who, 'handshake_failure').reason}`,
    (result, who) => {
      const outcome = apacheOutcome(who, 'handshake_failure');
      expectVerdict(result, 'mtls', 'post_handshake_auth_required');
      assert.equal(result.http?.status, 403, explain(result));
      assert.equal(result.tls.certificateRequest, null, `nothing asked in the TLS 1.3 handshake\n${explain(result)}`);
      assert.equal(helloRequests(result).length, 0, explain(result));
      assert.match(result.verdict.summary, /post-handshake authentication/, explain(result));
      assert.match(result.verdict.summary, /renegotiat/i, explain(result));
      assert.match(result.verdict.summary, outcome.words, explain(result));
      expectNoWaf(result);
      const retry = expectFallback(result);
      expectRenegotiation(retry);
      expectOutcome(retry, outcome, result);
    },
  );

  test('the public path /: HTTP 200 over TLS 1.3, no retry', async (t) => {
    await withApache(t, async (peer) => {
      const result = await probeAs(peer.url, 'none');
      expectVerdict(result, null, 'target_responded');
      assert.equal(result.tls.version, 'TLSv1.3', explain(result));
      assert.equal(result.http?.bodyPreview, 'ok from apache (public)\n');
      expectNoFallback(result);
    });
  });

  test('TLS 1.3 pinned (tlsMinVersion): no retry, so only post_handshake_auth_possible', async (t) => {
    await withApache(t, async (peer) => {
      const result = await probeAs(peer.secureUrl, 'valid', { tlsMinVersion: 'TLSv1.3' });
      expectVerdict(result, 'http', 'post_handshake_auth_possible');
      assert.equal(result.http?.status, 403, explain(result));
      expectNoWaf(result);
      expectNoFallback(result);
    });
  });

  test('a 403 that has nothing to do with certificates (/denied/): the retry gets the same 403, the reason stays', async (t) => {
    await withApache(t, async (peer) => {
      const result = await probeAs(`${peer.url}denied/`, 'valid');
      expectVerdict(result, 'http', 'http_403_forbidden');
      assert.equal(result.http?.status, 403, explain(result));
      assert.match(result.verdict.summary, /TLS 1\.2/, explain(result));
      assert.match(result.verdict.summary, /retr(y|ied)/i, explain(result));
      const retry = expectFallback(result);
      expectVerdict(retry, 'http', 'http_403_forbidden');
      assert.equal(retry.tls.version, 'TLSv1.2', explain(result));
      assert.equal(helloRequests(retry).length, 0, `nothing asked over TLS 1.2 either\n${explain(result)}`);
    });
  });

  /** `mtls-probe probe` with the valid identity against /secure/ (the built CLI, as users run it). */
  function cliProbe(peer: ApachePeer, ...more: string[]): ReturnType<typeof runBuiltCli> {
    assert.ok(existsSync(builtCli), 'dist/cli.js is missing: run npm run build first (npm test does)');
    const files = pki.identity('valid');
    return runBuiltCli(['probe', peer.secureUrl, '--cacert', pki.caFile, '--cert', files.chain, '--key', files.key, ...more]);
  }

  test('the built CLI prints both attempts: the TLS 1.3 one, then the TLS 1.2 retry with its renegotiation', async (t) => {
    await withApache(t, async (peer) => {
      const { code, stdout, stderr } = await cliProbe(peer, '--no-timestamps');
      assert.equal(code, 0, stderr);
      // Three ClientHellos: the first attempt's (TLS 1.3), the retry's (TLS 1.2 only), and the retry's renegotiation,
      // which the server's HelloRequest starts.
      const lines = stdout.split('\n');
      const clientHellos = lines.flatMap((l, i) => (/ \(OUT\), TLS handshake, Client hello \(1\)/.test(l) ? [i] : []));
      const helloRequest = lines.findIndex((l) => l.startsWith('* TLSv1.2 (IN), TLS handshake, Hello request (0)'));
      assert.equal(clientHellos.length, 3, stdout);
      assert.match(lines[clientHellos[0]!]!, /^\* TLSv1\.3 /, stdout);
      assert.match(lines[clientHellos[1]! + 1]!, /versions TLSv1\.2;/, `the retry offers TLS 1.2 only\n${stdout}`);
      assert.ok(clientHellos[1]! < helloRequest && helloRequest < clientHellos[2]!, `the retry's renegotiation\n${stdout}`);
      assert.match(stdout, /^Verdict: stopped at mtls — post_handshake_auth_required$/m, stdout);
      assert.match(stdout, /HTTP 200/, stdout);
      assert.doesNotMatch(stdout, /WAF/, stdout);
    });
  });

  test('the built CLI with --json: the first attempt\'s verdict, and the retry under fallback', async (t) => {
    await withApache(t, async (peer) => {
      const { code, stdout, stderr } = await cliProbe(peer, '--json');
      assert.equal(code, 0, stderr);
      const run = JSON.parse(stdout) as ProbeResult;
      const shown = stdout.slice(0, 2000);
      assert.equal(run.verdict.reason, 'post_handshake_auth_required', shown);
      assert.equal(run.tls.version, 'TLSv1.3', shown);
      assert.equal(run.fallback?.reason, 'post_handshake_auth_not_offered', shown);
      assert.equal(run.fallback.tlsMaxVersion, 'TLSv1.2', shown);
      assert.equal(run.fallback.result.verdict.reason, 'target_responded', shown);
      assert.equal(run.fallback.result.http?.status, 200, shown);
      assert.ok(run.fallback.result.trace.some((e) => e.dir === 'in' && e.event === 'handshake' && e.detail?.type === HandshakeType.HelloRequest), 'the retry carries its own trace');
    });
  });
});

describe('Apache httpd, SSLVerifyClient require in <Location /secure>, TLS 1.3 only: the retry cannot tell', () => {
  const withApache = apache({ mode: 'location', tls: '1.3' });

  testEachIdentity(
    withApache,
    (who) => `${who}: 403, post_handshake_auth_possible; the TLS 1.2 retry stops at TLS`,
    (result) => {
      expectVerdict(result, 'http', 'post_handshake_auth_possible');
      assert.equal(result.http?.status, 403, explain(result));
      assert.match(result.verdict.summary, /post-handshake authentication/, explain(result));
      expectNoWaf(result);
      const retry = expectFallback(result);
      expectVerdict(retry, 'tls', 'alert_protocol_version');
      assert.equal(helloRequests(retry).length, 0, explain(result));
    },
  );

  test('the public path /: HTTP 200, no retry', async (t) => {
    await withApache(t, async (peer) => {
      const result = await probeAs(peer.url, 'valid');
      expectVerdict(result, null, 'target_responded');
      assert.equal(result.http?.bodyPreview, 'ok from apache (public)\n');
      expectNoFallback(result);
    });
  });
});

for (const tls of ['1.2', '1.3'] as const) {
  describe(`Caddy, client_auth require_and_verify, TLS ${tls}: asked during the handshake, bad_certificate for every refusal`, () => {
    const withCaddy = sharedPeer((t) => startCaddy(t, pki, { tls }));

    testEachIdentity(
      withCaddy,
      (who) => (who === 'valid' ? 'valid: HTTP 200, no retry' : `${who}: alert_bad_certificate, no retry`),
      (result, who) => {
        if (who === 'valid') {
          expectVerdict(result, null, 'target_responded');
          assert.equal(result.http?.bodyPreview, 'ok from caddy (secure)');
        } else expectVerdict(result, 'mtls', 'alert_bad_certificate');
        assert.equal(result.tls.version, `TLSv${tls}`, explain(result));
        assert.equal(result.tls.clientCertificateSent, who !== 'none', explain(result));
        expectNoFallback(result);
      },
    );
  });
}
