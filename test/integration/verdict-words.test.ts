// The probe's own words against real peers: each summary says what happened, each hint a fix that can help —
// and where a fix is a command, the test runs it and sees it get past the failure.

import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
import * as x509 from '@peculiar/x509';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { generatePki } from '../../src/core/pki/generate-pki';
import { newKeys, privateKeyPem, serialNumber, signingAlgorithm } from '../../src/core/pki/pki-keys';
import { generateTestPki, writeTestPki, type WrittenPki } from '../../src/core/pki/test-pki';
import { probe } from '../../src/core/probe/probe';
import type { ProbeOptions, ProbeResult } from '../../src/core/probe/types';
import { runBuiltCli } from '../support/built-cli';
import {
  makePkiFiles,
  startHaproxyOptionalCertificate,
  startNginx,
  startOpensslServerVariant,
  type TestPkiFiles,
  withPeer,
} from '../support/peers';

const day = 86_400_000;
let env: TestPkiFiles;
let valid: ClientIdentity;

before(async () => {
  env = await makePkiFiles('mtls-probe-verdict-words-');
  valid = await loadPemIdentity({ certFile: env.files.client('valid').cert, keyFile: env.files.client('valid').key, label: 'valid' });
});

function explain(result: ProbeResult): string {
  return `${result.verdict.stoppedAt}/${result.verdict.reason}: ${result.verdict.summary}\nhint: ${result.verdict.hint ?? '-'}`;
}

async function run(options: ProbeOptions): Promise<ProbeResult> {
  return (await probe({ timeouts: { tls: 5000, http: 5000 }, ...options })).result;
}


/** The test PKI's files with the server certificate replaced by one valid only between the given dates. */
async function withServerValidity(files: WrittenPki, notBefore: Date, notAfter: Date): Promise<WrittenPki> {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-server-validity-'));
  const caKey = await webcrypto.subtle.importKey('pkcs8', Buffer.from(env.pki.rootCa.keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const keys = await newKeys('p256');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(12),
    subject: 'CN=localhost',
    issuer: new x509.X509Certificate(env.pki.rootCa.certPem).subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: signingAlgorithm('p256'),
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }]), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth])],
  });
  const serverCert = join(dir, 'server.pem');
  const serverKey = join(dir, 'server.key');
  await writeFile(serverCert, cert.toString('pem'));
  await writeFile(serverKey, await privateKeyPem(keys), { mode: 0o600 });
  return { ...files, serverCert, serverKey };
}

