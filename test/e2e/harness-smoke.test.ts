// Smoke test of the end-to-end harness with the extension as it ships: the packaged VSIX in a real VS Code
// workbench probes a local ALB-like mTLS endpoint, and an untrusted folder opens in Restricted Mode.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startAlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { probe } from '../../src/core/probe/probe';
import { packageExtension, startVsCode, withScreenshotOnFailure, type VsCodeSession } from './support/vscode-session';

const probeCommand = 'mTLS Probe: Probe URL…';

async function makeWorkspace(t: TestContext): Promise<string> {
  const workspace = await mkdtemp(join(tmpdir(), 'mtls-probe-e2e-workspace-'));
  t.after(() => rm(workspace, { recursive: true, force: true }));
  await writeFile(join(workspace, 'README.md'), '# Endpoints under test\n');
  return workspace;
}

async function startSession(t: TestContext, trusted: boolean): Promise<VsCodeSession> {
  const vsix = await packageExtension();
  const session = await startVsCode({ workspace: await makeWorkspace(t), trusted, vsix });
  t.after(() => session.close());
  return session;
}

test('the packaged extension probes an mTLS endpoint from the command palette and logs the handshake', { timeout: 120_000 }, async (t) => {
  const target = await startAlbLikeTarget();
  t.after(() => target.close());
  // What the extension should report: the same probe run directly (no client certificate either way).
  const expected = (await probe({ url: target.url })).result.verdict.summary;

  const vscode = await startSession(t, true);
  await withScreenshotOnFailure(vscode, t, async () => {
    assert.ok(await vscode.page.locator('.monaco-workbench').isVisible(), 'the workbench is visible');
    assert.ok(!(await vscode.statusBarItems()).includes('Restricted Mode'), 'a trusted folder is not in Restricted Mode');
    assert.ok((await vscode.paletteEntries('mTLS Probe')).includes(probeCommand), `the palette offers "${probeCommand}"`);

    await vscode.runCommand(probeCommand);
    await vscode.typeInQuickInput(target.url);
    // Builds with client identities ask which one to use next: probe without one, as the direct probe above did.
    const noIdentity = vscode.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'No client certificate' });
    if (await noIdentity.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false)) await vscode.quickPick('No client certificate');
    // Builds that ask how to trust the server next: the system store, as the direct probe above (no CA given).
    const systemStore = vscode.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'The system trust store' });
    if (await systemStore.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false)) await vscode.quickPick('The system trust store');
    // The progress notification also starts with "mTLS Probe:"; the verdict's is the one carrying the summary.
    const message = await vscode.waitForNotification(expected, 30_000);
    assert.ok(message.startsWith('mTLS Probe:'), message);

    const log = await vscode.waitForOutputLog('mTLS Probe', 'Verdict:');
    assert.match(log, /Client hello/);
    assert.match(log, new RegExp(`Connected to 127\\.0\\.0\\.1 port ${target.port}\\b`));
  });
  assert.equal(target.connectionLog.at(-1)?.tlsVerifyStatus, 'Failed:ClientCertMissing', 'the target saw the probe without a certificate');
});

test('an untrusted folder opens in Restricted Mode without a blocking trust prompt', { timeout: 120_000 }, async (t) => {
  const vscode = await startSession(t, false);
  await withScreenshotOnFailure(vscode, t, async () => {
    await vscode.page.locator('.part.statusbar .statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ state: 'visible' });
    assert.ok((await vscode.statusBarItems()).includes('Restricted Mode'));
    assert.equal(await vscode.page.locator('.monaco-dialog-box').count(), 0, 'no modal trust dialog');
    // The workbench takes input: the palette opens and lists the trust command.
    assert.ok((await vscode.paletteEntries('Manage Workspace Trust')).includes('Workspaces: Manage Workspace Trust'));
  });
});
