// The extension half of issue 16's canary, in a real VS Code (code-server + Chromium) with the packaged VSIX: a
// workspace whose identity key is encrypted with a passphrase holding a unique marker (entered in the passphrase
// prompt), and an endpoint sending `Authorization: Bearer <marker>` and `Cookie: s=<marker>`. The session probes,
// opens the timeline (its messages captured both ways), exports the run in every format, shows the trace and runs
// the Test Explorer; then no marker and no byte of the private key may appear in the output channel's log or any
// other log, the exported files, the webview's DOM, HTML, state and messages, notifications, the trace document,
// settings and workspace/global state, or any other file the session or the extension wrote.

import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes, type JsonWebKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import type { AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import type { TestPkiFiles } from '../support/peers';
import { closeVsCodeWithTestHooks, hookKeys, startVsCodeWithTestHooks, type TestHooks } from './support/test-hooks';
import { withScreenshotOnFailure, type VsCodeSession } from './support/vscode-session';
import { makeProbeWorkspace, type ProbeWorkspace } from './support/probe-workspace';
import { sleep, until } from './support/wait';

// ---------------------------------------------------------------------------------------------------------------
// The secrets and what betrays them.

const tag = randomBytes(8).toString('hex');
const markers = {
  passphrase: `canaryPassphrase${tag}`,
  bearer: `canaryBearer${tag}`,
  cookie: `canaryCookie${tag}`,
};

interface Needle {
  label: string;
  bytes: Buffer;
}

/**
 * Every form in which the key could show: its PEM lines (plain and encrypted), its private numbers in base64url,
 * base64, hex and raw. A line of the plain PEM that holds only public bytes (an EC key carries its public point,
 * which the certificate shows too) is no secret and not looked for.
 */
function keyNeedles(keyPem: string, encryptedPem: string): Needle[] {
  const needles: Needle[] = [];
  const publicDer = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  const pemLines = (pem: string, what: string, skipPublic: boolean) =>
    pem
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => !l.startsWith('-----') && l.length >= 32)
      .forEach((line, i) => {
        if (!skipPublic || !publicDer.includes(Buffer.from(line, 'base64'))) needles.push({ label: `${what} PEM line ${i + 1}`, bytes: Buffer.from(line) });
      });
  pemLines(keyPem, 'the key\'s', true);
  pemLines(encryptedPem, 'the encrypted key\'s', false);
  const jwk = createPrivateKey(keyPem).export({ format: 'jwk' }) as JsonWebKey;
  for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
    const value = jwk[part];
    if (typeof value !== 'string') continue;
    const raw = Buffer.from(value, 'base64url');
    // The first 24 bytes of each private number are unique enough; each encoding aligned at its start.
    const head = raw.subarray(0, 24);
    needles.push(
      { label: `private ${part} (raw bytes)`, bytes: head },
      { label: `private ${part} (base64url)`, bytes: Buffer.from(value.slice(0, 32)) },
      { label: `private ${part} (base64)`, bytes: Buffer.from(raw.toString('base64').slice(0, 32)) },
      { label: `private ${part} (hex)`, bytes: Buffer.from(head.toString('hex')) },
      { label: `private ${part} (HEX)`, bytes: Buffer.from(head.toString('hex').toUpperCase()) },
      { label: `private ${part} (hex with colons)`, bytes: Buffer.from(head.toString('hex').match(/../g)!.join(':')) },
    );
  }
  needles.push({ label: 'a PRIVATE KEY block', bytes: Buffer.from('PRIVATE KEY-----') });
  return needles;
}

let needles: Needle[] = [];

/** What of the secrets the content holds, by label (markers also as UTF-16, as some stores keep strings). */
function leaks(content: Buffer | string): string[] {
  const buffer = typeof content === 'string' ? Buffer.from(content) : content;
  const found = needles.filter((n) => buffer.includes(n.bytes)).map((n) => n.label);
  for (const [name, marker] of Object.entries(markers)) {
    if (buffer.includes(Buffer.from(marker, 'utf16le'))) found.push(`the ${name} marker (UTF-16)`);
  }
  return found;
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
}

/**
 * The workbench's browser storage, as [where, key, value] rows: in code-server, global and workspace state (the
 * extension's Memento included) and SecretStorage live in the browser (localStorage and IndexedDB), not on disk.
 * Runs in the page as an expression (no DOM types here); binary values are decoded as UTF-8.
 */
