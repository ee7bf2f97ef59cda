// The timeline report's Content Security Policy, audited as written and as Chromium enforces it: the report is the
// same shell as the extension's panel (src/core/report/timeline-html.ts; the panel's page is audited live in
// test/e2e/extension-host-hardening.test.ts). Script only by nonce ('unsafe-inline' and 'unsafe-eval' absent),
// default-src 'none', no origin but the page's own inlined code, every script the nonce's, no URL to load. And the
// page in its webview role ignores messages that are not the host's model, whatever their shape.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { loadTimelineAssets } from '../../src/core/report/timeline-html';
import { compareModel, singleRunModel } from '../support/timeline-fixtures';
import { cspEnforcementProbe, cspProblems, summarizePage, type CspEnforcement } from './csp-audit';
import type { PageGlobals } from './page-globals';
import { launchChromium, openReport, ReportFiles } from './report-browser';

let browser: Browser;
let files: ReportFiles;

before(async () => {
  browser = await launchChromium();
  files = await ReportFiles.create();
});

after(async () => {
  await browser?.close();
  await files?.remove();
});

const noUrl = (): boolean => false;

test('the report\'s CSP: script and style by nonce only, default-src \'none\', no remote origin; every script carries the nonce and nothing is loaded', async () => {
  const context = await browser.newContext();
  try {
    const blank = await context.newPage();
    for (const [name, model] of [['single', singleRunModel()], ['compare', compareModel()]] as const) {
      const { file } = await files.write(`csp-${name}`, model);
      const html = await readFile(file, 'utf8');
      const summary = await summarizePage(blank, html);
      const audit = cspProblems(summary, { resourceSources: [], allowedUrl: noUrl });
      assert.deepEqual(audit.problems, [], `${name}: ${summary.cspMetas[0]}`);
      assert.deepEqual([...audit.directives.keys()].sort(), ['default-src', 'img-src', 'script-src', 'style-src']);
      assert.deepEqual(audit.directives.get('style-src'), [`'nonce-${audit.nonce}'`], 'style by the same nonce');
      assert.deepEqual(audit.directives.get('img-src'), ['data:']);
      // The renderer inlined under the nonce, the model as a data block (never run), nothing with a src.
      const executable = summary.scripts.filter((s) => s.type !== 'application/json');
      assert.equal(executable.length, 1);
      assert.ok(executable[0]!.textLength > 10_000, 'the renderer is inlined');
      assert.deepEqual(summary.scripts.filter((s) => s.type === 'application/json').map((s) => s.src), [null]);
      assert.deepEqual(summary.urls, [], 'no src or href at all');
      assert.deepEqual(summary.links, []);
      // A fresh nonce per page.
      const again = cspProblems(await summarizePage(blank, await readFile((await files.write(`csp-${name}-again`, model)).file, 'utf8')), { resourceSources: [], allowedUrl: noUrl });
      assert.notEqual(again.nonce, audit.nonce);
    }
  } finally {
    await context.close();
  }
});

test('the report\'s CSP is enforced: an injected script without the nonce does not run, an image or a fetch elsewhere is refused', async () => {
  const { file } = await files.write('csp-enforced', singleRunModel());
  const opened = await openReport(browser, file);
  try {
    const result = (await opened.page.evaluate(cspEnforcementProbe)) as CspEnforcement;
    assert.equal(result.ran, false);
    assert.equal(result.fetched, 'refused');
    for (const directive of ['script-src', 'img-src', 'connect-src']) assert.ok(result.violations.some((v) => v.startsWith(directive)), `${directive}: ${result.violations.join(', ')}`);
    assert.deepEqual(opened.requests, [], 'the browser asked for nothing: the policy refused before any request');
  } finally {
    await opened.context.close();
  }
});

