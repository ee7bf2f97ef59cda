// The extension as users get it: the packaged VSIX in a real VS Code (code-server + Chromium), on a workspace whose
// config points at real local mTLS servers — the ALB-like target (reset after the client's certificate flight) and
// nginx with ssl_verify_client on (HTTP 400). One trusted session walks through the features in order; a second,
// untrusted session checks that Restricted Mode runs no probe.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { makePkiFiles, startNginx, type RunningPeer, type TestPkiFiles } from '../support/peers';
import { packageExtension, startVsCode, withScreenshotOnFailure, type VsCodeSession } from './support/vscode-session';

let pki: TestPkiFiles;
let albLike: AlbLikeTarget;
let nginx: RunningPeer;
let workspace: string;
let validSubjectCn: string;

/** The workspace: certificates under certs/, a YAML file with an embedded certificate, and the config. */
async function makeWorkspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-e2e-workspace-'));
  await mkdir(join(dir, 'certs'));
  await mkdir(join(dir, 'deploy'));
  await mkdir(join(dir, '.vscode'));
  await copyFile(pki.files.caFile, join(dir, 'certs/ca.pem'));
  for (const name of ['valid', 'expired', 'untrusted'] as const) {
    await copyFile(pki.files.client(name).cert, join(dir, `certs/${name}.pem`));
    await copyFile(pki.files.client(name).key, join(dir, `certs/${name}.key`));
  }
  const indented = pki.pki.clients.valid.certPem.trim().split('\n').map((line) => `    ${line}`).join('\n');
  await writeFile(join(dir, 'deploy/values.yaml'), `service:\n  name: partner-gateway\ntls:\n  clientCertificate: |\n${indented}\n`);
  const config = `{
  // Endpoints under test: an ALB-like target (verify mode) and nginx with ssl_verify_client on.
  "identities": {
    "valid": { "cert": "certs/valid.pem", "key": "certs/valid.key" },
    "expired": { "cert": "certs/expired.pem", "key": "certs/expired.key" },
    "untrusted": { "cert": "certs/untrusted.pem", "key": "certs/untrusted.key" }
  },
  "trustStores": { "test-ca": "certs/ca.pem" },
  "endpoints": [
    {
      "name": "alb-like",
      "url": "${albLike.url}",
      "ca": "certs/ca.pem",
      "identities": ["none", "valid", "expired"],
      "expect": { "none": "mtls", "valid": "target", "expired": "mtls" }
    },
    {
      "name": "nginx",
      "url": "${nginx.url}",
      "ca": "certs/ca.pem",
      "identities": ["none", "valid", "untrusted"],
      // Deliberately wrong: an untrusted certificate is refused, so this test must fail.
      "expect": { "none": "mtls", "valid": "target", "untrusted": "target" },
    },
  ],
}
`;
  await writeFile(join(dir, '.vscode/mtls-probe.json'), config);
  return dir;
}

before(async () => {
  pki = await makePkiFiles('mtls-probe-e2e-pki-');
  albLike = await startAlbLikeTarget({ pki: pki.pki });
  const started = await startNginx(null, pki.files);
  assert.ok(started, 'nginx is installed (.ci/run installs it)');
  nginx = started;
  workspace = await makeWorkspace();
  validSubjectCn = /CN=([^\n,]+)/.exec(new X509Certificate(pki.pki.clients.valid.certPem).subject)![1]!;
});

after(async () => {
  await albLike?.close();
  await nginx?.stop();
  if (workspace) await rm(workspace, { recursive: true, force: true });
  if (pki) await rm(pki.files.dir, { recursive: true, force: true });
});