const dumpBrowserStorage = String.raw`(async () => {
  const text = (value) => {
    if (value instanceof Uint8Array || value instanceof ArrayBuffer) return new TextDecoder().decode(value);
    if (typeof value === 'string') return value;
    try { return JSON.stringify(value, (k, v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v)); } catch { return String(value); }
  };
  const done = (request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); });
  const rows = [];
  for (let i = 0; i < localStorage.length; i++) { const key = localStorage.key(i); rows.push(['localStorage', key, localStorage.getItem(key)]); }
  for (const { name } of await indexedDB.databases()) {
    const db = await done(indexedDB.open(name));
    for (const store of db.objectStoreNames) {
      const objects = db.transaction(store, 'readonly').objectStore(store);
      const [keys, values] = await Promise.all([done(objects.getAllKeys()), done(objects.getAll())]);
      keys.forEach((key, i) => rows.push(['indexedDB ' + name + '/' + store, text(key), text(values[i])]));
    }
    db.close();
  }
  return rows;
})()`;

// ---------------------------------------------------------------------------------------------------------------

let pki: TestPkiFiles;
let setup: ProbeWorkspace;
let albLike: AlbLikeTarget;
let workspace: string;
const inputs = new Set<string>();

before(async () => {
  setup = await makeProbeWorkspace('canary');
  ({ pki, albLike, dir: workspace } = setup);
  await copyFile(pki.files.client('valid').cert, join(workspace, 'certs/partner.pem'));
  const keyPem = pki.pki.clients.valid.keyPem;
  const encryptedPem = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: markers.passphrase }) as string;
  await writeFile(join(workspace, 'certs/partner.key'), encryptedPem, { mode: 0o600 });
  needles = [...Object.entries(markers).map(([name, marker]) => ({ label: `the ${name} marker`, bytes: Buffer.from(marker) })), ...keyNeedles(keyPem, encryptedPem)];
  await writeFile(
    join(workspace, '.vscode/mtls-probe.json'),
    JSON.stringify(
      {
        identities: { partner: { cert: 'certs/partner.pem', key: 'certs/partner.key' } },
        endpoints: [
          {
            name: 'alb-like',
            url: albLike.url,
            ca: 'certs/ca.pem',
            identities: ['partner'],
            expect: { partner: 'target' },
            headers: { Authorization: `Bearer ${markers.bearer}`, Cookie: `s=${markers.cookie}` },
          },
        ],
      },
      null,
      2,
    ),
  );
  // The test's own inputs hold the secrets by design: the config (headers) and the key file.
  inputs.add(join(workspace, '.vscode/mtls-probe.json'));
  inputs.add(join(workspace, 'certs/partner.key'));
});

after(() => setup?.close());

/** The rendered timeline's frame. */
async function timelineFrame(vscode: VsCodeSession): Promise<Frame> {
  return until('the timeline panel to draw', async () => {
    for (const frame of vscode.page.frames()) {
      const rendered = await frame
        .evaluate(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } | null } }).document.body?.dataset.rendered === 'true')
        .catch(() => false);
      if (rendered) return frame;
    }
    return undefined;
  });
}

interface CapturedPage {
  text: string;
  html: string;
  /** Host → page messages (the model) and page → host posts (actions, saved state), as JSON. */
  messages: string[];
}

