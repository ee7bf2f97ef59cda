// The lab standing in for CloudFront viewer mTLS and an API Gateway custom domain: every identity of its PKI ends
// as that front treats it, confirmed from the lab's own logs (CloudFront connection logs, API Gateway access logs)
// through the same readers as real AWS logs; the records are in the documented shapes; the CLI's `lab --front`.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPemIdentity } from '../../src/core/identity/client-identity';
import { startLab, type Lab } from '../../src/core/lab/lab';
import type { LabFrontName } from '../../src/core/lab/lab-fronts';
import type { CheckRun } from '../../src/core/runs/check-run';
import { runCheck } from '../../src/core/runs/run-service';
import { runBuiltCli } from '../support/built-cli';

async function probeLab(lab: Lab, who: string | null): Promise<CheckRun> {
  const files = who === null ? null : lab.identities[who]!;
  const identity = files === null ? null : await loadPemIdentity({ certFile: files.cert, keyFile: files.key, label: who! });
  return runCheck({ kind: 'url', name: 'lab', options: { url: lab.url, ca: await readFile(lab.ca, 'utf8') } }, identity, { evidence: { request: { logs: [lab.logs] } } });
}

/** Every JSON record of the lab's gzip logs whose path holds `part`. */
async function records(lab: Lab, part: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for (const entry of await readdir(lab.logs, { withFileTypes: true, recursive: true })) {
    const file = join(entry.parentPath, entry.name);
    if (!entry.isFile() || !file.includes(part)) continue;
    for (const line of gunzipSync(await readFile(file)).toString('utf8').split('\n')) if (line.trim() !== '') out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

function frontSuite(front: LabFrontName, logPart: string, check: (lab: Lab) => Promise<void>): void {
  describe(`the lab as ${front}`, () => {
    let lab: Lab;
    before(async () => {
      lab = await startLab({ front });
    });
    after(() => lab?.close());

    test('every identity of its PKI, and none, ends as the front treats it, confirmed by the front\'s own log', async () => {
      for (const name of [null, ...Object.keys(lab.details)]) {
        const run = await probeLab(lab, name);
        const expected = name === null ? null : lab.details[name]!.expected;
        const words = `${name ?? 'none'}: ${run.verdict.stoppedAt} ${run.verdict.reason} — ${run.verdict.summary}`;
        if (expected !== null) {
          assert.equal(run.verdict.stoppedAt, expected.stoppedAt, words);
          assert.equal(run.verdict.reason, expected.reason, words);
        } else {
          assert.equal(run.verdict.stoppedAt, 'mtls', words);
        }
        // API Gateway logs the clientCert fields only when mutual TLS fails on a certificate: a request without one
        // leaves a plain 403 record, so that verdict stays the probe's.
        const confirmable = !(front === 'apigateway' && name === null);
        if (run.verdict.stoppedAt === 'mtls' && confirmable) assert.equal(run.verdict.confidence, 'confirmed', words);
        assert.doesNotMatch(`${run.verdict.summary} ${run.verdict.hint ?? ''}`, /\bWAF\b.*block/i, words);
      }
      assert.ok((await records(lab, logPart)).length > 0, `records under ${logPart}`);
    });

    test('its records are in the documented shape', () => check(lab));
  });
}

frontSuite('cloudfront', 'cloudfront/connection-logs', async (lab) => {
  await probeLab(lab, 'untrusted');
  const all = await records(lab, 'cloudfront/connection-logs');
  const refused = all.find((r) => r.connectionStatus === 'Failed:ClientCertUntrusted');
  assert.ok(refused, JSON.stringify(all.map((r) => r.connectionStatus)));
  assert.equal(typeof refused.eventTimestamp, 'number', 'epoch milliseconds, as the guide\'s example');
  assert.match(String(refused.clientLeafCertSerialNumber), /^([0-9a-f]{2}:)+[0-9a-f]{2}$/);
  assert.equal(refused.distributionId, 'E2LAB0MTLSPROBE');
  assert.ok(all.some((r) => r.connectionStatus === 'Success'));
});

frontSuite('apigateway', 'apigateway/access-logs', async (lab) => {
  const refused = await probeLab(lab, 'untrusted');
  assert.equal(refused.result.http?.status, 403);
  assert.equal(refused.result.http?.headers['x-amzn-errortype'], 'ForbiddenException');
  const all = await records(lab, 'apigateway/access-logs');
  const record = all.find((r) => r.status === 403 && /untrusted/i.test(String(r.clientCertSubjectDN)));
  assert.ok(record, JSON.stringify(all));
  assert.match(String(record.errorMessage), /Could not find issuer for certificate/);
  assert.notEqual(record.clientCertSerialNumber, '-', 'the clientCert fields are logged when mutual TLS fails');
  assert.ok(all.some((r) => r.status === 200 && r.clientCertSerialNumber === '-'), 'and only then');
});

describe('mtls-probe lab --front', () => {
  test('prints the front it stands for, and refuses an unknown one with the choices', async () => {
    const bad = await runBuiltCli(['lab', '--front', 'elb']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--front.*alb.*cloudfront.*apigateway/);
  });
});
