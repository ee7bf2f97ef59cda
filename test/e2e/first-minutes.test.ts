// The first minutes with the extension, as a new user spends them, in a real VS Code (code-server + Chromium) with
// the packaged VSIX. An empty folder: the views say what fills them, Create Workspace Config → Generate Test PKI
// writes a config without a toast being answered and the first probe gets an answer from the local lab, doing it
// again is safe, a row's Probe button ends with one summary, Run All with one, and Recent Runs clears. Then a
// workspace on the ALB-like target: a cancel is no error, Probe URL… asks how to trust the server and saves what was
// chosen, and a failed test points at its expectation's line with the config closed.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseJsonc } from 'jsonc-parser/lib/esm/main.js';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { freePort, makePkiFiles, type TestPkiFiles } from '../support/peers';
import { packageExtension, startVsCode, withScreenshotOnFailure, type VsCodeSession } from './support/vscode-session';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** The notifications shown since `before` (an index into the session's list). */
async function notificationsSince(vscode: VsCodeSession, before: number): Promise<string[]> {
  return (await vscode.notifications()).slice(before);
}

/** Progress notifications rewrite their message as time passes; these are the messages of results. */
const isProgress = (message: string): boolean => / · \d+\.\d s$/.test(message) || /^mTLS Probe(: (running the expectations|starting the local lab|generating .*))?$/.test(message);

describe('a new user in an empty folder', { timeout: 400_000 }, () => {
  let vscode: VsCodeSession;
  let workspace: string;
  let port: number;

  before(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'mtls-probe-e2e-first-'));
    port = await freePort();
    vscode = await startVsCode({ workspace, trusted: true, vsix: await packageExtension(), settings: { 'mtlsProbe.lab.port': port } });
  });
  after(async () => {
    await vscode?.close();
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });

  test('empty views say what fills them, and title buttons that cannot act are hidden', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const endpoints = await vscode.viewChrome('Endpoints');
      assert.match(endpoints.welcome, /No endpoints yet/);
      assert.ok(!endpoints.actions.includes('Run All Expectations'), `no expectations to run: ${endpoints.actions.join(', ')}`);
      const trust = await vscode.viewChrome('Trust Stores');
      assert.match(trust.welcome, /No trust stores yet: .*Lint Trust Store…/);
      const runs = await vscode.viewChrome('Recent Runs');
      assert.match(runs.welcome, /No runs yet\. Each probe lands here \(the latest 50 are kept\).*Probe Endpoint….*Probe URL…/);
      assert.deepEqual(runs.actions.filter((a) => /Compare|Clear|Refresh/.test(a)), [], 'nothing to compare, clear or refresh');
      await vscode.screenshot('first-minutes-empty-views');
    });
  });

  test('Create Workspace Config → Generate Test PKI writes the config with no toast answered, and the first probe gets an answer', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const configFile = join(workspace, '.vscode/mtls-probe.json');
      await vscode.runCommand('mTLS Probe: Create Workspace Config');
      await vscode.quickPick('Generate Test PKI');
      const text = await until('the config to be written', async () => (existsSync(configFile) ? readFile(configFile, 'utf8') : undefined), 60_000);
      assert.match(text, new RegExp(`"url": "https://localhost:${port}/"`));
      assert.doesNotMatch(text, /mtls-probe (probe|lab|pki)/, 'no CLI the VSIX does not ship');
      assert.ok(existsSync(join(workspace, 'mtls-probe-lab/pki/manifest.json')), 'the PKI is in the lab\'s folder');
      await until('the lab\'s status bar item', async () => ((await vscode.statusBarItems()).some((i) => i.includes(`mTLS lab :${port}`)) ? true : undefined));
      await vscode.waitForNotification(/wrote \.vscode\/mtls-probe\.json for the local lab/);

      await vscode.runCommand('mTLS Probe: Probe Endpoint…');
      await vscode.quickPick('local-lab');
      await vscode.quickPick('no certificate');
      // The probe alone cannot tell ALB's reason; the lab's connection log does, a moment later.
      const verdict = await vscode.waitForNotification(/local-lab with no certificate: /, 30_000);
      assert.match(verdict, /local-lab with no certificate: mtls · reset_after_client_certificate · \d+ ms\. .* Expected mtls \(alb_client_cert_missing\): judged once the evidence is in\.$/);
      await vscode.waitForNotification(/^mTLS Probe: local-lab: mtls · alb_client_cert_missing · \d+ ms · confirmed\. .* Expected mtls \(alb_client_cert_missing\): met\.$/, 30_000);
      assert.doesNotMatch((await vscode.notifications()).join('\n'), /connection_refused/);
    });
  });

  test('doing it again is safe: the config opens, an existing PKI is reused, never EEXIST', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const before = (await vscode.notifications()).length;
      await vscode.runCommand('mTLS Probe: Create Workspace Config');
      await until('the status bar to say the config exists', async () => ((await vscode.statusBarItems()).some((i) => i.includes('already exists; opened it')) ? true : undefined), 10_000);

      await vscode.runCommand('mTLS Probe: Generate Test PKI…');
      const asked = await vscode.quickInputText();
      assert.equal(asked.value, 'pki', 'a new folder is suggested');
      await vscode.typeInQuickInput('mtls-probe-lab/pki');
      await vscode.waitForNotification(/test PKI already in mtls-probe-lab\/pki: 8 client identities/);
      const since = await notificationsSince(vscode, before);
      assert.ok(!since.some((m) => /EEXIST|not empty/i.test(m)), since.join('\n'));
    });
  });

  test('Discovered in workspace lists each client certificate once, with its key, and no CA certificate', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      for (const other of ['Endpoints', 'Trust Stores', 'Recent Runs']) await vscode.collapseView(other);
      await vscode.clickTreeItem('Identities', { hasText: 'Discovered in workspace' });
      const rows = await until('the discovered identities', async () => {
        const shown = (await vscode.treeItems('Identities')).filter((r) => r.startsWith('mtls-probe-lab/'));
        return shown.length > 0 ? shown : undefined;
      });
      t.diagnostic(rows.join(' | '));
      assert.ok(rows.every((r) => / · key mtls-probe-lab\/pki\/[\w-]+\.key/.test(r)), rows.join('\n'));
      assert.ok(!rows.some((r) => /\bCA\b/.test(r.split(' · key')[0]!)), `no CA certificate: ${rows.join('\n')}`);
      const certificates = rows.map((r) => r.split(' · key')[0]!.replace(/^\S+ /, ''));
      assert.equal(new Set(certificates).size, certificates.length, `one row per certificate: ${rows.join('\n')}`);
      assert.ok(rows.some((r) => /^mtls-probe-lab\/pki\/valid\.chain\.pem .* · also in 1 other file$/.test(r)), 'the chain file and the lone certificate are one identity');
      await vscode.screenshot('first-minutes-discovered-identities');
      await vscode.clickTreeItem('Identities', { hasText: 'Discovered in workspace' });
    });
  });

  test('a row\'s Probe button probes every identity and ends with one summary notification', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const before = (await vscode.notifications()).length;
      await vscode.clickTreeItemAction('Endpoints', { hasText: 'local-lab', hasNotText: 'waf' }, 'Probe');
      const summary = await vscode.waitForNotification(/^mTLS Probe: local-lab: 5 probes — /, 60_000);
      assert.equal(summary, 'mTLS Probe: local-lab: 5 probes — 5 met.', 'judged with the lab\'s logs');
      // Evidence from the lab's logs arrives in the background; no toast of its own for a batch.
      await sleep(3000);
      const results = (await notificationsSince(vscode, before)).filter((m) => !isProgress(m));
      assert.deepEqual(results, [summary], 'exactly one notification for the whole batch');
      await vscode.screenshot('first-minutes-batch-summary');
    });
  });

  test('Run All Expectations ends with a summary', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const endpoints = await vscode.viewChrome('Endpoints');
      assert.ok(endpoints.actions.includes('Run All Expectations'), endpoints.actions.join(', '));
      await vscode.clickViewTitleAction('Endpoints', 'Run All Expectations');
      await vscode.waitForNotification(/^mTLS Probe: 6 expectations: 6 passed\.$/, 120_000);
    });
  });

  test('Recent Runs: Compare and Clear appear once there are runs; Clear empties the view and the welcome returns', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const filled = await vscode.viewChrome('Recent Runs');
      assert.ok(filled.actions.includes('Compare Runs…') && filled.actions.includes('Clear Recent Runs'), filled.actions.join(', '));
      assert.ok((await vscode.treeItems('Recent Runs')).length >= 6);
      await vscode.screenshot('first-minutes-recent-runs');
      await vscode.clickViewTitleAction('Recent Runs', 'Clear Recent Runs');
      const cleared = await until('the welcome content to return', async () => {
        const chrome = await vscode.viewChrome('Recent Runs');
        return /No runs yet/.test(chrome.welcome) ? chrome : undefined;
      });
      assert.ok(!cleared.actions.includes('Clear Recent Runs'), cleared.actions.join(', '));
      assert.match((await vscode.statusBarItems()).join(' | '), /cleared \d+ runs/);
    });
  });
});

