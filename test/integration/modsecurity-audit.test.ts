// The local twin of "ALB mTLS rejects before WAF": real nginx + libmodsecurity + OWASP CRS behind
// ssl_verify_client on. With a valid certificate an XSS probe is blocked by ModSecurity (403) and its audit
// record is found by LocalLogSource through the probe's X-Amzn-Trace-Id; without a certificate nginx's mTLS
// check answers 400 first and ModSecurity writes nothing for that request.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { LocalLogSource } from '../../src/core/evidence/local/local-logs';
import { loadPemIdentity, type ClientIdentity } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import type { ProbeResult } from '../../src/core/probe/types';
import { makePkiFiles, startNginxWithModSecurity, type RunningPeer, type TestPkiFiles } from '../support/peers';

let env: TestPkiFiles;
let identity: ClientIdentity;
let nginx: RunningPeer & { dir: string; auditLog: string };
let dir: string;
let auditLog: string;
let port: number;

before(async () => {
  env = await makePkiFiles();
  const valid = env.files.client('valid');
  identity = await loadPemIdentity({ certFile: valid.cert, keyFile: valid.key, label: 'valid' });
  nginx = await startNginxWithModSecurity(env.files);
  ({ dir, auditLog, port } = nginx);
});

after(async () => {
  await nginx?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (env) await rm(env.files.dir, { recursive: true, force: true });
});

async function xssProbe(withCertificate: boolean): Promise<ProbeResult> {
  const { result } = await probe({
    url: `https://localhost:${port}/?q=<script>alert(1)</script>`,
    ca: env.pki.rootCa.certPem,
    identity: withCertificate ? identity : null,
    timeouts: { tls: 5000, http: 5000 },
  });
  return result;
}

/**
 * The audit log once nginx has logged every request it has answered. ModSecurity writes its record in nginx's log
 * phase, after the response has gone out, so a probe's answer can come before the record. nginx here is one process
 * (master_process off, one worker) that finishes each event before the next: once it has answered a later request,
 * the earlier ones are logged. That later request is a plain GET with the valid certificate (200: not audited).
 */
async function auditTextOnceLogged(): Promise<string> {
  const { result } = await probe({ url: `https://localhost:${port}/`, ca: env.pki.rootCa.certPem, identity, timeouts: { tls: 5000, http: 5000 } });
  assert.equal(result.http?.status, 200, result.verdict.summary);
  return existsSync(auditLog) ? readFile(auditLog, 'utf8') : '';
}

function windowAround(result: ProbeResult): { from: Date; to: Date } {
  const started = Date.parse(result.startedAt);
  return { from: new Date(started - 5000), to: new Date(Date.now() + 5000) };
}

test('with a valid certificate: ModSecurity blocks the XSS probe and LocalLogSource finds its audit record by the trace id', async () => {
  const result = await xssProbe(true);
  assert.equal(result.http?.status, 403, result.verdict.summary);
  assert.match(result.correlationId, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  const text = await auditTextOnceLogged();
  assert.ok(text.includes(result.correlationId), `no audit record for ${result.correlationId}:\n${text.slice(0, 2000)}`);

  const source = new LocalLogSource([dir]);
  const byTrace = await source.collect(windowAround(result), { traceId: result.correlationId });
  assert.equal(byTrace.events.length, 1, JSON.stringify(byTrace, null, 1).slice(0, 3000));
  const event = byTrace.events[0]!;
  assert.equal(event.kind, 'modsecurity-audit-log');
  assert.equal(event.lane, 'waf');
  assert.deepEqual(event.matchedBy, [{ key: 'traceId', value: result.correlationId }]);
  assert.equal(event.origin.file, auditLog);
  assert.match(event.summary, /^ModSecurity answered 403 for GET \/\?q=.*; rules .*941100/);
  // The rules file and the page served beside the audit log are not evidence formats: named, not fatal.
  assert.ok(byTrace.problems.every((p) => /not a recognised log format/.test(p.message)), JSON.stringify(byTrace.problems));

  // The client address as nginx saw it matches too.
  assert.ok(result.client.address !== null && result.client.port !== null);
  const byAddress = await source.collect(windowAround(result), { clientIp: result.client.address, clientPort: result.client.port });
  assert.equal(byAddress.events.length, 1);
  assert.deepEqual(byAddress.events[0]!.matchedBy, [
    { key: 'clientIp', value: result.client.address },
    { key: 'clientPort', value: String(result.client.port) },
  ]);
});

test('without a certificate: nginx answers 400 before ModSecurity, and no audit record carries the trace id', async () => {
  const result = await xssProbe(false);
  assert.equal(result.http?.status, 400, result.verdict.summary);
  assert.match(result.http?.bodyPreview ?? '', /No required SSL certificate was sent/);
  // Concluded only once nginx has logged this request (a later one answered): ModSecurity wrote nothing for it.
  const text = await auditTextOnceLogged();
  assert.ok(!text.includes(result.correlationId), `an audit record for ${result.correlationId}:\n${text.slice(-2000)}`);
  const report = await new LocalLogSource([auditLog]).collect(windowAround(result), { traceId: result.correlationId });
  assert.deepEqual(report.events, []);
  assert.equal(report.stats.skippedLines, 0);
  assert.ok(report.stats.lines >= 1, 'the audit log still holds the earlier record');
});
