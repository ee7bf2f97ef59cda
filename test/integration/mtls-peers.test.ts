// Each real peer, probed with no certificate, a valid one, one from an untrusted CA and an expired one.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import type { ProbeOptions, ProbeResult } from '../../src/core/probe/types';
import { makePkiFiles, startHaproxy, startNginx, startOpensslServer, startResetServer, withPeer, type TestPkiFiles } from '../support/peers';

type Case = 'none' | 'valid' | 'untrusted' | 'expired';
const cases: Case[] = ['none', 'valid', 'untrusted', 'expired'];

let env: TestPkiFiles;
const identities = new Map<Case, ClientIdentity | null>();
const caName = 'CN=mTLS Probe Test PKI Root CA,O=mTLS Probe Test PKI';

before(async () => {
  env = await makePkiFiles();
  identities.set('none', null);
  for (const c of ['valid', 'untrusted', 'expired'] as const) {
    const files = env.files.client(c);
    identities.set(c, await loadPemIdentity({ certFile: files.cert, keyFile: files.key, label: c }));
  }
});

async function probeAs(peer: { url: string }, who: Case, extra: Partial<ProbeOptions> = {}): Promise<ProbeResult> {
  const { result } = await probe({ url: peer.url, ca: env.pki.rootCa.certPem, identity: identities.get(who) ?? null, timeouts: { tls: 5000, http: 5000 }, ...extra });
  return result;
}

function explain(result: ProbeResult): string {
  return `${result.verdict.stoppedAt}/${result.verdict.reason}: ${result.verdict.summary}\n${result.trace.map((e) => `${e.t} ${e.dir} ${e.layer} ${e.event} ${JSON.stringify(e.detail ?? {}).slice(0, 160)}`).join('\n')}`;
}

function expectVerdict(result: ProbeResult, stoppedAt: string | null, reason: string): void {
  assert.equal(result.verdict.stoppedAt, stoppedAt, explain(result));
  assert.equal(result.verdict.reason, reason, explain(result));
}

function serverAlert(result: ProbeResult): Record<string, unknown> | undefined {
  return result.trace.find((e) => e.event === 'alert' && e.dir === 'in')?.detail;
}


describe('nginx, ssl_verify_client on (certificate checked at the HTTP layer)', () => {
  test('all four identities', async (t) => {
    await withPeer(() => startNginx(t, env.files), async (nginx) => {
      const none = await probeAs(nginx, 'none');
      expectVerdict(none, 'mtls', 'http_400_no_client_certificate');
      assert.equal(none.http?.status, 400);
      assert.equal(none.tls.clientCertificateSent, false);
      assert.deepEqual(none.tls.certificateRequest?.authorities, [caName]);
      assert.equal(none.tls.alpn, 'h2');
      assert.equal(none.http?.httpVersion, 'HTTP/2');

      const valid = await probeAs(nginx, 'valid');
      expectVerdict(valid, null, 'target_responded');
      assert.equal(valid.http?.status, 200);
      assert.equal(valid.http?.bodyPreview, 'ok from nginx\n');
      assert.equal(valid.tls.clientCertificateSent, true);

      for (const who of ['untrusted', 'expired'] as const) {
        const result = await probeAs(nginx, who);
        expectVerdict(result, 'mtls', 'http_400_client_certificate_error');
        assert.equal(result.tls.clientCertificateSent, true);
      }
      const log = await nginx.log();
      assert.match(log, /client sent no required SSL certificate/);
      assert.match(log, /client SSL certificate verify error/);

      const http11 = await probeAs(nginx, 'valid', { alpn: ['http/1.1'] });
      expectVerdict(http11, null, 'target_responded');
      assert.equal(http11.http?.httpVersion, 'HTTP/1.1');
    });
  });
});

describe('HAProxy, verify required, TLS 1.3 (rejection arrives encrypted after the handshake)', () => {
  test('all four identities', async (t) => {
    await withPeer(() => startHaproxy(t, env.files), async (haproxy) => {
      const none = await probeAs(haproxy, 'none');
      expectVerdict(none, 'mtls', 'alert_certificate_required');
      assert.equal(none.tls.version, 'TLSv1.3');
      // The alert's two bytes as decrypted: fatal (2), certificate_required (116).
      assert.deepEqual(serverAlert(none), { level: 'fatal', description: 'certificate_required', code: 116, encrypted: true, version: 'TLSv1.3', meaning: serverAlert(none)?.meaning, bytes: Buffer.from([2, 116]).toString('base64') });
      assert.deepEqual(none.tls.certificateRequest?.authorities, [caName]);
      const request = none.trace.find((e) => e.event === 'handshake' && e.detail?.name === 'Request CERT');
      assert.equal(request?.detail?.encrypted, true);
      assert.equal(none.tls.clientCertificateSent, false);

      const valid = await probeAs(haproxy, 'valid');
      expectVerdict(valid, null, 'target_responded');
      assert.equal(valid.http?.bodyPreview, 'ok from haproxy');
      assert.equal(valid.tls.clientCertificateSent, true);

      const untrusted = await probeAs(haproxy, 'untrusted');
      expectVerdict(untrusted, 'mtls', 'alert_unknown_ca');
      assert.equal(serverAlert(untrusted)?.encrypted, true);
      assert.equal(untrusted.tls.clientCertificateSent, true);

      const expired = await probeAs(haproxy, 'expired');
      expectVerdict(expired, 'mtls', 'alert_certificate_expired');
      assert.equal(serverAlert(expired)?.code, 45);
    });
  });

  test('a client limited to TLS 1.2 meets a TLS 1.3-only server: tls layer, protocol_version', async (t) => {
    await withPeer(() => startHaproxy(t, env.files), async (haproxy) => {
      const result = await probeAs(haproxy, 'valid', { tlsMaxVersion: 'TLSv1.2' });
      expectVerdict(result, 'tls', 'alert_protocol_version');
    });
  });
});

