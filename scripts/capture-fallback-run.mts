// Records a real probe with a TLS 1.2 fallback as a run fixture for the timeline's and the exports' tests:
// `node --import tsx scripts/capture-fallback-run.mts` (as root, with Debian's apache2 installed, as the integration
// tests need). It starts Apache httpd with `SSLVerifyClient require` inside `<Location /secure>` (TLS 1.2 and 1.3),
// probes https://localhost:PORT/secure/ with the generated PKI's `valid` identity (its chain file) and a test
// `Authorization` header: over TLS 1.3 Apache answers 403 without asking for a certificate (Node offers no
// post_handshake_auth), the probe retries over TLS 1.2, Apache renegotiates and asks, and the retry gets 200.
// The file is the probe result as `probe --json` prints it before any export redacts it (the header's value is a
// made-up token, kept so the tests can check that every export redacts it, in the retry too). It holds only
// throw-away test certificates; no key and no key log.

import { readFile, writeFile } from 'node:fs/promises';
import { loadPemIdentity } from '../src/core/identity/client-identity';
import { probe } from '../src/core/probe/probe';
import { startApache } from '../test/support/apache-peer';
import { makeGeneratedPki } from '../test/support/generated-pki';

const out = new URL('../test/fixtures/runs/apache-secure-location-fallback.json', import.meta.url).pathname;
const pki = await makeGeneratedPki('mtls-probe-capture-fallback-');
const files = pki.identity('valid');
const identity = await loadPemIdentity({ certFile: files.chain, keyFile: files.key, label: 'valid' });
const apache = await startApache(null, pki, { mode: 'location', tls: 'both' });
if (apache === null) throw new Error('Apache httpd is needed: apt-get install apache2');
try {
  const { result } = await probe({
    url: apache.secureUrl,
    ca: await readFile(pki.caFile),
    identity,
    headers: { authorization: 'Bearer test-token-not-a-secret' },
    timeouts: { tls: 5000, http: 5000 },
  });
  if (result.fallback === undefined) throw new Error(`no fallback: ${result.verdict.reason}: ${result.verdict.summary}`);
  await writeFile(out, `${JSON.stringify(result, null, 1)}\n`);
  const retry = result.fallback.result;
  console.log(`${result.verdict.stoppedAt} ${result.verdict.reason}; retry ${retry.verdict.stoppedAt ?? 'passed'} ${retry.verdict.reason} (HTTP ${retry.http?.status ?? '-'})`);
} finally {
  await apache.stop();
}