describe('a workspace on an ALB-like target', { timeout: 400_000 }, () => {
  let vscode: VsCodeSession;
  let pki: TestPkiFiles;
  let albLike: AlbLikeTarget;
  let silent: Server;
  const sockets = new Set<Socket>();
  let workspace: string;
  let configFile: string;

  before(async () => {
    pki = await makePkiFiles('mtls-probe-e2e-first-pki-');
    albLike = await startAlbLikeTarget({ pki: pki.pki });
    // Accepts the connection and never answers: a probe that takes long enough to be cancelled.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const silentPort = (silent.address() as { port: number }).port;
    workspace = await mkdtemp(join(tmpdir(), 'mtls-probe-e2e-first-alb-'));
    await mkdir(join(workspace, 'certs'));
    await mkdir(join(workspace, '.vscode'));
    await copyFile(pki.files.caFile, join(workspace, 'certs/ca.pem'));
    for (const name of ['valid', 'expired'] as const) {
      await copyFile(pki.files.client(name).cert, join(workspace, `certs/${name}.pem`));
      await copyFile(pki.files.client(name).key, join(workspace, `certs/${name}.key`));
    }
    configFile = join(workspace, '.vscode/mtls-probe.json');
    await writeFile(
      configFile,
      `{
  "identities": {
    "valid": { "cert": "certs/valid.pem", "key": "certs/valid.key" },
    "expired": { "cert": "certs/expired.pem", "key": "certs/expired.key" }
  },
  "endpoints": [
    {
      "name": "alb-like",
      "url": "${albLike.url}",
      "ca": "certs/ca.pem",
      "identities": ["none", "valid", "expired"],
      "expect": {
        "none": "mtls",
        "valid": "target",
        // Deliberately wrong: an expired certificate is refused at mTLS.
        "expired": "target"
      }
    },
    { "name": "silent", "url": "https://127.0.0.1:${silentPort}/", "identities": ["none"] }
  ]
}
`,
    );
    vscode = await startVsCode({ workspace, trusted: true, vsix: await packageExtension() });
  });
  after(async () => {
    await vscode?.close();
    await albLike?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    if (workspace) await rm(workspace, { recursive: true, force: true });
    if (pki) await rm(pki.files.dir, { recursive: true, force: true });
  });

  test('a row\'s Probe button: one summary naming what missed its expectation, and the runs side by side from it', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const before = (await vscode.notifications()).length;
      await vscode.clickTreeItemAction('Endpoints', { hasText: 'alb-like' }, 'Probe');
      const summary = await vscode.waitForNotification(/^mTLS Probe: alb-like: 3 probes — /, 60_000);
      assert.equal(summary, 'mTLS Probe: alb-like: 3 probes — 2 met, 1 not met (expired).');
      await sleep(1500);
      assert.deepEqual((await notificationsSince(vscode, before)).filter((m) => !isProgress(m)), [summary]);
      await vscode.clickNotificationButton(summary, 'Show Timeline');
      const text = await vscode.webviewText((s) => /Compare 3 runs/.test(s) && /as expected/i.test(s), 30_000);
      assert.match(text, /not as expected/i, 'the expired run missed its expectation');
      await vscode.screenshot('first-minutes-compare-banners');
    });
  });

  test('the trace document puts the verdict and the expectation first', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.clickTreeItem('Endpoints', { hasText: /^expired/ });
      const lines = await until('the trace document', async () => {
        const shown = await vscode.editorLines();
        return shown[0]?.startsWith('alb-like · expired') ? shown : undefined;
      });
      assert.match(lines[2]!, /^Verdict: mtls · /);
      const expectation = lines.findIndex((l) => l.startsWith('Expectation: target — NOT met: got mtls'));
      const trace = lines.findIndex((l) => l.startsWith('── Trace'));
      assert.ok(expectation > 2 && trace > expectation, lines.slice(0, 20).join('\n'));
      assert.ok(lines.slice(0, trace).every((l) => l.length <= 100), 'the verdict is wrapped');
      await vscode.screenshot('first-minutes-trace-document');
    });
  });

  test('a cancel the user asked for is not an error', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      const before = (await vscode.notifications()).length;
      await vscode.runCommand('mTLS Probe: Probe Endpoint…');
      await vscode.quickPick('silent');
      await vscode.waitForNotification(/^mTLS Probe: silent with no certificate · \d+\.\d s$/);
      await vscode.clickNotificationButton(/silent with no certificate ·/, 'Cancel');
      await until('the status bar note', async () => ((await vscode.statusBarItems()).some((i) => /probing silent cancelled/.test(i)) ? true : undefined), 10_000);
      await sleep(1000);
      const since = (await notificationsSince(vscode, before)).filter((m) => !isProgress(m));
      assert.deepEqual(since, [], 'no toast: not an error, not a result');
    });
  });

  test('Probe URL… asks how to trust the server; Save to Config asks for the name and writes "ca" and the expectation chosen', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.runCommand('mTLS Probe: Probe URL…');
      await vscode.typeInQuickInput(albLike.url);
      await vscode.quickPick('No client certificate');
      // The workspace's CA files are looked for while the pick shows.
      const trust = await until('the trust choices', async () => {
        const shown = await vscode.quickInputText();
        return shown.rows.some((r) => r.includes('Skip verification')) ? shown : undefined;
      });
      for (const choice of ['certs/ca.pem', 'The system trust store', 'Choose a CA file…', 'Skip verification (like curl -k)']) {
        assert.ok(trust.rows.some((r) => r.includes(choice)), `"${choice}" in ${JSON.stringify(trust.rows)}`);
      }
      assert.match(trust.rows[0]!, /certs\/ca\.pem.*the CA of endpoint alb-like/, 'the CA of the endpoint on the same server first');
      await vscode.screenshot('first-minutes-probe-url-trust');
      await vscode.quickPick('certs/ca.pem');
      const verdict = await vscode.waitForNotification(/^mTLS Probe: https:\/\/localhost:\d+\/ with no certificate: mtls · reset_after_client_certificate/, 30_000);
      assert.doesNotMatch(verdict, /Expected/);
      await vscode.clickNotificationButton(verdict, 'Save to Config');
      const name = await vscode.quickInputText();
      assert.equal(name.value, 'localhost', 'the name is prefilled from the host');
      await vscode.typeInQuickInput('alb-direct');
      const expectation = await vscode.quickInputText();
      const choices = ['Expect what you saw: mtls (reset_after_client_certificate)', 'Expect the application to answer', 'No expectation'];
      assert.deepEqual(expectation.rows.map((r, i) => r.startsWith(choices[i]!)), [true, true, true], JSON.stringify(expectation.rows));
      await vscode.quickPick('Expect what you saw');
      const saved = await until('the endpoint in the config', async () => {
        const config = parseJsonc(await readFile(configFile, 'utf8')) as { endpoints: Array<Record<string, unknown>> };
        return config.endpoints.find((e) => e.name === 'alb-direct');
      });
      assert.deepEqual(saved, { name: 'alb-direct', url: albLike.url, ca: 'certs/ca.pem', expect: { none: 'mtls' } });
    });
  });

  test('the hover says where the issuer\'s certificate was found, and no more', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.openFile('certs/valid.pem');
      const middle = (await readFile(join(workspace, 'certs/valid.pem'), 'utf8')).split('\n')[4]!.slice(0, 24);
      // The workspace index is built on the first hover: a second look has it.
      const hover = await until('a hover with the workspace lookups', async () => {
        const shown = await vscode.hoverOverText(middle);
        if (/Issuer certificate/.test(shown)) return shown;
        await vscode.page.keyboard.press('Escape');
        await vscode.page.mouse.move(5, 5);
        return undefined;
      });
      assert.match(hover, /Issuer certificate CN=mTLS Probe Test PKI Root CA,O=mTLS Probe Test PKI found in the workspace \(certs\/ca\.pem\)/);
      assert.doesNotMatch(hover, /Issuing CA/);
    });
  });

  test('a failed test points at its expectation\'s line, with the config file closed', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.runCommand('View: Close All Editors');
      await vscode.runCommand('mTLS Probe: Run All Expectations');
      await vscode.waitForNotification(/^mTLS Probe: 4 expectations: 3 passed, 1 failed\./, 60_000);
      const text = await readFile(configFile, 'utf8');
      const line = text.slice(0, text.indexOf('"expired": "target"')).split('\n').length;
      await vscode.clickTestExplorerRow(/expired → target/);
      const position = await until(`the cursor on line ${line}`, async () => (await vscode.statusBarItems()).find((i) => /^Ln \d+, Col \d+/.test(i) && i.startsWith(`Ln ${line},`)));
      t.diagnostic(position);
      await vscode.screenshot('first-minutes-failed-test-location');
    });
  });
});
