// Server-side evidence in the extension as users get it: the packaged VSIX in a real VS Code (code-server +
// Chromium) probes the ALB-like target from the command palette, and the evidence fetcher then reads, in the
// background, the ALB connection log the target wrote into the workspace's logs folder and the listener's mTLS
// setup from AWS — the real AWS SDK in the extension host, pointed at a local fake AWS by AWS_ENDPOINT_URL, with
// test credentials in code-server's environment. Account 123456789012, region eu-west-1, load balancer
// app/edge/50dc6c495c0c9188.

import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { albLogIntervalEnd, connectionLogLine } from '../support/alb-log-lines';
import { account, elbArn, lbDimension, listenerArn, loadBalancerArn, region, trustStoreArn } from '../support/aws-test-names';
import { startFakeAws, type FakeAws } from '../support/fake-aws';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';
import { packageExtension, startVsCode, withScreenshotOnFailure, type VsCodeSession } from './support/vscode-session';

const accessKeyId = 'AKIDE2E';

let pki: TestPkiFiles;
let albLike: AlbLikeTarget;
let fakeAws: FakeAws;
let workspace: string;
let connLogName: string;
const cleanups: Array<() => unknown> = [];

/** The name ALB gives a connection-log object, for the 5-minute interval that holds now. */
function connectionLogFileName(): string {
  const iso = albLogIntervalEnd(new Date()).toISOString();
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  return `conn_log_${account}_elasticloadbalancing_${region}_${lbDimension.replace(/\//g, '.')}_${stamp}_10.0.0.1_abc.log`;
}

/** Two endpoints on the ALB-like target: one with evidence (a logs folder and the listener's ARN), one without. */
async function makeWorkspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-e2e-evidence-workspace-'));
  await mkdir(join(dir, 'certs'));
  await mkdir(join(dir, 'logs'));
  await mkdir(join(dir, '.vscode'));
  await copyFile(pki.files.caFile, join(dir, 'certs/ca.pem'));
  await copyFile(pki.files.client('valid').cert, join(dir, 'certs/valid.pem'));
  await copyFile(pki.files.client('valid').key, join(dir, 'certs/valid.key'));
  const config = `{
  "identities": {
    "valid": { "cert": "certs/valid.pem", "key": "certs/valid.key" }
  },
  "endpoints": [
    {
      "name": "alb-edge",
      "url": "${albLike.url}",
      "ca": "certs/ca.pem",
      "identities": ["none", "valid"],
      "expect": { "none": "mtls", "valid": "target" },
      // The load balancer's connection logs, copied locally, and its HTTPS listener for the mTLS setup.
      "logs": "logs",
      "aws": { "region": "${region}", "listenerArn": "${listenerArn}" }
    },
    {
      "name": "direct",
      "url": "${albLike.url}",
      "ca": "certs/ca.pem",
      "identities": ["none"]
    }
  ]
}
`;
  await writeFile(join(dir, '.vscode/mtls-probe.json'), config);
  return dir;
}

before(async () => {
  pki = await makePkiFiles('mtls-probe-e2e-evidence-pki-');
  albLike = await startAlbLikeTarget({ pki: pki.pki });
  workspace = await makeWorkspace();
  // Like an ALB node, the target logs each connection as it decides it, before the client sees the outcome, so
  // the line is in the workspace's logs folder by the time the probe returns and the evidence is read.
  connLogName = connectionLogFileName();
  const connLog = join(workspace, 'logs', connLogName);
  await writeFile(connLog, '');
  const log = albLike.connectionLog;
  const push = log.push.bind(log);
  log.push = (...entries) => {
    for (const entry of entries) appendFileSync(connLog, `${connectionLogLine(entry, { serial: null, listenerPort: 443, loadBalancer: lbDimension })}\n`);
    return push(...entries);
  };
  fakeAws = await startFakeAws({ after: (fn) => cleanups.push(fn) }, {
    'elbv2:DescribeListeners': () => ({
      output: {
        Listeners: [
          {
            ListenerArn: listenerArn,
            LoadBalancerArn: loadBalancerArn,
            Port: 443,
            Protocol: 'HTTPS',
            SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
            DefaultActions: [{ Type: 'forward', TargetGroupArn: `${elbArn}:targetgroup/api/73e2d6bc24d8a067` }],
            MutualAuthentication: { Mode: 'verify', TrustStoreArn: trustStoreArn, IgnoreClientCertificateExpiry: false, AdvertiseTrustStoreCaNames: 'on', TrustStoreAssociationStatus: 'active' },
          },
        ],
      },
    }),
    'elbv2:DescribeTrustStores': () => ({ output: { TrustStores: [{ Name: 'partners', TrustStoreArn: trustStoreArn, Status: 'ACTIVE', NumberOfCaCertificates: 1, TotalRevokedEntries: 0 }] } }),
    // The listener names the load balancer, so its metrics are looked at too: none delivered yet, as right after a probe.
    'cloudwatch:GetMetricData': (params) => ({
      output: { MetricDataResults: (params.MetricDataQueries as Array<{ Id: string }>).map((q) => ({ Id: q.Id, StatusCode: 'Complete', Timestamps: [], Values: [] })), Messages: [] },
    }),
  });
});

after(async () => {
  for (const cleanup of cleanups) await cleanup();
  await albLike?.close();
  if (workspace) await rm(workspace, { recursive: true, force: true });
  if (pki) await rm(pki.files.dir, { recursive: true, force: true });
});

