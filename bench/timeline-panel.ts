// The timeline panel in a real VS Code (code-server + Chromium), target: the verdict on screen ≤ 300 ms after the
// command. Measured from the palette's Enter to the first time the panel's page shows the verdict; baseline in the
// same sessions, measured the same way: a minimal extension whose command opens a webview panel of static text —
// what any webview costs here, so the ratio shows what the timeline adds (its bundle, the model, the drawing).

import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startAlbLikeTarget } from '../src/core/demo/alb-like-target';
import { packageExtension, startVsCode, type VsCodeSession } from '../test/e2e/support/vscode-session';
import { makePkiFiles } from '../test/support/peers';
import { median } from './statistics';

export interface TimelinePanelResult {
  sessions: number;
  opensPerSession: number;
  timelineMs: number[];
  baselineMs: number[];
  /** A session's first webview of any kind (the workbench's own start-up of webviews). */
  firstWebviewMs: number[];
  medianTimelineMs: number;
  medianBaselineMs: number;
  ratio: number;
}

const paletteInput = '.quick-input-widget .quick-input-box input';
const root = new URL('..', import.meta.url).pathname;

/** The baseline: one command that opens a webview panel showing a line of text. */
async function packageWebviewBaseline(dir: string): Promise<string> {
  await mkdir(join(dir, 'dist'), { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'webview-baseline', displayName: 'Webview baseline', publisher: 'mtls-probe', version: '0.0.1', license: 'MIT',
      repository: 'https://example.invalid/baseline', engines: { vscode: '^1.95.0' }, main: './dist/extension.js', activationEvents: ['onStartupFinished'],
      contributes: { commands: [{ command: 'webviewBaseline.show', title: 'Webview Baseline: Show' }] },
    }),
  );
  await writeFile(join(dir, 'README.md'), 'Webview baseline.\n');
  await writeFile(join(dir, 'LICENSE'), 'MIT\n');
  await writeFile(
    join(dir, 'dist/extension.js'),
    `const vscode = require('vscode');
exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('webviewBaseline.show', () => {
    const panel = vscode.window.createWebviewPanel('webviewBaseline', 'Baseline', vscode.ViewColumn.Active, {});
    panel.webview.html = '<!DOCTYPE html><html><body><p>Baseline webview ready</p></body></html>';
  }));
};
`,
  );
  const vsix = join(dir, 'baseline.vsix');
  execFileSync(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix], { cwd: dir, stdio: 'ignore' });
  return vsix;
}

/** Picks a palette entry and returns the epoch ms of the Enter that ran it: typing is not part of the figure. */
async function runTimed(page: Page, key: 'F1', query: string, entry: string): Promise<number> {
  await page.keyboard.press(key);
  await page.locator(paletteInput).fill(query);
  const row = page.locator('.quick-input-widget .monaco-list-row .label-name', { hasText: entry }).first();
  await row.waitFor({ timeout: 20_000 });
  const at = Date.now();
  await page.keyboard.press('Enter');
  return at;
}

/** Polls every frame for a body that shows the text; returns the epoch ms it was first seen. */
async function seenAt(page: Page, text: RegExp, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const found = await frame.evaluate((source) => new RegExp(source).test((globalThis as unknown as { document: { body: { innerText: string } | null } }).document.body?.innerText ?? ''), text.source).catch(() => false);
      if (found) return Date.now();
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no webview showed ${text} within ${timeoutMs} ms`);
}

async function closeEditors(session: VsCodeSession): Promise<void> {
  await session.runCommand('View: Close All Editors');
  // Keys typed next must reach the workbench, not a webview that had focus.
  await session.page.locator('.part.statusbar').click({ position: { x: 5, y: 5 } });
  await new Promise((r) => setTimeout(r, 300));
}

export async function runTimelinePanelBench(sessions = Number(process.env.BENCH_TIMELINE_SESSIONS ?? 2), opens = 6): Promise<TimelinePanelResult> {
  const work = await mkdtemp(join(tmpdir(), 'mtls-probe-timeline-bench-'));
  const pki = await makePkiFiles('mtls-probe-timeline-bench-pki-');
  const target = await startAlbLikeTarget({ pki: pki.pki });
  try {
    const workspace = join(work, 'workspace');
    await mkdir(join(workspace, '.vscode'), { recursive: true });
    await writeFile(join(workspace, 'ca.pem'), pki.pki.rootCa.certPem);
    await writeFile(join(workspace, '.vscode/mtls-probe.json'), JSON.stringify({ endpoints: [{ name: 'alb-like', url: target.url, ca: 'ca.pem', identities: ['none'] }] }));
    const [vsix, baseline] = await Promise.all([packageExtension(), packageWebviewBaseline(join(work, 'baseline'))]);
    const timelineMs: number[] = [];
    const baselineMs: number[] = [];
    const firstWebviewMs: number[] = [];
    for (let s = 0; s < sessions; s++) {
      const session = await startVsCode({ workspace, trusted: true, vsix, extraVsix: [baseline] });
      try {
        await session.runCommand('mTLS Probe: Probe Endpoint…');
        await session.waitForNotification(/alb-like with no certificate: mtls/, 30_000);
        // The first webview of a session also starts the workbench's webview machinery (~2.5 s here, whichever
        // extension asks): measured once, apart, then both open in turns.
        const firstStarted = await runTimed(session.page, 'F1', '>Webview Baseline: Show', 'Webview Baseline: Show');
        firstWebviewMs.push((await seenAt(session.page, /Baseline webview ready/)) - firstStarted);
        await closeEditors(session);
        for (let i = 0; i < opens; i++) {
          const measureTimeline = async (): Promise<void> => {
            const started = await runTimed(session.page, 'F1', '>mTLS Probe: Show Timeline', 'mTLS Probe: Show Timeline');
            timelineMs.push((await seenAt(session.page, /Stopped at mTLS \(client certificate\)/)) - started);
            await closeEditors(session);
          };
          const measureBaseline = async (): Promise<void> => {
            const started = await runTimed(session.page, 'F1', '>Webview Baseline: Show', 'Webview Baseline: Show');
            baselineMs.push((await seenAt(session.page, /Baseline webview ready/)) - started);
            await closeEditors(session);
          };
          // In turns, so neither always runs first.
          if (i % 2 === 0) await measureTimeline().then(measureBaseline);
          else await measureBaseline().then(measureTimeline);
        }
      } finally {
        await session.close();
      }
    }
    const medianTimelineMs = median(timelineMs);
    const medianBaselineMs = median(baselineMs);
    return { sessions, opensPerSession: opens, timelineMs, baselineMs, firstWebviewMs, medianTimelineMs, medianBaselineMs, ratio: medianTimelineMs / medianBaselineMs };
  } finally {
    await target.close();
    await rm(work, { recursive: true, force: true });
    await rm(pki.files.dir, { recursive: true, force: true });
  }
}

export function describeTimelinePanelBench(r: TimelinePanelResult): string {
  return [
    `Timeline panel in code-server (${r.sessions} sessions × ${r.opensPerSession}): verdict shown ${r.medianTimelineMs.toFixed(0)} ms after the command (median; target ≤ 300 ms) vs ${r.medianBaselineMs.toFixed(0)} ms for a minimal webview panel of static text = ${r.ratio.toFixed(2)}×`,
    `  each: ${r.timelineMs.join(', ')} ms; baseline ${r.baselineMs.join(', ')} ms; a session's first webview (VS Code starting its webviews): ${r.firstWebviewMs.join(', ')} ms`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  void runTimelinePanelBench().then((r) => {
    console.log(describeTimelinePanelBench(r));
    process.exit(0);
  });
}