describe('in a trusted workspace', { timeout: 300_000 }, () => {
  let vscode: VsCodeSession;

  before(async () => {
    vscode = await startVsCode({ workspace, trusted: true, vsix: await packageExtension() });
  });
  after(() => vscode?.close());

  test('activation registers and returns; the log says how long it took', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const log = await vscode.waitForOutputLog('mTLS Probe', /activated in [\d.]+ ms/);
      const ms = Number(/activated in ([\d.]+) ms/.exec(log)![1]);
      t.diagnostic(/activated in .*/.exec(log)![0]);
      assert.ok(Number.isFinite(ms));
      assert.equal(albLike.connectionLog.length, 0, 'activation made no connection');
    });
  });

  test('the Endpoints view lists the config\'s endpoints with a row per identity', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const rows = await vscode.treeItems('Endpoints');
      const text = rows.join('\n');
      assert.match(text, /alb-like/);
      assert.match(text, /nginx/);
      assert.match(text, /no certificate/);
      assert.match(text, /expect mtls/);
    });
  });

  test('a palette probe shows the verdict in a notification, the tree and the output channel', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const connectionsBefore = albLike.connectionLog.length;
      await vscode.runCommand('mTLS Probe: Probe Endpoint…');
      await vscode.quickPick('alb-like');
      await vscode.quickPick('no certificate');
      const message = await vscode.waitForNotification(/alb-like with no certificate: mtls · reset_after_client_certificate/, 30_000);
      assert.match(message, /alb-like with no certificate/);
      assert.deepEqual(albLike.connectionLog.slice(connectionsBefore).map((c) => c.tlsVerifyStatus), ['Failed:ClientCertMissing'], 'one probe, without a certificate');

      const rows = (await vscode.treeItems('Endpoints')).join('\n');
      assert.match(rows, /mtls · reset_after_client_certificate · \d+ ms/);
      const log = await vscode.waitForOutputLog('mTLS Probe', 'Probe alb-like with no certificate');
      assert.match(log, /Client hello/);
      assert.match(log, /Verdict: stopped at mtls — reset_after_client_certificate/);
      assert.match(log, /Expectation \(mtls\): passed/);
      assert.doesNotMatch(log, /PRIVATE KEY/);
    });
  });

  test('hovering a certificate embedded in YAML shows its subject', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.openFile('deploy/values.yaml');
      // A line in the middle of the block, as a person would point at it.
      const middleLine = pki.pki.clients.valid.certPem.split('\n')[5]!.slice(0, 24);
      const hover = await vscode.hoverOverText(middleLine);
      assert.match(hover, new RegExp(validSubjectCn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.match(hover, /SHA-256/i);
      assert.match(hover, /Inspect fully/);
    });
  });

  test('an expired certificate shows a diagnostic', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.openFile('certs/expired.pem');
      const problems = await waitForProblem(vscode, /expired/i);
      assert.ok(problems.some((p) => /expired/i.test(p)), problems.join('\n'));
    });
  });

  test('the Test Explorer runs the expectations: the right ones pass, the deliberately wrong one fails', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.runCommand('mTLS Probe: Run All Expectations');
      const rows = await waitForTestResults(vscode);
      const row = (label: string): string => rows.find((r) => r.includes(label)) ?? assert.fail(`no Test Explorer row "${label}" in:\n${rows.join('\n')}`);
      assert.match(row('valid → target'), /passed/i);
      assert.match(row('untrusted → target'), /failed/i);
      assert.match(row('expired → mtls'), /passed/i);
    });
  });
});

describe('in Restricted Mode', { timeout: 180_000 }, () => {
  let vscode: VsCodeSession;

  before(async () => {
    vscode = await startVsCode({ workspace, trusted: false, vsix: await packageExtension() });
  });
  after(() => vscode?.close());

  test('no probe runs from the workspace config', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const connectionsBefore = albLike.connectionLog.length;
      await vscode.runCommand('mTLS Probe: Probe Endpoint…');
      const message = await vscode.waitForNotification(/Restricted Mode/, 30_000);
      assert.match(message, /runs no probes/);
      await vscode.runCommand('mTLS Probe: Run All Expectations');
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(albLike.connectionLog.length, connectionsBefore, 'the ALB-like target saw no connection');
      assert.doesNotMatch(await nginx.log(), /valid\.pem|untrusted/);
    });
  });
});

async function waitForProblem(vscode: VsCodeSession, pattern: RegExp): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const problems = await vscode.problems();
    if (problems.some((p) => pattern.test(p)) || Date.now() > deadline) return problems;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The Test Explorer's rows (label and state) once every expectation has a result. */
async function waitForTestResults(vscode: VsCodeSession): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await vscode.testExplorerRows();
    const leaves = rows.filter((r) => r.includes('→'));
    if ((leaves.length >= 6 && leaves.every((r) => /passed|failed|errored/i.test(r))) || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 500));
  }
}
