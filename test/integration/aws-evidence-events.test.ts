// The AWS evidence source's progress events (src/core/evidence/evidence-events.ts): each setup lookup and each
// piece of evidence as it is asked for, what it found or the coded error that stopped it, and the pause before AWS
// is asked again. A real probe of the ALB-like target, then the real AWS SDK clients against fake-aws; the source's
// clock is the test's, so nothing depends on timing.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { AwsEvidenceSource } from '../../src/core/evidence/aws/aws-evidence-source';
import { correlationKeysFor, evidenceWindow } from '../../src/core/evidence/correlate';
import { subscribeEvents, type MtlsProbeEvent } from '../../src/core/events';
import { probe } from '../../src/core/probe/probe';
import { fakeAwsAccess, startFakeAws } from '../support/fake-aws';
import { account, listenerArn, loadBalancerArn, region, trustStoreArn, wafLogGroup } from '../support/aws-test-names';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';

const webAclArn = `arn:aws:wafv2:${region}:${account}:regional/webacl/edge-acl/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111`;
const denied = { error: { code: 'AccessDeniedException', message: 'User is not authorized to perform this action', status: 400 } };

let env: TestPkiFiles;
let target: AlbLikeTarget;

before(async () => {
  env = await makePkiFiles();
  target = await startAlbLikeTarget({ pki: env.pki });
});

after(async () => {
  await target?.close();
  if (env) await rm(env.files.dir, { recursive: true, force: true });
});

test('AWS: the listener read, the web ACL and the WAF log denied (aws_access_denied), metrics not yet there, a pause, metrics again', async (t) => {
  const { result } = await probe({ url: target.url, ca: env.pki.rootCa.certPem });
  const ended = new Date(Date.parse(result.startedAt) + result.timings.total);
  const fake = await startFakeAws(t, {
    'elbv2:DescribeListeners': () => ({
      output: { Listeners: [{ ListenerArn: listenerArn, LoadBalancerArn: loadBalancerArn, Port: 443, Protocol: 'HTTPS', MutualAuthentication: { Mode: 'verify', TrustStoreArn: trustStoreArn } }] },
    }),
    'elbv2:DescribeTrustStores': () => ({ output: { TrustStores: [{ Name: 'partners', TrustStoreArn: trustStoreArn, Status: 'ACTIVE', NumberOfCaCertificates: 1, TotalRevokedEntries: 0 }] } }),
    'wafv2:GetWebACL': () => denied,
    'cloudwatch:GetMetricData': (params) => ({ output: { MetricDataResults: (params.MetricDataQueries as Array<{ Id: string }>).map((q) => ({ Id: q.Id, StatusCode: 'Complete', Timestamps: [], Values: [] })), Messages: [] } }),
    'logs:StartQuery': () => denied,
  });
  // The source's clock: a second after the probe (metrics are due minutes later), moved past the wait by the pause.
  let now = ended.getTime() + 1000;
  const source = new AwsEvidenceSource({ region, listenerArn, webAclArn, wafLogGroup }, { access: fakeAwsAccess(fake.url), pollIntervalMs: 1, now: () => now });

  const events: MtlsProbeEvent[] = [];
  const stop = subscribeEvents((event) => events.push(event));
  try {
    await source.collect(evidenceWindow(result), correlationKeysFor(result), {
      runId: 'aws-run',
      probeEndedAt: ended,
      waitUntil: new Date(ended.getTime() + 2000),
      onWaiting: () => (now += 5000),
    });
  } finally {
    stop();
  }

  const mine = events.filter((e) => 'collection' in e.message && e.message.collection.runId === 'aws-run');
  const words = mine.map((e) => {
    const m = e.message as { item?: string; look?: number; records?: number; error?: { code: string }; pending?: string[] };
    return [e.channel.replace(/^mtls-probe:evidence:/, ''), m.item, m.look, m.records, m.error?.code, m.pending?.length].filter((w) => w !== undefined).join(' ');
  });
  assert.deepEqual(words, [
    'sourceStart listener mTLS settings (ELBv2)',
    'sourceEnd listener mTLS settings (ELBv2) 1',
    'sourceStart web ACL settings (WAFv2)',
    'sourceError web ACL settings (WAFv2) aws_access_denied',
    'sourceStart CloudWatch metrics 1',
    'sourceEnd CloudWatch metrics 1 0',
    'sourceStart WAF log 1',
    'sourceError WAF log 1 aws_access_denied',
    'waiting 1',
    'sourceStart CloudWatch metrics 2',
    'sourceEnd CloudWatch metrics 2 0',
  ]);
  for (const event of mine) {
    assert.equal((event.message as { source: string }).source, 'AWS');
    assert.deepEqual((event.message as { collection: unknown }).collection, { correlationId: result.correlationId, runId: 'aws-run' });
  }
  const waiting = mine.find((e) => e.channel === 'mtls-probe:evidence:waiting');
  assert.ok(waiting?.channel === 'mtls-probe:evidence:waiting');
  assert.match(waiting.message.pending[0]!, /^CloudWatch metrics by \d\d:\d\d:\d\d$/);
  assert.doesNotMatch(JSON.stringify(mine), /AKIDTEST|secretAccessKey/);
});