describe('server-side evidence after a probe', { timeout: 300_000 }, () => {
  let vscode: VsCodeSession;

  before(async () => {
    vscode = await startVsCode({
      workspace,
      trusted: true,
      vsix: await packageExtension(),
      settings: { 'mtlsProbe.evidence.waitMinutes': 0 },
      env: { AWS_ENDPOINT_URL: fakeAws.url, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: 'e2e-not-a-real-secret' },
    });
  });
  after(() => vscode?.close());

  test('a palette probe collects the connection log and the listener setup, and the verdict becomes confirmed', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const connectionsBefore = albLike.connectionLog.length;
      await vscode.runCommand('mTLS Probe: Probe Endpoint…');
      await vscode.quickPick('alb-edge');
      await vscode.quickPick('no certificate');
      // The probe's own verdict first, from the client side alone.
      await vscode.waitForNotification(/alb-edge with no certificate: mtls · reset_after_client_certificate/, 30_000);
      const decided = albLike.connectionLog.slice(connectionsBefore);
      assert.deepEqual(decided.map((c) => c.tlsVerifyStatus), ['Failed:ClientCertMissing'], 'one probe, without a certificate');
      const clientPort = decided[0]!.clientPort;

      // Then the evidence, in the background: the output channel gets the whole story.
      const log = await vscode.waitForOutputLog('mTLS Probe', /Verdict with evidence: .*/, 60_000);
      const section = log.slice(log.lastIndexOf('Evidence for alb-edge with '));
      t.diagnostic(section.split('\n').slice(0, 12).join(' | '));
      assert.match(section, /^Evidence for alb-edge with no certificate:\n/);
      assert.match(section, /ALB listener \(mTLS verify\): Listener HTTPS:443 is in mTLS verify mode with trust store partners \(1 CA certificate/);
      assert.match(section, /Evidence \(local logs and AWS\): 1 record matched/);
      assert.match(section, /alb-connection-log {2}ALB connection log: tls_verify_status Failed:ClientCertMissing/);
      assert.match(section, new RegExp(`matched by clientIp=127\\.0\\.0\\.1, clientPort=${clientPort}\\b[^\\n]*${connLogName.replace(/\./g, '\\.')}:\\d+`));
      assert.match(section, /CloudWatch metrics: app\/edge\/50dc6c495c0c9188/, 'a coverage line for the metrics the listener made possible');
      assert.doesNotMatch(section, /Not read:/, 'every source was read');
      assert.match(section, /Verdict with evidence: mtls · alb_client_cert_missing · \d+ ms · confirmed — The ALB rejected the client certificate during the TLS handshake/);
      assert.doesNotMatch(log, /could not be collected/);

      // A confirmed verdict is announced as a toast of its own: it waits a second after the probe's, since the
      // workbench toasts at most three notifications in 800 ms and sends the rest to the notification center unseen.
      await vscode.waitForNotification(/^mTLS Probe: alb-edge: mtls · alb_client_cert_missing · \d+ ms · confirmed\. The ALB rejected the client certificate/);
      // And the tree row for that identity shows it.
      const rows = await waitForTreeRow(vscode, /^no certificate mtls · alb_client_cert_missing · \d+ ms · confirmed$/);
      t.diagnostic(`Endpoints: ${rows.join(' | ')}`);

      // The extension host's AWS SDK went to the fake, signed with the environment's credentials.
      const listeners = fakeAws.callsTo('DescribeListeners');
      assert.equal(listeners.length, 1);
      assert.deepEqual(listeners[0]!.params.ListenerArns, [listenerArn]);
      assert.equal(listeners[0]!.accessKeyId, accessKeyId);
      assert.equal(listeners[0]!.region, region);
      // waitMinutes 0: one look at each piece of evidence, every call signed with the environment's key.
      assert.deepEqual(fakeAws.calls.map((c) => c.operation), ['DescribeListeners', 'DescribeTrustStores', 'GetMetricData']);
      assert.deepEqual([...new Set(fakeAws.calls.map((c) => c.accessKeyId))], [accessKeyId]);
    });
  });

  test('Look Again for Evidence collects a run\'s evidence again (AWS delivers late), from the palette', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const callsBefore = fakeAws.calls.length;
      const sectionsBefore = (await vscode.outputLog('mTLS Probe')).split('Evidence for alb-edge with ').length;
      await vscode.runCommand('mTLS Probe: Look Again for Evidence');
      await vscode.quickPick('alb-edge');
      const log = await vscode.waitForOutputLog('mTLS Probe', (text: string) => text.split('Evidence for alb-edge with ').length > sectionsBefore, 60_000);
      const section = log.slice(log.lastIndexOf('Evidence for alb-edge with '));
      assert.match(section, /Verdict with evidence: mtls · alb_client_cert_missing · \d+ ms · confirmed/);
      // A second look at AWS, same calls: the listener, its trust store, the metrics.
      assert.deepEqual(fakeAws.calls.slice(callsBefore).map((c) => c.operation), ['DescribeListeners', 'DescribeTrustStores', 'GetMetricData']);
    });
  });
});

/** The Endpoints view's rows once one matches the pattern (the tree refreshes when evidence arrives). */
async function waitForTreeRow(vscode: VsCodeSession, pattern: RegExp): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const rows = await vscode.treeItems('Endpoints');
    if (rows.some((r) => pattern.test(r))) return rows;
    if (Date.now() > deadline) assert.fail(`no Endpoints row matches ${pattern}; rows:\n${rows.join('\n')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