test('in its webview role the page ignores messages that are not the host\'s model: its picture stays, no error', async () => {
  const { script, css } = await loadTimelineAssets();
  const nonce = randomBytes(16).toString('base64');
  const panel = await files.writeHtml(
    'csp-panel',
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'"><style nonce="${nonce}">${css}</style></head><body><div id="timeline-root"></div><script nonce="${nonce}">${script.replace(/<\/script/gi, '<\\/script')}</script></body></html>`,
  );
  const context = await browser.newContext();
  await context.addInitScript({ content: 'window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => undefined });' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  try {
    await page.goto(`file://${panel}`);
    const model = singleRunModel();
    await page.evaluate((m) => (globalThis as unknown as PageGlobals).postMessage({ type: 'model', model: m }, '*'), model);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.rendered === 'true');
    const headline = async (): Promise<string | null> => page.locator('h2.headline').first().textContent();
    const drawn = await headline();
    const junk = [
      'null',
      '"model"',
      '[{ type: "model" }]',
      '{ type: "model" }',
      '{ type: "model", model: null }',
      '{ type: "model", model: { version: -1, title: "x", generatedAt: "y", lanes: [], runs: [] } }',
      '{ type: "model", model: { version: M.version, title: 1, generatedAt: "y", lanes: [], runs: [] } }',
      '{ type: "model", model: { version: M.version, title: "x", generatedAt: "y", lanes: {}, runs: [] } }',
      '{ type: "Model", model: M }',
      'JSON.parse(\'{"__proto__": {"type": "model"}, "model": {}}\')',
      '{ type: "model", model: Object.assign(Object.create({ polluted: true }), M) }',
      '{ type: "model", model: M.title.repeat(1) + "x".repeat(4 * 1024 * 1024) }',
    ];
    for (const expression of junk) {
      await page.evaluate(`(() => { const M = ${JSON.stringify({ version: model.version, title: model.title })}; window.postMessage(${expression}, '*'); })()`);
    }
    // A message the page takes redraws at once; give the junk the same chance, then check nothing changed.
    await page.evaluate(() => new Promise((resolve) => (globalThis as unknown as PageGlobals).requestAnimationFrame(() => (globalThis as unknown as PageGlobals).requestAnimationFrame(resolve))));
    assert.equal(await headline(), drawn);
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.dataset.rendered), 'true');
    assert.equal(await page.evaluate('({}).polluted === undefined && ({}).type === undefined'), true, 'Object.prototype untouched');
    assert.deepEqual(errors, []);
    assert.deepEqual(await page.evaluate(() => (globalThis as unknown as PageGlobals).__posted), [{ type: 'ready' }], 'and posted nothing in answer');
  } finally {
    await context.close();
  }
});

test('the audit itself catches what it is for: unsafe keywords, remote origins, a script without the nonce, a remote URL', async () => {
  const context = await browser.newContext();
  try {
    const blank = await context.newPage();
    const bad = `<!DOCTYPE html><html><head><script>1</script><meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'nonce-abcdefghijklmnopqrstuv' 'unsafe-inline' https://cdn.example; style-src *; img-src data:"><link rel="stylesheet" href="https://cdn.example/x.css"></head><body onload="x()"><script nonce="abcdefghijklmnopqrstuv" src="https://cdn.example/x.js"></script><a href="javascript:alert(1)">x</a><iframe src="https://cdn.example/"></iframe></body></html>`;
    const { problems } = cspProblems(await summarizePage(blank, bad), { resourceSources: [], allowedUrl: noUrl });
    for (const expected of [/CSP meta does not come before/, /default-src is/, /script-src is/, /script-src allows 'unsafe-inline'/, /script-src allows https:\/\/cdn\.example/, /style-src allows \*/, /script 0 \(inline/, /script 1 loads https:\/\/cdn\.example\/x\.js/, /link\.href points at https/, /javascript: URL/, /inline event handler body\.onload/, /<iframe>/]) {
      assert.ok(problems.some((p) => expected.test(p)), `${expected}: ${problems.join('\n')}`);
    }
  } finally {
    await context.close();
  }
});
