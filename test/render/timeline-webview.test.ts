// The same bundle as the extension's panel runs it: a page with the renderer and no embedded model, and VS Code's
// webview API (acquireVsCodeApi) standing in as a recorder of what the page posts and the state it saves. The
// model arrives as a message, a live update keeps what the user was looking at, and a reload restores from the
// saved state before the extension says anything.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { loadTimelineAssets } from '../../src/core/report/timeline-html';
import type { TimelineModel } from '../../src/core/timeline/model';
import type { WebviewMessage, WebviewState } from '../../src/webview/protocol';
import { singleRunModel } from '../support/timeline-fixtures';
import type { PageGlobals } from './page-globals';
import { launchChromium, ReportFiles } from './report-browser';

let browser: Browser;
let files: ReportFiles;
let panel: string;

before(async () => {
  browser = await launchChromium();
  files = await ReportFiles.create();
  const { script, css } = await loadTimelineAssets();
  const nonce = randomBytes(16).toString('base64');
  panel = await files.writeHtml(
    'panel',
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'"><style nonce="${nonce}">${css}</style></head><body class="vscode-light"><div id="timeline-root"></div><script nonce="${nonce}">${script.replace(/<\/script/gi, '<\\/script')}</script></body></html>`,
  );
});

after(async () => {
  await browser?.close();
  await files?.remove();
});

/** VS Code's webview API as a recorder; `saved` is what getState returns (the state before a reload). */
function fakeVsCodeApi(saved: WebviewState | null): string {
  return `
    window.__posted = [];
    window.__saved = ${JSON.stringify(saved)};
    window.acquireVsCodeApi = () => ({
      postMessage: (message) => window.__posted.push(message),
      getState: () => window.__saved ?? undefined,
      setState: (state) => { window.__saved = JSON.parse(JSON.stringify(state)); },
    });
  `;
}

async function openPanel(saved: WebviewState | null): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript({ content: fakeVsCodeApi(saved) });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`file://${panel}`);
  return { page, errors, close: () => context.close() };
}

const posted = (page: Page): Promise<WebviewMessage[]> => page.evaluate(() => (globalThis as unknown as PageGlobals).__posted as WebviewMessage[]);
const saved = (page: Page): Promise<WebviewState | null> => page.evaluate(() => ((globalThis as unknown as PageGlobals).__saved ?? null) as WebviewState | null);
const sendModel = (page: Page, model: TimelineModel): Promise<void> => page.evaluate((m) => (globalThis as unknown as PageGlobals).postMessage({ type: 'model', model: m }, '*'), model);

test('in the panel: ready, then the model; actions post typed messages; a live update keeps the view; a reload restores it', async () => {
  const model = singleRunModel();
  const run = model.runs[0]!;
  const first = await openPanel(null);
  let state: WebviewState | null;
  try {
    const { page } = first;
    await page.waitForFunction(() => ((globalThis as unknown as PageGlobals).__posted ?? []).length > 0);
    assert.deepEqual(await posted(page), [{ type: 'ready' }]);
    await sendModel(page, model);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.rendered === 'true');
    assert.equal(await page.locator('h2.headline').textContent(), run.verdict.headline);

    await page.getByRole('button', { name: 'Show trace', exact: true }).click();
    await page.getByRole('button', { name: 'Export…' }).click();
    await page.getByRole('menuitem', { name: 'OpenTelemetry JSON' }).click();
    await page.getByRole('button', { name: 'Look again for evidence', exact: true }).click();
    assert.deepEqual((await posted(page)).slice(1), [
      { type: 'showTrace', runId: run.id },
      { type: 'export', runId: run.id, format: 'otlp' },
      { type: 'lookAgain', runId: run.id },
    ]);

    const reset = run.marks.find((m) => m.label === 'RST')!;
    await page.locator(`.mark[data-mark-id="${reset.id}"]`).click();
    await page.getByRole('button', { name: 'Probe window', exact: true }).click();
    await page.getByRole('button', { name: 'Sequence', exact: true }).click();
    await page.waitForFunction(() => ((globalThis as unknown as PageGlobals).__saved as WebviewState | undefined)?.view.mode === 'sequence');
    state = await saved(page);
    assert.equal(state?.view.selectedMarkId, reset.id);
    assert.ok(state?.view.viewport !== undefined && state.view.viewport.to - state.view.viewport.from < 30, 'the probe window is saved as the view');
    assert.equal(state?.model?.runs[0]?.id, run.id, 'with the model, so a reload can draw at once');

    const update = singleRunModel();
    const waf = { ...update.runs[0]!.marks.find((m) => m.kind === 'log-record')!, id: `${run.id}:99`, lane: 'waf' as const, label: 'no record', summary: 'AWS WAF log: no record of this request' };
    update.runs[0]!.marks.push(waf);
    update.runs[0]!.collectingEvidence = false;
    await sendModel(page, update);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('.collecting') === null);
    assert.equal(await page.getByRole('button', { name: 'Sequence', exact: true }).getAttribute('aria-pressed'), 'true', 'the view stays the sequence');
    assert.equal(await page.locator('.details h2').textContent(), reset.detail.title, 'the selection stays open');
    assert.equal(await page.locator(`.seq-row[data-mark-id="${waf.id}"]`).count(), 1, 'the new evidence is drawn');
    assert.deepEqual(first.errors, []);
  } finally {
    await first.close();
  }

  const reloaded = await openPanel(state);
  try {
    const { page } = reloaded;
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.rendered === 'true');
    assert.equal(await page.locator('h2.headline').textContent(), run.verdict.headline, 'drawn from the saved state before any message');
    assert.equal(await page.getByRole('button', { name: 'Sequence', exact: true }).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('.details h2').textContent(), run.marks.find((m) => m.label === 'RST')!.detail.title);
    assert.deepEqual(await posted(page), [{ type: 'ready' }]);
    assert.deepEqual(reloaded.errors, []);
  } finally {
    await reloaded.close();
  }
});

test('a live update keeps the keyboard focus on the same mark', async () => {
  const panel = await openPanel(null);
  try {
    const { page } = panel;
    await sendModel(page, singleRunModel());
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.rendered === 'true');
    await page.locator('.ruler-track').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    const focused = (): Promise<string | null> => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('data-mark-id') ?? null);
    const before = await focused();
    assert.ok(before !== null);
    const update = singleRunModel();
    update.runs[0]!.collectingEvidence = false;
    await sendModel(page, update);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('.collecting') === null);
    assert.equal(await focused(), before);
    assert.deepEqual(panel.errors, []);
  } finally {
    await panel.close();
  }
});

test('in the standalone report the actions that need the extension are not offered', async () => {
  const report = await files.write('standalone', singleRunModel());
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`file://${report.file}`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.rendered === 'true');
    for (const name of ['Show trace', 'Export…', 'Look again for evidence']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    assert.equal(await page.getByRole('button', { name: 'Fit all', exact: true }).count(), 1);
  } finally {
    await context.close();
  }
});