describe('the secrets canary in VS Code', { timeout: 300_000 }, () => {
  let vscode: VsCodeSession;
  let hooks: TestHooks;

  before(async () => ({ vscode, hooks } = await startVsCodeWithTestHooks(workspace)));
  after(() => closeVsCodeWithTestHooks(vscode, hooks));

  test('a private key, its passphrase and secret header values appear in no output, file, message or log', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      // The probe: the passphrase is asked for, typed into the password box, kept in SecretStorage.
      await vscode.runCommand('mTLS Probe: Probe Endpoint…');
      const prompt = await vscode.quickInputText();
      assert.match(prompt.title, /passphrase/i);
      await vscode.typeInQuickInput(markers.passphrase);
      await vscode.waitForNotification(/alb-like with partner: target 200 · target_responded/, 30_000);

      // The timeline, with its messages captured both ways: the page's listener for what the host posts, the host
      // frame's MessagePort (VS Code's channel to the workbench) for what the page posts and the state it saves.
      await vscode.runCommand('mTLS Probe: Show Timeline');
      const frame = await timelineFrame(vscode);
      await frame.evaluate(() => {
        const g = globalThis as unknown as { __canary: string[]; addEventListener(type: string, l: (e: { data: unknown }) => void): void };
        g.__canary = [];
        g.addEventListener('message', (e) => g.__canary.push(JSON.stringify(e.data)));
      });
      const host = frame.parentFrame()!;
      await host.evaluate(() => {
        const g = globalThis as unknown as { __canary: string[]; MessagePort: { prototype: { postMessage(this: unknown, m: unknown, t?: unknown): void } } };
        g.__canary = [];
        const original = g.MessagePort.prototype.postMessage;
        g.MessagePort.prototype.postMessage = function (message: unknown, transfer?: unknown) {
          try {
            g.__canary.push(JSON.stringify(message));
          } catch {
            g.__canary.push(String(message));
          }
          return original.call(this, message, transfer);
        };
      });
      // Showing the same run again posts the model to the page; the page's buttons post actions and save state.
      await vscode.page.keyboard.press(hookKeys.showTimeline);
      await until('the model message', async () => ((await frame.evaluate(() => (globalThis as unknown as { __canary: string[] }).__canary.length)) > 0 ? true : undefined), 10_000);
      await frame.getByRole('button', { name: 'Sequence', exact: true }).click();
      // The page's Export… posts an action; the extension answers with the save dialog (cancelled here: the palette's
      // Export Run… writes the files below). The panel stays in front, so its frames can still be read.
      await frame.getByRole('button', { name: 'Export…' }).click();
      await frame.getByRole('menuitem', { name: 'JSON', exact: true }).click();
      await vscode.quickInputText();
      const pageText = await frame.evaluate(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText);
      const pageHtml = await frame.evaluate(() => (globalThis as unknown as { document: { documentElement: { outerHTML: string } } }).document.documentElement.outerHTML);
      const captured: CapturedPage = {
        text: pageText,
        html: pageHtml,
        messages: [
          ...(await frame.evaluate(() => (globalThis as unknown as { __canary: string[] }).__canary)),
          ...(await host.evaluate(() => (globalThis as unknown as { __canary: string[] }).__canary)),
        ],
      };
      await vscode.page.keyboard.press('Escape');
      const panelPages = await hooks.timelinePages(vscode);
      // The trace document, from the page's button (it takes the panel's place in the editor group).
      await frame.getByRole('button', { name: 'Show trace', exact: true }).click();
      const traceTab = vscode.page.locator('.tabs-container .tab', { hasText: /alb-like · partner\.log/ });
      await traceTab.first().waitFor({ timeout: 20_000 });
      const traceLines = (await vscode.editorLines()).join('\n');
      assert.ok(captured.messages.some((m) => m.includes('"type":"model"')), 'the host\'s model message was captured');
      assert.ok(captured.messages.some((m) => m.includes('"onmessage"') && m.includes('"export"')), 'the page\'s action was captured');
      assert.ok(captured.messages.some((m) => m.includes('do-update-state')), 'the page\'s saved state was captured');
      assert.match(captured.html, /redacted/, 'the page holds the secret headers redacted');

      // Every export format, through Export Run… and the save dialog, into mtls-probe-exports/.
      for (const format of ['Timeline report (HTML)', 'Run (JSON)', 'OpenTelemetry (OTLP JSON)']) {
        await vscode.runCommand('mTLS Probe: Export Run…');
        await vscode.quickPick('alb-like');
        await vscode.quickPick(format);
        // The simple save dialog fills in the suggested path a moment after it opens.
        const dialog = await until('the save dialog to suggest mtls-probe-exports/…', async () => {
          const shown = await vscode.quickInputText();
          return /mtls-probe-exports\/mtls-probe-alb-like-partner-[^/]+$/.test(shown.value) ? shown : undefined;
        }, 20_000);
        await vscode.typeInQuickInput(dialog.value);
        await vscode.waitForNotification(new RegExp(`exported to mtls-probe-exports/${dialog.value.split('/').pop()!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 20_000);
      }
      const exports = await filesUnder(join(workspace, 'mtls-probe-exports'));
      assert.equal(exports.length, 3, exports.join('\n'));

      // The Test Explorer: the passphrase now comes from SecretStorage.
      await vscode.runCommand('mTLS Probe: Run All Expectations');
      await vscode.waitForNotification('mTLS Probe: 1 expectation: 1 passed.', 30_000);
      const testRows = await vscode.testExplorerRows();
      assert.ok(testRows.some((r) => /partner → target/.test(r) && /passed/i.test(r)), testRows.join('\n'));
      // Let the workbench write its state (editors, test results) to storage before the files are read.
      await sleep(3000);

      // The scan.
      const findings: string[] = [];
      const check = (where: string, content: Buffer | string): void => {
        const found = leaks(content);
        if (found.length > 0) findings.push(`${where}: ${[...new Set(found)].join(', ')}`);
      };
      // The scan sees what it looks for: the inputs hold the header markers, the key file the encrypted key, the key
      // PEM its private number; and the probes sent the headers (the trace names them, values redacted).
      assert.deepEqual(leaks(await readFile(join(workspace, '.vscode/mtls-probe.json'))).filter((l) => /marker/.test(l)).sort(), ['the bearer marker', 'the cookie marker']);
      assert.ok(leaks(await readFile(join(workspace, 'certs/partner.key'))).some((l) => /encrypted key's PEM line/.test(l)));
      assert.ok(leaks(pki.pki.clients.valid.keyPem).some((l) => /the key's PEM line/.test(l)));
      assert.ok(leaks(createPrivateKey(pki.pki.clients.valid.keyPem).export({ type: 'pkcs8', format: 'der' })).some((l) => /private d \(raw bytes\)/.test(l)));
      const outputLog = await vscode.outputLog('mTLS Probe');
      assert.match(outputLog, /Probe alb-like with identity partner|Probe alb-like with partner/);
      assert.match(outputLog, /authorization\b.*redacted/i, 'the trace shows the Authorization header was sent');
      assert.match(outputLog, /cookie\b.*redacted/i, 'and the Cookie header');
      check('the output channel "mTLS Probe"', outputLog);
      check('the trace document', traceLines);
      check('the webview\'s text', captured.text);
      check('the webview\'s HTML', captured.html);
      captured.messages.forEach((m, i) => check(`webview message ${i + 1} (${m.slice(0, 40)}…)`, m));
      panelPages.forEach((p, i) => check(`the panel's page ${i + 1} as the extension gave it`, p.html));
      check('the notifications', (await vscode.notifications()).join('\n'));
      check('the Test Explorer rows', testRows.join('\n'));
      check('code-server\'s output', vscode.serverLog());
      check('the browser\'s console', vscode.browserMessages().join('\n'));
      const scanned: string[] = [];
      const exportsSet = new Set(exports);
      for (const [what, dir] of [['the workspace', workspace], ['the session (user data, logs, state, extensions, temp)', vscode.root], ['the test hooks\' answers', hooks.dir]] as const) {
        for (const file of await filesUnder(dir)) {
          if (inputs.has(file) || exportsSet.has(file)) continue;
          // The extension's own files as installed are no output.
          if (file.startsWith(vscode.extensionsDir)) continue;
          scanned.push(relative(dir, file));
          check(`${what}: ${relative(dir, file)}`, await readFile(file));
        }
      }
      for (const file of exports) check(`the export ${relative(workspace, file)}`, await readFile(file));
      // Global and workspace state (the extension's Memento: passphrase file names, allowed outside paths) and
      // SecretStorage, in the browser. The passphrase belongs in SecretStorage only.
      const storage = (await vscode.page.evaluate(dumpBrowserStorage)) as Array<[string, string, string]>;
      const secretStore: string[] = [];
      for (const [where, key, value] of storage) {
        const found = leaks(`${key}\n${value}`);
        if (found.length === 0) continue;
        if (/secret/i.test(`${where} ${key}`) && found.every((f) => f.startsWith('the passphrase marker'))) secretStore.push(`${where} ${key.slice(0, 80)}`);
        else findings.push(`browser storage ${where} ${key.slice(0, 80)}: ${[...new Set(found)].join(', ')}`);
      }
      const stores = [...new Set(storage.map(([where]) => where))];
      assert.ok(storage.some(([, key, value]) => /mtlsProbe\.passphraseFiles/.test(`${key}${value}`)), `the extension's global state was among the rows read (${stores.join(', ')})`);
      const settings = join(vscode.userDataDir, 'User/settings.json');
      assert.ok(scanned.some((f) => f.endsWith('User/settings.json')) && existsSync(settings), 'settings.json was scanned');
      assert.ok(scanned.some((f) => /workspaceStorage\//.test(f)), 'workspace state was scanned');
      assert.ok(scanned.some((f) => /logs\/.*mTLS Probe\.log$/.test(f)), 'the output channel\'s log file was scanned');
      console.log(`[e2e] secrets canary: ${needles.length} needles (3 markers, the key as PEM lines and private numbers) in ${scanned.length + exports.length} files, the output log (${outputLog.length} chars), the trace document, the webview (text, HTML, ${captured.messages.length} messages), notifications, Test Explorer rows, code-server's output, the browser console and ${storage.length} rows of browser storage (${stores.join(', ')}; the passphrase ${secretStore.length > 0 ? `only in SecretStorage: ${secretStore.join(', ')}` : 'not found there either'}): ${findings.length === 0 ? 'nothing found' : `FOUND\n  ${findings.join('\n  ')}`}`);
      assert.deepEqual(findings, []);
    });
  });
});
