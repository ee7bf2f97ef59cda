// The extension host under load and the timeline webview as untrusted input, in a real VS Code (code-server +
// Chromium) with the packaged VSIX against the ALB-like target. The extension's test hooks (MTLS_PROBE_TEST_HOOKS,
// src/extension/test-hooks.ts) report its listener and disposable counts and the process's: after a warm-up that
// runs each path once, 100 probes in a row (two endpoint batches, two Run All Expectations) and the timeline opened
// and closed 50 times leave them where they were. Then the panel's page is audited (CSP, scripts, resource roots)
// as given and as the browser runs it, and malformed messages posted from the webview side are each rejected
// without effect, the panel still working after.

import assert from 'node:assert/strict';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import type { AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { cspEnforcementProbe, cspProblems, summarizePage, type CspEnforcement } from '../render/csp-audit';
import type { TestPkiFiles } from '../support/peers';
import { closeVsCodeWithTestHooks, hookKeys, startVsCodeWithTestHooks, type TestHookCounts, type TestHooks } from './support/test-hooks';
import { withScreenshotOnFailure, type VsCodeSession } from './support/vscode-session';
import { makeProbeWorkspace, type ProbeWorkspace } from './support/probe-workspace';
import { sleep, until } from './support/wait';

/** One endpoint probed with 25 identities: no certificate, and eight each of valid, expired and untrusted. */
const kinds = ['valid', 'expired', 'untrusted'] as const;
const identityNames = kinds.flatMap((kind) => Array.from({ length: 8 }, (_, i) => `${kind}-${i + 1}`));
const probesPerPass = identityNames.length + 1;

let pki: TestPkiFiles;
let setup: ProbeWorkspace;
let albLike: AlbLikeTarget;
let workspace: string;

before(async () => {
  setup = await makeProbeWorkspace('hardening');
  ({ pki, albLike, dir: workspace } = setup);
  for (const kind of kinds) {
    await copyFile(pki.files.client(kind).cert, join(workspace, `certs/${kind}.pem`));
    await copyFile(pki.files.client(kind).key, join(workspace, `certs/${kind}.key`));
  }
  const kindOf = (name: string): (typeof kinds)[number] => name.replace(/-\d+$/, '') as (typeof kinds)[number];
  await writeFile(
    join(workspace, '.vscode/mtls-probe.json'),
    JSON.stringify({
      identities: Object.fromEntries(identityNames.map((name) => [name, { cert: `certs/${kindOf(name)}.pem`, key: `certs/${kindOf(name)}.key` }])),
      endpoints: [
        {
          name: 'alb-like',
          url: albLike.url,
          ca: 'certs/ca.pem',
          identities: ['none', ...identityNames],
          expect: { none: 'mtls', ...Object.fromEntries(identityNames.map((name) => [name, kindOf(name) === 'valid' ? 'target' : 'mtls'])) },
        },
      ],
    }),
  );
});

after(() => setup?.close());

// ---------------------------------------------------------------------------------------------------------------
// The page's frames: an extension's webview is an iframe (the "active frame") in VS Code's webview host frame.

interface RenderedWebview {
  frame: Frame;
  runIds: string[];
}

/** The webviews that have drawn their timeline, with the run ids of the model each page holds. */
async function renderedWebviews(vscode: VsCodeSession): Promise<RenderedWebview[]> {
  const found: RenderedWebview[] = [];
  for (const frame of vscode.page.frames()) {
    const runIds = await frame
      .evaluate(() => {
        const { document } = globalThis as unknown as { document: { body: { dataset: Record<string, string> } | null; getElementById(id: string): { textContent: string | null } | null } };
        if (document.body?.dataset.rendered !== 'true') return null;
        const model = document.getElementById('mtls-probe-timeline-model')?.textContent;
        return model ? (JSON.parse(model) as { runs: Array<{ id: string }> }).runs.map((r) => r.id) : [];
      })
      .catch(() => null);
    if (runIds !== null) found.push({ frame, runIds });
  }
  return found;
}

/** The extension host's log of probes: one "Probe alb-like with …" entry per probe. */
async function probesLogged(vscode: VsCodeSession): Promise<number> {
  const log = await vscode.outputLog('mTLS Probe').catch(() => '');
  return (log.match(/\] Probe alb-like with /g) ?? []).length;
}