describe('openssl s_server -Verify 2 -verify_return_error, TLS 1.2 (fatal alert during the handshake)', () => {
  test('all four identities', async (t) => {
    await withPeer(() => startOpensslServer(t, env.files, '1.2'), async (server) => {
      const none = await probeAs(server, 'none');
      expectVerdict(none, 'mtls', 'alert_handshake_failure');
      assert.equal(none.tls.version, 'TLSv1.2');
      assert.equal(serverAlert(none)?.encrypted, false);
      assert.deepEqual(none.tls.certificateRequest?.authorities, [caName]);
      assert.ok(none.tls.certificateRequest?.certificateTypes?.length);
      assert.equal(none.tls.clientCertificateSent, false);
      const empty = none.trace.find((e) => e.dir === 'out' && e.detail?.name === 'Certificate');
      assert.equal((empty?.detail?.fields as { empty: boolean }).empty, true);

      const valid = await probeAs(server, 'valid', { alpn: ['http/1.1'] });
      expectVerdict(valid, null, 'target_responded');
      assert.equal(valid.tls.clientCertificateSent, true);

      const untrusted = await probeAs(server, 'untrusted');
      expectVerdict(untrusted, 'mtls', 'alert_unknown_ca');
      assert.equal(untrusted.tls.clientCertificateSent, true);

      const expired = await probeAs(server, 'expired');
      expectVerdict(expired, 'mtls', 'alert_certificate_expired');
    });
  });
});

describe('a Node server that resets TCP when the client certificate is missing or invalid (TLS 1.3)', () => {
  test('all four identities', async () => {
    await withPeer(() => startResetServer(env.pki, 'TLSv1.3'), async (server) => {
      for (const who of ['none', 'untrusted', 'expired'] as const) {
        const result = await probeAs(server, who);
        expectVerdict(result, 'mtls', 'reset_after_client_certificate');
        assert.ok(result.trace.some((e) => e.layer === 'tcp' && e.event === 'reset'), explain(result));
        assert.equal(result.tls.clientCertificateSent, who !== 'none');
        assert.deepEqual(result.tls.certificateRequest?.authorities, [caName]);
      }
      const valid = await probeAs(server, 'valid');
      expectVerdict(valid, null, 'target_responded');
    });
  });
});

describe('the built-in ALB-like demo target (TLS 1.2: reset before the server Finished)', () => {
  let target: AlbLikeTarget;
  before(async () => {
    target = await startAlbLikeTarget({ pki: env.pki });
  });
  after(() => target.close());

  for (const who of cases) {
    test(`identity: ${who}`, async () => {
      const result = await probeAs(target, who);
      if (who === 'valid') {
        expectVerdict(result, null, 'target_responded');
        assert.equal(result.http?.mtlsHeaders?.subject, 'CN=valid client,O=mTLS Probe Test PKI');
        assert.equal(result.http?.mtlsHeaders?.serialNumber, identities.get('valid')!.summary().serialNumber);
        assert.match(result.http?.mtlsHeaders?.leafPem ?? '', /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----/);
        return;
      }
      expectVerdict(result, 'mtls', 'reset_after_client_certificate');
      const reset = result.trace.find((e) => e.event === 'reset');
      assert.match(String(reset?.detail?.phase), /Finished flight, before the server's Finished/);
      assert.equal(result.tls.clientCertificateSent, who !== 'none');
    });
  }

  test('the connection log names each rejection as ALB would', () => {
    const statuses = target.connectionLog.map((e) => e.tlsVerifyStatus);
    for (const s of ['Failed:ClientCertMissing', 'Success', 'Failed:ClientCertUntrusted', 'Failed:ClientCertExpired']) assert.ok(statuses.includes(s), statuses.join(','));
  });

  test('a request carrying "<script" gets the WAF-style 403, left at http with a WAF hint', async () => {
    const result = await probe({ url: `${target.url}?q=<script>alert(1)</script>`, ca: env.pki.rootCa.certPem, identity: identities.get('valid')! });
    expectVerdict(result.result, 'http', 'http_403_forbidden');
    assert.match(result.result.verdict.hint ?? '', /WAF/);
  });
});
