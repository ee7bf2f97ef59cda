// The local lab in a real VS Code (code-server + Chromium): a new user with an empty folder creates the config for
// the lab, probes it from the palette, gets the verdict confirmed by the lab's own AWS-format logs, sees it on the
// timeline, and stops the lab — no server or AWS account of their own.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/peers';
import { packageExtension, startVsCode, withScreenshotOnFailure, type VsCodeSession } from './support/vscode-session';

let workspace: string;
let port: number;

before(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'mtls-probe-e2e-lab-'));
  port = await freePort();
});

after(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

async function waitForStatusBar(vscode: VsCodeSession, present: boolean): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const items = await vscode.statusBarItems();
    if (items.some((i) => i.includes(`mTLS lab :${port}`)) === present || Date.now() > deadline) return items;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('the local lab in VS Code', { timeout: 300_000 }, () => {
  let vscode: VsCodeSession;

  before(async () => {
    vscode = await startVsCode({ workspace, trusted: true, vsix: await packageExtension(), settings: { 'mtlsProbe.lab.port': port } });
  });
  after(() => vscode?.close());

  test('Create Workspace Config → Use the Local Lab starts the lab and writes a config the tree shows', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.runCommand('mTLS Probe: Create Workspace Config');
      await vscode.quickPick('Use the Local Lab');
      const items = await waitForStatusBar(vscode, true);
      assert.ok(items.some((i) => i.includes(`mTLS lab :${port}`)), items.join(' | '));
      const rows = (await vscode.treeItems('Endpoints')).join('\n');
      assert.match(rows, /local-lab/);
      assert.match(rows, /local-lab-waf/);
      const log = await vscode.waitForOutputLog('mTLS Probe', 'Local lab started');
      assert.match(log, new RegExp(`https://localhost:${port}/`));
    });
  });

  test('a palette probe without a certificate: mtls, confirmed by the lab\'s connection log, and on the timeline', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.runCommand('mTLS Probe: Probe Endpoint…');
      await vscode.quickPick('local-lab');
      await vscode.quickPick('no certificate');
      await vscode.waitForNotification(/local-lab with no certificate: mtls · reset_after_client_certificate/, 30_000);
      await vscode.waitForNotification(/local-lab: mtls · alb_client_cert_missing · \d+ ms · confirmed/, 30_000);
      await vscode.runCommand('mTLS Probe: Show Timeline');
      const text = await vscode.webviewText((s) => /Stopped at mTLS \(client certificate\)/.test(s) && /Confirmed by the ALB connection log \(Failed:ClientCertMissing\)/.test(s), 30_000);
      assert.match(text, /never reached the WAF/);
      const logs = await readdir(join(workspace, 'mtls-probe-lab', 'logs', 'AWSLogs', '123456789012'));
      assert.ok(logs.includes('elasticloadbalancing'), `the lab wrote its ALB logs in the workspace: ${logs.join(', ')}`);
      await vscode.screenshot('lab-timeline');
    });
  });

  test('Stop Local Lab stops it: the status bar item goes, the PKI and logs stay', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.runCommand('mTLS Probe: Stop Local Lab');
      const items = await waitForStatusBar(vscode, false);
      assert.ok(!items.some((i) => i.includes('mTLS lab')), items.join(' | '));
      assert.ok((await readdir(join(workspace, 'mtls-probe-lab'))).includes('pki'));
      const entries = await vscode.paletteEntries('mTLS Probe: Start Local Lab');
      assert.ok(entries.includes('mTLS Probe: Start Local Lab'), entries.join(', '));
    });
  });
});