async function waitForProbes(vscode: VsCodeSession, total: number): Promise<void> {
  let seen = 0;
  await until(`${total} probes in the log`, async () => {
    seen = await probesLogged(vscode);
    return seen >= total ? true : undefined;
  }, 90_000, () => seen);
}

/** The counts that must come back to the baseline: everything the extension owns and the process-level ones. */
function flatPart(c: TestHookCounts): unknown {
  return {
    ownedDisposables: c.ownedDisposables,
    runHistory: c.runHistory,
    workspaceConfigs: c.workspaceConfigs,
    timeline: { panels: c.timeline.panels, messageListeners: c.timeline.messageListeners },
    treeViewChangeListeners: c.treeViewChangeListeners,
    evidenceCollecting: c.evidenceCollecting,
    process: {
      listeners: c.process.listeners,
      activeHandles: c.process.activeHandles,
      activeRequests: c.process.activeRequests,
      eventChannelsSubscribed: c.process.eventChannelsSubscribed,
      objectPrototypeKeys: c.process.objectPrototypeKeys,
    },
  };
}

/** The counts once they match the expected ones (or, after the timeout, as they are: the assertion then says how). */
async function settledCounts(vscode: VsCodeSession, hooks: TestHooks, expected: unknown, timeoutMs = 20_000): Promise<TestHookCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await hooks.counts(vscode);
    if (JSON.stringify(flatPart(counts)) === JSON.stringify(expected) || Date.now() > deadline) return counts;
    await sleep(500);
  }
}

/** Two readings taken 1 s apart that agree: the state after the last action has settled. */
async function stableCounts(vscode: VsCodeSession, hooks: TestHooks): Promise<TestHookCounts> {
  let previous = await hooks.counts(vscode);
  for (let i = 0; i < 20; i++) {
    await sleep(1000);
    const now = await hooks.counts(vscode);
    if (JSON.stringify(flatPart(now)) === JSON.stringify(flatPart(previous))) return now;
    previous = now;
  }
  return previous;
}

