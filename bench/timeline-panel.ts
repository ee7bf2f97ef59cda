// The timeline panel in a real VS Code (code-server + Chromium), target: the verdict on screen ≤ 300 ms after the
// command. Measured from the palette's Enter to the first time the panel's page shows the verdict; baseline in the
// same sessions, measured the same way: VS Code's own Markdown preview (also a webview) of a small file.

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
  markdownMs: number[];
  medianTimelineMs: number;
  medianMarkdownMs: number;
  ratio: number;
}

const paletteInput = '.quick-input-widget .quick-input-box input';

/** Runs a palette command and returns the epoch ms of the Enter that ran it (typing it is not part of the figure). */
async function runTimed(page: Page, title: string): Promise<number> {
  await page.keyboard.press('F1');
  await page.locator(paletteInput).fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row .label-name', { hasText: title }).first();
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
  await new Promise((r) => setTimeout(r, 300));
}

export async function runTimelinePanelBench(sessions = Number(process.env.BENCH_TIMELINE_SESSIONS ?? 2), opens = 4): Promise<TimelinePanelResult> {
  const work = await mkdtemp(join(tmpdir(), 'mtls-probe-timeline-bench-'));
  const pki = await makePkiFiles('mtls-probe-timeline-bench-pki-');
  const target = await startAlbLikeTarget({ pki: pki.pki });
  try {
    const workspace = join(work, 'workspace');
    await mkdir(join(workspace, '.vscode'), { recursive: true });
    await writeFile(join(workspace, 'notes.md'), '# Notes\n\nThe ALB reset the connection before the WAF saw it.\n');
    await writeFile(join(workspace, 'ca.pem'), pki.pki.rootCa.certPem);
    await writeFile(join(workspace, '.vscode/mtls-probe.json'), JSON.stringify({ endpoints: [{ name: 'alb-like', url: target.url, ca: 'ca.pem', identities: ['none'] }] }));
    const vsix = await packageExtension();
    const timelineMs: number[] = [];
    const markdownMs: number[] = [];
    for (let s = 0; s < sessions; s++) {
      const session = await startVsCode({ workspace, trusted: true, vsix });
      try {
        await session.runCommand('mTLS Probe: Probe Endpoint…');
        await session.waitForNotification(/alb-like with no certificate: mtls/, 30_000);
        for (let i = 0; i < opens; i++) {
          // Interleaved, so both see the same moment of the session.
          const started = await runTimed(session.page, 'mTLS Probe: Show Timeline');
          timelineMs.push((await seenAt(session.page, /Stopped at mTLS \(client certificate\)/)) - started);
          await closeEditors(session);
          await session.openFile('notes.md');
          const previewStarted = await runTimed(session.page, 'Markdown: Open Preview');
          markdownMs.push((await seenAt(session.page, /reset the connection before the WAF/)) - previewStarted);
          await closeEditors(session);
        }
      } finally {
        await session.close();
      }
    }
    const medianTimelineMs = median(timelineMs);
    const medianMarkdownMs = median(markdownMs);
    return { sessions, opensPerSession: opens, timelineMs, markdownMs, medianTimelineMs, medianMarkdownMs, ratio: medianTimelineMs / medianMarkdownMs };
  } finally {
    await target.close();
    await rm(work, { recursive: true, force: true });
    await rm(pki.files.dir, { recursive: true, force: true });
  }
}

export function describeTimelinePanelBench(r: TimelinePanelResult): string {
  return [
    `Timeline panel in code-server (${r.sessions} sessions × ${r.opensPerSession}): verdict shown ${r.medianTimelineMs.toFixed(0)} ms after the command (median; target ≤ 300 ms) vs ${r.medianMarkdownMs.toFixed(0)} ms for VS Code's Markdown preview = ${r.ratio.toFixed(2)}×`,
    `  each: ${r.timelineMs.join(', ')} ms; Markdown preview ${r.markdownMs.join(', ')} ms`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  void runTimelinePanelBench().then((r) => {
    console.log(describeTimelinePanelBench(r));
    process.exit(0);
  });
}