describe('the server certificate, against nginx (certificate for localhost, 127.0.0.1, ::1)', () => {
  test('another host name: the names it holds vs the name checked, and the suggested --resolve gets past it', async (t: TestContext) => {
    await withPeer(() => startNginx(t, env.files), async (nginx) => {
      const url = `https://api.example.test:${nginx.port}/`;
      const byUrl = await run({ url, connectTo: { host: '127.0.0.1', port: nginx.port }, ca: env.pki.rootCa.certPem });
      assert.equal(byUrl.verdict.reason, 'server_name_mismatch', explain(byUrl));
      assert.match(byUrl.verdict.summary, /is for localhost, 127\.0\.0\.1, ::1, not for api\.example\.test \(the URL's host, the name checked; ERR_TLS_CERT_ALTNAME_INVALID\)/);
      assert.match(byUrl.verdict.hint ?? '', new RegExp(`https://localhost:${nginx.port}/ --resolve localhost:${nginx.port}:127\\.0\\.0\\.1`));
      assert.doesNotMatch(`${byUrl.verdict.summary} ${byUrl.verdict.hint}`, /--cacert/);

      const sni = await run({ url: nginx.url, serverName: 'api.example.test', ca: env.pki.rootCa.certPem });
      assert.equal(sni.verdict.reason, 'server_name_mismatch', explain(sni));
      assert.match(sni.verdict.hint ?? '', /given with --sni \(api\.example\.test\)\. The certificate holds the URL's host: leave --sni out/);

      const ip = await run({ url: `https://127.0.0.2:${nginx.port}/`, connectTo: { host: '127.0.0.1', port: nginx.port }, ca: env.pki.rootCa.certPem });
      assert.equal(ip.verdict.reason, 'server_name_mismatch', explain(ip));
      assert.match(ip.verdict.hint ?? '', /^No SNI was sent \(the URL's host is an IP address\)/);

      const advised = await runBuiltCli(['probe', `https://localhost:${nginx.port}/`, '--resolve', `localhost:${nginx.port}:127.0.0.1`, '--cacert', env.files.caFile, '--json']);
      assert.equal(JSON.parse(advised.stdout).verdict.reason, 'http_400_no_client_certificate', advised.stdout.slice(0, 500) + advised.stderr);
    });
  });

  test('expired: when and how long ago, renewal by its operator, no --cacert; -k gets past it', async (t: TestContext) => {
    const notAfter = new Date(Date.now() - 3 * day - 3_600_000);
    const files = await withServerValidity(env.files, new Date(Date.now() - 400 * day), notAfter);
    await withPeer(() => startNginx(t, files), async (nginx) => {
      const result = await run({ url: nginx.url, ca: env.pki.rootCa.certPem });
      assert.equal(result.verdict.stoppedAt, 'tls', explain(result));
      assert.equal(result.verdict.reason, 'server_certificate_expired', explain(result));
      assert.equal(result.verdict.summary, `The client refused the server: its certificate CN=localhost expired on ${notAfter.toISOString().slice(0, 10)} ${notAfter.toISOString().slice(11, 16)} UTC, 3 days ago (CERT_HAS_EXPIRED).`);
      assert.match(result.verdict.hint ?? '', /^Only the server's operator can fix this, by renewing the certificate.* -k skips this check/);
      assert.doesNotMatch(`${result.verdict.summary} ${result.verdict.hint}`, /--cacert/);
      const insecure = await run({ url: nginx.url, ca: env.pki.rootCa.certPem, insecure: true });
      assert.equal(insecure.verdict.reason, 'http_400_no_client_certificate', explain(insecure));
    });
  });

  test('not yet valid: from when, and the clock as the other possible cause', async (t: TestContext) => {
    const files = await withServerValidity(env.files, new Date(Date.now() + 2 * day + 3_600_000), new Date(Date.now() + 400 * day));
    await withPeer(() => startNginx(t, files), async (nginx) => {
      const result = await run({ url: nginx.url, ca: env.pki.rootCa.certPem });
      assert.equal(result.verdict.reason, 'server_certificate_not_yet_valid', explain(result));
      assert.match(result.verdict.summary, /its certificate CN=localhost is not valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC, in 2 days \(CERT_NOT_YET_VALID\)/);
      assert.match(result.verdict.hint ?? '', /this machine's clock is behind/);
    });
  });

  test('untrusted keeps the --cacert advice, names the issuer, and passing that CA gets past it', async (t: TestContext) => {
    await withPeer(() => startNginx(t, env.files), async (nginx) => {
      const result = await run({ url: nginx.url });
      assert.equal(result.verdict.reason, 'server_certificate_untrusted', explain(result));
      assert.match(result.verdict.summary, /was issued by CN=mTLS Probe Test PKI Root CA,O=mTLS Probe Test PKI, which is not among the system's trusted CAs \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
      assert.match(result.verdict.hint ?? '', /^Pass the certificate of CN=mTLS Probe Test PKI Root CA,O=mTLS Probe Test PKI with --cacert FILE/);
      const trusted = await run({ url: nginx.url, ca: env.pki.rootCa.certPem });
      assert.equal(trusted.verdict.reason, 'http_400_no_client_certificate', explain(trusted));
    });
  });
});

describe('a configured client certificate the server\'s CertificateRequest excludes (openssl s_server -client_sigalgs RSA only)', () => {
  let rsaEnv: TestPkiFiles;
  let rsaIdentity: ClientIdentity;
  let bothRoots: string;

  before(async () => {
    const pki = await generateTestPki({ keyAlgorithm: 'rsa2048', organization: 'mTLS Probe RSA Test PKI' });
    rsaEnv = { pki, files: await writeTestPki(await mkdtemp(join(tmpdir(), 'mtls-probe-rsa-pki-')), pki) };
    rsaIdentity = await loadPemIdentity({ certFile: rsaEnv.files.client('valid').cert, keyFile: rsaEnv.files.client('valid').key, label: 'rsa' });
    bothRoots = join(rsaEnv.files.dir, 'both-roots.pem');
    await writeFile(bothRoots, env.pki.rootCa.certPem + rsaEnv.pki.rootCa.certPem);
  });

  for (const version of ['1.2', '1.3'] as const) {
    test(`TLS ${version}: the ECDSA P-256 identity is not sent and the verdict says why; an RSA identity is sent and accepted`, async (t: TestContext) => {
      const variant = { cert: env.files.serverCert, key: env.files.serverKey, caFile: bothRoots, version, args: ['-client_sigalgs', 'RSA+SHA256:RSA-PSS+SHA256'] };
      await withPeer(() => startOpensslServerVariant(t, variant), async (server) => {
        const ecdsa = await run({ url: server.url, ca: env.pki.rootCa.certPem, identity: valid });
        assert.equal(ecdsa.tls.clientCertificateSent, false, explain(ecdsa));
        assert.equal(ecdsa.verdict.stoppedAt, 'mtls', explain(ecdsa));
        assert.equal(ecdsa.verdict.reason, version === '1.2' ? 'alert_handshake_failure' : 'alert_certificate_required', explain(ecdsa));
        assert.match(ecdsa.verdict.summary, /the configured one \(CN=valid client,O=mTLS Probe Test PKI\) was not sent\. Its key is ECDSA P-256, but the server's CertificateRequest/);
        assert.match(ecdsa.verdict.summary, version === '1.2' ? /allows only the certificate types rsa_sign \(not ecdsa_sign\)/ : /accepts only RSA signatures \(rsa_pkcs1_sha256, rsa_pss_rsae_sha256\)/);
        assert.match(ecdsa.verdict.hint ?? '', /^Use an identity with a key/);
        assert.doesNotMatch(`${ecdsa.verdict.summary} ${ecdsa.verdict.hint}`, /CA name/);

        const withRsa = await run({ url: server.url, ca: env.pki.rootCa.certPem, identity: rsaIdentity });
        assert.equal(withRsa.tls.clientCertificateSent, true, explain(withRsa));
        assert.equal(withRsa.verdict.reason, 'target_responded', explain(withRsa));
      });
    });

    test(`TLS ${version}: Node sends a certificate whose issuer is not among the CA names, so CA names never explain one not sent`, async (t: TestContext) => {
      const variant = { cert: env.files.serverCert, key: env.files.serverKey, caFile: join(env.files.dir, 'other-ca.pem'), version };
      await withPeer(() => startOpensslServerVariant(t, variant), async (server) => {
        const result = await run({ url: server.url, ca: env.pki.rootCa.certPem, identity: valid });
        assert.deepEqual(result.tls.certificateRequest?.authorities, ['CN=mTLS Probe Test PKI Untrusted CA,O=mTLS Probe Test PKI (not trusted)']);
        assert.equal(result.tls.clientCertificateSent, true, explain(result));
        assert.equal(result.verdict.reason, 'alert_unknown_ca', explain(result));
      });
    });
  }
});

describe('a 403 after the server asked for a client certificate (HAProxy verify optional, deny without one)', () => {
  for (const tlsMaxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${tlsMaxVersion}: none sent → http_403_no_client_certificate, no WAF hint; with one → 200`, async (t: TestContext) => {
      await withPeer(() => startHaproxyOptionalCertificate(t, env.files), async (haproxy) => {
        const none = await run({ url: haproxy.url, ca: env.pki.rootCa.certPem, tlsMaxVersion });
        assert.equal(none.http?.status, 403, explain(none));
        assert.equal(none.verdict.stoppedAt, 'http', explain(none));
        assert.equal(none.verdict.reason, 'http_403_no_client_certificate', explain(none));
        assert.match(none.verdict.summary, /^The server asked for a client certificate in the handshake, none was sent \(none was configured\), and it answered the request with HTTP 403/);
        assert.match(none.verdict.hint ?? '', /^Probe with a client certificate \(--cert and --key, or --pfx\), issued under one of the CA names the server sent \(CN=mTLS Probe Test PKI Root CA,O=mTLS Probe Test PKI\)/);
        assert.doesNotMatch(none.verdict.hint ?? '', /Possibly a WAF/);

        const withCertificate = await run({ url: haproxy.url, ca: env.pki.rootCa.certPem, identity: valid, tlsMaxVersion });
        assert.equal(withCertificate.verdict.reason, 'target_responded', explain(withCertificate));
      });
    });
  }
});

describe('unknown_ca for a certificate sent without its intermediate (openssl s_server trusting the root only)', () => {
  let dir: string;
  let leafOnly: ClientIdentity;
  let chain: ClientIdentity;
  let root: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mtls-probe-intermediate-'));
    await generatePki(dir);
    leafOnly = await loadPemIdentity({ certFile: join(dir, 'valid.pem'), keyFile: join(dir, 'valid.key'), label: 'leaf only' });
    chain = await loadPemIdentity({ certFile: join(dir, 'valid.chain.pem'), keyFile: join(dir, 'valid.key'), label: 'chain' });
    // The probe trusts the root alone too: with the intermediate in its trust store OpenSSL would send it unasked.
    root = await readFile(join(dir, 'root-ca.pem'), 'utf8');
  });

  for (const version of ['1.2', '1.3'] as const) {
    test(`TLS ${version}: the hint names the missing intermediate and the chain file, which then gets through`, async (t: TestContext) => {
      const variant = { cert: join(dir, 'server.pem'), certChain: join(dir, 'intermediate-ca.pem'), key: join(dir, 'server.key'), caFile: join(dir, 'root-ca.pem'), version };
      await withPeer(() => startOpensslServerVariant(t, variant), async (server) => {
        const alone = await run({ url: server.url, ca: root, identity: leafOnly });
        assert.equal(alone.verdict.reason, 'alert_unknown_ca', explain(alone));
        assert.match(alone.verdict.summary, /\(issued by CN=mTLS Probe Test PKI \w+ Intermediate CA,O=mTLS Probe Test PKI \w+\) with no CA certificate after it\.$/);
        assert.match(alone.verdict.hint ?? '', /^The client sent its certificate alone, and its issuer CN=mTLS Probe Test PKI \w+ Intermediate CA,O=mTLS Probe Test PKI \w+ is not among the CA names the server accepts \(CN=mTLS Probe Test PKI \w+ Root CA,/);
        assert.match(alone.verdict.hint ?? '', /send the certificate followed by its intermediate CA certificate\(s\) in one PEM file \(--cert chain\.pem; `pki generate` writes NAME\.chain\.pem\)/);

        const withChain = await run({ url: server.url, ca: root, identity: chain });
        assert.equal(withChain.verdict.reason, 'target_responded', explain(withChain));
      });
    });
  }
});

describe('the built CLI: a handshake-only success and the timings', () => {
  test('says the handshake completed and no request was sent, and names each timing as its phase\'s own duration', async (t: TestContext) => {
    await withPeer(() => startNginx(t, env.files), async (nginx) => {
      const cert = env.files.client('valid');
      const r = await runBuiltCli(['probe', nginx.url, '--cacert', env.files.caFile, '--cert', cert.cert, '--key', cert.key, '--handshake-only']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\nVerdict: passed the TLS handshake \(no request was sent\) — handshake_completed\n {2}The TLS 1\.3 handshake completed \(the server asked for a client certificate and one was sent\) and no request was sent \(--handshake-only\)/);
      assert.doesNotMatch(r.stdout, /the application answered/);
      assert.match(r.stdout, /\nTimings \(each phase's own duration\): DNS [\d.]+ ms · TCP connect [\d.]+ ms · TLS handshake [\d.]+ ms · request to first byte — · total [\d.]+ ms\n/);

      const full = await runBuiltCli(['probe', nginx.url, '--cacert', env.files.caFile, '--cert', cert.cert, '--key', cert.key]);
      assert.match(full.stdout, /\nTimings \(each phase's own duration\): DNS [\d.]+ ms · TCP connect [\d.]+ ms · TLS handshake [\d.]+ ms · request to first byte [\d.]+ ms · total [\d.]+ ms\n/);
      assert.match(full.stdout, /\nVerdict: passed \(the application answered\) — target_responded\n/);
    });
  });
});