/** One line per figure, for the note: cold (just activated), baseline (after the warm-up), after the load. */
function figures(readings: Record<string, TestHookCounts>): string {
  const names = Object.keys(readings);
  const rows: Array<[string, ...string[]]> = [];
  const add = (label: string, pick: (c: TestHookCounts) => unknown): void => {
    rows.push([label, ...names.map((n) => JSON.stringify(pick(readings[n]!)))]);
  };
  const first = readings[names[0]!]!;
  add('owned disposables', (c) => c.ownedDisposables);
  add('RunHistory runs kept (cap 50)', (c) => c.runHistory.runs);
  add('RunHistory onDidChange listeners', (c) => c.runHistory.onDidChangeListeners);
  add('RunHistory onDidChangeRun listeners', (c) => c.runHistory.onDidChangeRunListeners);
  add('WorkspaceConfigs disposables', (c) => c.workspaceConfigs.disposables);
  add('WorkspaceConfigs onDidChange listeners', (c) => c.workspaceConfigs.onDidChangeListeners);
  add('WorkspaceConfigs onDidLoad listeners', (c) => c.workspaceConfigs.onDidLoadListeners);
  add('timeline panels open', (c) => c.timeline.panels);
  add('timeline message listeners', (c) => c.timeline.messageListeners);
  add('timeline messages accepted / rejected', (c) => `${c.timeline.accepted} / ${c.timeline.rejected}`);
  for (const view of Object.keys(first.treeViewChangeListeners)) add(`tree view ${view} change listeners`, (c) => c.treeViewChangeListeners[view]);
  add('evidence collections running', (c) => c.evidenceCollecting);
  for (const event of Object.keys(first.process.listeners)) add(`process '${event}' listeners`, (c) => c.process.listeners[event]);
  add('process active handles', (c) => c.process.activeHandles);
  add('process active requests', (c) => c.process.activeRequests);
  add('process active resources', (c) => c.process.activeResources);
  add('core event channels subscribed', (c) => c.process.eventChannelsSubscribed);
  add('Object.prototype own keys', (c) => c.process.objectPrototypeKeys);
  const widths = [0, ...names.map(() => 0)].map((_, i) => Math.max(i === 0 ? 6 : names[i - 1]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  return [line(['figure', ...names]), ...rows.map((r) => line(r))].join('\n');
}

describe('the extension host under load, and the timeline webview as untrusted input', { timeout: 400_000 }, () => {
  let vscode: VsCodeSession;
  let hooks: TestHooks;

  before(async () => ({ vscode, hooks } = await startVsCodeWithTestHooks(workspace)));
  after(() => closeVsCodeWithTestHooks(vscode, hooks));

  let probes = 0;
  /** Probe Endpoint… → All identities: 25 probes one after another, one summary. */
  async function probeAllIdentities(): Promise<void> {
    await vscode.runCommand('mTLS Probe: Probe Endpoint…');
    await vscode.quickPick('All identities');
    probes += probesPerPass;
    await waitForProbes(vscode, probes);
    await vscode.waitForNotification(`mTLS Probe: alb-like: ${probesPerPass} probes — ${probesPerPass} met.`, 30_000);
  }
  /** Run All Expectations: the same 25 probes through the Test Explorer's run. */
  async function runAllExpectations(): Promise<void> {
    await vscode.runCommand('mTLS Probe: Run All Expectations');
    probes += probesPerPass;
    await waitForProbes(vscode, probes);
    await vscode.waitForNotification(`mTLS Probe: ${probesPerPass} expectations: ${probesPerPass} passed.`, 30_000);
  }
  /** Show Timeline (by its command, through a keybinding), wait for the page to draw, close it, wait for it to go. */
  async function openAndCloseTimeline(): Promise<void> {
    await vscode.page.keyboard.press(hookKeys.showTimeline);
    await until('the timeline panel to draw', async () => ((await renderedWebviews(vscode)).length === 1 ? true : undefined), 20_000);
    await vscode.page.keyboard.press(hookKeys.closeEditor);
    await until('the timeline panel to close', async () => ((await renderedWebviews(vscode)).length === 0 ? true : undefined), 20_000);
  }

  test('100 probes in a row and the timeline opened and closed 50 times leave the listener and disposable counts flat', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.waitForOutputLog('mTLS Probe', /activated in [\d.]+ ms/);
      await vscode.treeItems('Recent Runs');
      const cold = await stableCounts(vscode, hooks);

      // Warm-up: each path once (the lazy bundles load, the config is read and watched, the views fill).
      const warmUpStarted = Date.now();
      await probeAllIdentities();
      await runAllExpectations();
      await openAndCloseTimeline();
      const baseline = await stableCounts(vscode, hooks);
      t.diagnostic(`warm-up: ${probes} probes and one timeline in ${((Date.now() - warmUpStarted) / 1000).toFixed(1)} s`);

      const loadStarted = Date.now();
      const probesBefore = probes;
      for (let pass = 0; pass < 2; pass++) {
        await probeAllIdentities();
        await runAllExpectations();
      }
      assert.equal(probes - probesBefore, 100);
      const probesDone = Date.now();
      for (let i = 0; i < 50; i++) await openAndCloseTimeline();
      const timelinesDone = Date.now();
      t.diagnostic(`100 probes in ${((probesDone - loadStarted) / 1000).toFixed(1)} s; 50 timelines opened and closed in ${((timelinesDone - probesDone) / 1000).toFixed(1)} s`);

      const afterLoad = await settledCounts(vscode, hooks, flatPart(baseline));
      console.log(`[e2e] extension host counts (issue 16): cold = just activated; baseline = after a warm-up of ${probesBefore} probes and one timeline; after = after 100 more probes and 50 timelines opened and closed\n${figures({ cold, baseline, after: afterLoad })}`);
      assert.deepEqual(flatPart(afterLoad), flatPart(baseline), 'the counts after the load are the baseline\'s');
      // What the baseline is made of, so a change there is noticed too.
      assert.equal(afterLoad.runHistory.runs, 50, 'Recent Runs keeps its cap of 50 runs');
      assert.equal(afterLoad.timeline.panels, 0);
      assert.equal(afterLoad.timeline.messageListeners, 0);
      assert.equal(afterLoad.timeline.rejected, 0, 'no message of the timeline\'s own page was refused');
      assert.ok(afterLoad.timeline.accepted >= 51, `every page said 'ready' (${afterLoad.timeline.accepted})`);
      assert.equal(afterLoad.runHistory.onDidChangeRunListeners, 0, 'no closed panel still follows its runs');
      for (const [view, listeners] of Object.entries(afterLoad.treeViewChangeListeners)) assert.ok(listeners <= 1, `${view}: ${listeners} change listeners`);
    });
  });
  test('the panel\'s page: a nonce-only script policy, no remote origin, every script nonce-tagged, resources only from dist/webview and media', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      await vscode.page.keyboard.press(hookKeys.showTimeline);
      const [webview] = await until('the timeline panel to draw', async () => {
        const shown = await renderedWebviews(vscode);
        return shown.length === 1 ? shown : undefined;
      });
      const pages = await hooks.timelinePages(vscode);
      assert.equal(pages.length, 1);
      const page = pages[0]!;
      const during = await hooks.counts(vscode);
      assert.deepEqual([during.timeline.panels, during.timeline.messageListeners, during.runHistory.onDidChangeRunListeners], [1, 1, 1], 'an open panel is counted');

      // The webview's options: scripts (the renderer), no command links, files from the extension's two folders only.
      assert.equal(page.enableScripts, true);
      assert.equal(page.enableCommandUris, false);
      assert.deepEqual(page.localResourceRoots, [`${page.extensionUri}/dist/webview`, `${page.extensionUri}/media`]);

      // The HTML as the extension gave it.
      const allowedUrl = (url: string): boolean => page.webviewResourceRoots.some((root) => url.startsWith(`${root}/`) && !url.slice(root.length).split('/').includes('..'));
      const summary = await summarizePage(vscode.page, page.html);
      const audit = cspProblems(summary, { resourceSources: page.cspSource.split(/\s+/), allowedUrl });
      console.log(`[e2e] the panel's CSP: ${summary.cspMetas[0]}\n[e2e] webview.cspSource: ${page.cspSource}; resource roots: ${page.webviewResourceRoots.join(', ')}\n[e2e] scripts: ${JSON.stringify(summary.scripts)}; links: ${JSON.stringify(summary.links)}`);
      assert.deepEqual(audit.problems, []);
      assert.ok(summary.scripts.some((s) => s.src !== null && s.src.endsWith('/dist/webview/timeline.js')), 'the renderer is loaded from dist/webview');
      assert.ok(summary.links.some((l) => l.rel === 'stylesheet' && l.href?.endsWith('/media/timeline.css')), 'the stylesheet from media');

      // The page as the browser runs it: the same policy, every script but VS Code's own API script nonce-tagged
      // (VS Code puts that one before the policy, which then applies to all that follows), and the policy enforced:
      // an injected script without the nonce does not run, an image or a fetch to another origin is refused.
      const live = await webview!.frame.evaluate(() => {
        const { document } = globalThis as unknown as {
          document: {
            querySelector(s: string): { getAttribute(n: string): string | null } | null;
            querySelectorAll(s: string): Iterable<{ id: string; type: string; nonce?: string; src: string; compareDocumentPosition(o: unknown): number }>;
          };
        };
        const meta = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
        const scripts = [...document.querySelectorAll('script')].map((s) => ({ id: s.id, type: s.type, nonce: s.nonce ?? '', src: s.src, beforePolicy: meta !== null && Boolean(s.compareDocumentPosition(meta) & 4) }));
        return { csp: meta?.getAttribute('content') ?? null, scripts };
      });
      const enforced = (await webview!.frame.evaluate(cspEnforcementProbe)) as CspEnforcement;
      console.log(`[e2e] the live panel: scripts ${JSON.stringify(live.scripts)}; injected script ran: ${enforced.ran}; fetch: ${enforced.fetched}; violations: ${JSON.stringify(enforced.violations)}`);
      assert.equal(live.csp, summary.cspMetas[0]);
      for (const script of live.scripts) {
        if (script.id === '_vscodeApiScript') assert.ok(script.beforePolicy, 'VS Code\'s API script comes before the policy');
        else if (script.type === 'application/json') assert.equal(script.src, '', 'the model is a data block, never run and loading nothing');
        else assert.equal(script.nonce, audit.nonce, `script ${script.src || script.id || '(inline)'} carries the nonce`);
      }
      assert.equal(enforced.ran, false, 'an inline script without the nonce does not run');
      assert.equal(enforced.fetched, 'refused');
      for (const directive of ['script-src', 'img-src', 'connect-src']) assert.ok(enforced.violations.some((v) => v.startsWith(directive)), `${directive}: ${enforced.violations.join('\n')}`);
    });
  });

  test('malformed messages from the webview are each rejected without effect: no command, no notification, one log line each; the panel still works', async (t) => {
    await withScreenshotOnFailure(vscode, t, async () => {
      // Two panels: the latest run's (from the previous test, or opened now) and, in front, two older runs compared.
      if ((await hooks.timelinePages(vscode)).length === 0) await vscode.page.keyboard.press(hookKeys.showTimeline);
      const other = await until('the first panel', async () => ((await hooks.timelinePages(vscode))[0]?.runIds[0]));
      await vscode.runCommand('mTLS Probe: Compare Runs…');
      await vscode.quickPickMany(['alb-like · untrusted-7', 'alb-like · untrusted-6']);
      const [webview] = await until('the second panel to draw', async () => {
        const shown = (await renderedWebviews(vscode)).filter((w) => !w.runIds.includes(other));
        return shown.length === 1 ? shown : undefined;
      });
      const own = webview!.runIds[0]!;
      assert.notEqual(own, other);
      const host = webview!.frame.parentFrame();
      assert.ok(host !== null, 'the webview\'s host frame');

      const huge = 4 * 1024 * 1024;
      const cases: Array<[string, string]> = [
        ['null', 'null'],
        ['a number', '42'],
        ['a string', '"ready"'],
        ['an array holding a valid message', '[{ type: "ready" }]'],
        ['no type', '{}'],
        ['an unknown type', '{ type: "runCommand", command: "workbench.action.terminal.new" }'],
        ['a type in other case', '{ type: "READY" }'],
        ['a type that is not a string', `{ type: ["showTrace"], runId: ${JSON.stringify(own)} }`],
        ['a type named after Object.prototype', '{ type: "toString" }'],
        ['type "__proto__"', '{ type: "__proto__" }'],
        ['runId a number', '{ type: "showTrace", runId: 7 }'],
        ['runId empty', '{ type: "showTrace", runId: "" }'],
        ['runId missing', '{ type: "lookAgain" }'],
        ['runId an object', `{ type: "lookAgain", runId: { id: ${JSON.stringify(own)} } }`],
        ['an unknown export format', `{ type: "export", runId: ${JSON.stringify(own)}, format: "pdf" }`],
        ['no export format', `{ type: "export", runId: ${JSON.stringify(own)} }`],
        ['an export format in an array', `{ type: "export", runId: null, format: ["html"] }`],
        ['an extra key naming a command', `{ type: "showTrace", runId: ${JSON.stringify(own)}, command: "workbench.action.terminal.new" }`],
        ['ready with an extra key', '{ type: "ready", state: {} }'],
        ['the run of another panel', `{ type: "showTrace", runId: ${JSON.stringify(other)} }`],
        ['a run no panel shows', '{ type: "export", runId: "run-that-does-not-exist", format: "json" }'],
        ['runId "__proto__"', '{ type: "showTrace", runId: "__proto__" }'],
        ['runId "constructor"', '{ type: "lookAgain", runId: "constructor" }'],
        ['a 4 MB runId', `{ type: "showTrace", runId: "x".repeat(${huge}) }`],
        ['a 4 MB extra field', `{ type: "ready", padding: "x".repeat(${huge}) }`],
        ['a million-element array', 'new Array(1000000).fill(0)'],
        ['nesting 1,000 deep', '(() => { let v = "html"; for (let i = 0; i < 1000; i++) v = { v }; return { type: "export", runId: null, format: v }; })()'],
        ['a "__proto__" key holding a valid message', `JSON.parse(${JSON.stringify(`{"__proto__":{"type":"showTrace","runId":${JSON.stringify(own)}}}`)})`],
        ['a "__proto__" key beside a valid shape', `JSON.parse('{"type":"ready","__proto__":{"polluted":"yes"}}')`],
        ['constructor.prototype beside a valid shape', `{ type: "lookAgain", runId: ${JSON.stringify(own)}, constructor: { prototype: { polluted: "yes" } } }`],
      ];

      const ignoredLines = (log: string): number => (log.match(/Timeline: ignored a message from the webview/g) ?? []).length;
      const tabs = async (): Promise<string[]> => (await vscode.page.locator('.tabs-container .tab').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim()).sort();
      const before = {
        counts: await hooks.counts(vscode),
        logLines: ignoredLines(await vscode.outputLog('mTLS Probe')),
        notifications: await vscode.notifications(),
        tabs: await tabs(),
      };

      for (const [, expression] of cases) {
        await host!.evaluate(`window.__vscode_post_message__('onmessage', { message: (${expression}) })`);
      }
      // Each reaches the extension host and is refused there: one log line each, counted as rejected.
      const log = await vscode.waitForOutputLog('mTLS Probe', (text) => ignoredLines(text) >= before.logLines + cases.length, 30_000);
      await sleep(1000);
      const afterCounts = await hooks.counts(vscode);
      const finalLog = await vscode.outputLog('mTLS Probe');
      const newLines = finalLog.split('\n').filter((line) => line.includes('Timeline: ignored a message')).slice(before.logLines);
      console.log(`[e2e] ${cases.length} malformed messages from the webview: rejected ${afterCounts.timeline.rejected - before.counts.timeline.rejected}, accepted ${afterCounts.timeline.accepted - before.counts.timeline.accepted}; log lines: ${newLines.length}\n${cases.map(([name], i) => `  ${name}: ${newLines[i]?.replace(/^.*\] /, '') ?? '(no line)'}`).join('\n')}`);
      assert.equal(ignoredLines(log), before.logLines + cases.length);
      assert.equal(ignoredLines(finalLog), before.logLines + cases.length, 'one log line per message, no more');
      assert.equal(afterCounts.timeline.rejected - before.counts.timeline.rejected, cases.length, 'every message refused');
      assert.equal(afterCounts.timeline.accepted, before.counts.timeline.accepted, 'none acted on');
      assert.equal(afterCounts.process.objectPrototypeKeys, before.counts.process.objectPrototypeKeys, 'Object.prototype untouched');
      assert.deepEqual(afterCounts.runHistory, before.counts.runHistory);
      assert.deepEqual(await vscode.notifications(), before.notifications, 'no notification');
      assert.deepEqual(await tabs(), before.tabs, 'no editor opened (no trace, no export)');
      assert.equal(await vscode.page.locator('.quick-input-widget').isVisible(), false, 'no quick pick or dialog');
      for (const line of newLines) {
        assert.ok(line.length < 200, `a short line: ${line.slice(0, 300)}`);
        assert.doesNotMatch(line, /xxxx|polluted|workbench\.action|__proto__|constructor|runCommand|READY|toString/);
      }

      // The panel still works: a valid message through the same path opens the run's trace.
      await host!.evaluate(`window.__vscode_post_message__('onmessage', { message: { type: 'showTrace', runId: ${JSON.stringify(own)} } })`);
      await until('the trace document of the panel\'s run', async () => ((await tabs()).some((tab) => /alb-like · untrusted-[67]\.log/.test(tab)) ? true : undefined), 20_000);
      const worked = await hooks.counts(vscode);
      assert.equal(worked.timeline.accepted, before.counts.timeline.accepted + 1);
      assert.equal(worked.timeline.rejected, afterCounts.timeline.rejected);
    });
  });
});
