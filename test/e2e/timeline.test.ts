// The timeline panel in a real VS Code (code-server + Chromium), the packaged VSIX against the ALB-like target:
// after a palette probe, Show Timeline opens the panel with the verdict; Compare Runs shows two runs side by side;
// the panel comes back with its picture after a window reload (the serializer).

import assert from 'node:assert/strict';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import type { TestPkiFiles } from '../support/peers';
import { packageExtension, startVsCode, withScreenshotOnFailure, type VsCodeSession } from './support/vscode-session';
import { makeProbeWorkspace, type ProbeWorkspace } from './support/probe-workspace';

let pki: TestPkiFiles;
let setup: ProbeWorkspace;
let albLike: AlbLikeTarget;
let workspace: string;

before(async () => {
  setup = await makeProbeWorkspace('timeline');
  ({ pki, albLike, dir: workspace } = setup);
  await copyFile(pki.files.client('valid').cert, join(workspace, 'certs/valid.pem'));
  await copyFile(pki.files.client('valid').key, join(workspace, 'certs/valid.key'));
  await writeFile(
    join(workspace, '.vscode/mtls-probe.json'),
    JSON.stringify({
      identities: { valid: { cert: 'certs/valid.pem', key: 'certs/valid.key' } },
      endpoints: [{ name: 'alb-like', url: albLike.url, ca: 'certs/ca.pem', identities: ['none', 'valid'], expect: { none: 'mtls', valid: 'target' } }],
    }),
  );
});

after(() => setup?.close());

const noCertificateBanner = (text: string): boolean => /Stopped at mTLS \(client certificate\)/.test(text) && !/Passed: the application answered/.test(text);

describe('the timeline panel', { timeout: 300_000 }, () => {
  let vscode: VsCodeSession;

  before(async () => {
    vscode = await startVsCode({ workspace, trusted: true, vsix: await packageExtension() });
  });
  after(() => vscode?.close());

  test('after a palette probe, Show Timeline opens the panel with the verdict and the handshake on its lanes', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.runCommand('mTLS Probe: Probe Endpoint…');
      await vscode.quickPick('no certificate');
      await vscode.waitForNotification(/alb-like with no certificate: mtls · reset_after_client_certificate/, 30_000);
      await vscode.runCommand('mTLS Probe: Show Timeline');
      const text = await vscode.webviewText(noCertificateBanner, 30_000);
      assert.match(text, /never reached the WAF/);
      assert.match(text, /From the probe alone/);
      await vscode.screenshot('timeline-panel');
    });
  });

  test('Compare Runs shows two runs side by side, each with its verdict', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.runCommand('mTLS Probe: Probe Endpoint…');
      await vscode.quickPick('valid');
      await vscode.waitForNotification(/alb-like with valid: target 200 · target_responded/, 30_000);
      await vscode.runCommand('mTLS Probe: Compare Runs…');
      await vscode.quickPickMany(['alb-like · no certificate', 'alb-like · valid']);
      const both = (text: string): boolean => /Stopped at mTLS \(client certificate\)/.test(text) && /Passed: the application answered \(HTTP 200\)/.test(text);
      const text = await vscode.webviewText(both, 30_000);
      assert.ok(text.indexOf('Stopped at mTLS') < text.indexOf('Passed: the application answered'), 'runs in the order they happened');
      await vscode.screenshot('timeline-compare');
    });
  });

  test('after a window reload the panels come back with their picture', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      // The workbench writes its open editors to storage a few seconds after they change: a reload sooner would lose
      // the newest tab whatever the extension does (seen here: the compare tab, opened 1 s before, did not come back).
      await new Promise((r) => setTimeout(r, 6000));
      await vscode.page.reload();
      await vscode.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      // The compare panel was in front: it comes back drawn from the state its page saved, before any run exists again.
      const text = await vscode.webviewText((s) => /Compare 2 runs/.test(s) && /Passed: the application answered \(HTTP 200\)/.test(s), 60_000);
      assert.match(text, /Stopped at mTLS \(client certificate\)/);
      const tabs = await vscode.page.locator('.tabs-container .tab .label-name').allTextContents();
      assert.deepEqual(tabs.filter((tab) => tab.startsWith('Timeline')).sort(), ['Timeline: alb-like · no certificate', 'Timeline: compare 2 runs']);
    });
  });
});
