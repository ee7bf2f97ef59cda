// The timeline renderer in a real browser: reports written from the fixtures exactly as users get them
// (timelineReportHtml with the built bundle and stylesheet), opened from disk in headless Chromium. Each scenario
// checks what a user sees and can do, that the page loaded nothing and logged no error, and saves a screenshot
// under test/render/screenshots/ for a person to look at.

import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import type { TimelineMark, TimelineModel } from '../../src/core/timeline/model';
import { buildTimeline } from '../../src/core/timeline/build-timeline';
import { fallbackRun } from '../support/fallback-run';
import { compareModel, largeTimelineModel, singleRunModel } from '../support/timeline-fixtures';
import type { PageElement, PageGlobals } from './page-globals';
import { launchChromium, openReport, ReportFiles, type OpenedReport, type OpenOptions } from './report-browser';

const screenshots = fileURLToPath(new URL('./screenshots/', import.meta.url));

let browser: Browser;
let files: ReportFiles;
const reports = new Map<string, { file: string; model: TimelineModel }>();

before(async () => {
  browser = await launchChromium();
  files = await ReportFiles.create();
  await mkdir(screenshots, { recursive: true });
  for (const [name, model] of [['single', singleRunModel()], ['compare', compareModel()], ['large', largeTimelineModel()], ['big-message', bigMessageModel()], ['fallback', fallbackModel()]] as const) {
    reports.set(name, { file: (await files.write(name, model)).file, model });
  }
});

after(async () => {
  await browser?.close();
  await files?.remove();
});

/** Opens a report, runs the scenario, then checks the page stayed offline and error-free and saves a screenshot. */
async function scenario(name: string, report: string, options: OpenOptions, run: (page: Page, model: TimelineModel) => Promise<void>): Promise<void> {
  const { file, model } = reports.get(report)!;
  const opened: OpenedReport = await openReport(browser, file, options);
  try {
    await run(opened.page, model);
    await opened.page.screenshot({ path: `${screenshots}${name}.png` });
    assert.deepEqual(opened.requests, [], 'the report asked for something besides its own file');
    assert.deepEqual(opened.errors, [], 'console errors or uncaught exceptions');
    await rm(`${screenshots}${name}-failed.png`, { force: true });
  } catch (error) {
    await opened.page.screenshot({ path: `${screenshots}${name}-failed.png` }).catch(() => undefined);
    throw error;
  } finally {
    await opened.context.close();
  }
}

/** The single run whose server Certificate message carries 128 KB of bytes (a long chain), cut there. */
function bigMessageModel(): TimelineModel {
  const model = singleRunModel();
  const certificate = model.runs[0]!.marks.find((m) => m.detail.certificates !== undefined)!;
  const size = 128 * 1024;
  certificate.detail.bytes = {
    hex: Array.from({ length: size }, (_, i) => (i % 251).toString(16).padStart(2, '0')).join(''),
    spans: [{ path: 'header', label: 'Handshake header', start: 0, end: 4 }, { path: 'certificates.1', label: 'Certificate 2', start: size - 1500, end: size - 20 }],
    truncated: true,
  };
  certificate.detail.fields = [{ name: 'Handshake header', value: 'Certificate (11)', path: 'header' }, { name: 'Certificates', value: '2', children: [{ name: 'Certificate 2', value: 'CN=Amazon RSA 2048 M02', path: 'certificates.1' }] }];
  return model;
}

/**
 * A real probe with a TLS 1.2 retry (recorded from Apache httpd: test/support/fallback-run.ts) as the builder makes
 * it: a 403 over TLS 1.3 without a certificate asked, then over TLS 1.2 a renegotiation that asks, and a 200.
 */
function fallbackModel(): TimelineModel {
  return buildTimeline([fallbackRun()], { now: new Date('2026-12-06T04:00:00.000Z') });
}

const run0 = (model: TimelineModel) => model.runs[0]!;
const markOf = (model: TimelineModel, pick: (m: TimelineMark) => boolean): TimelineMark => run0(model).marks.find(pick)!;
const lane = (page: Page, id: string, run = 0): Locator => page.locator('.run').nth(run).locator(`.lane-${id} .lane-track`);

/** A lane's drawn items: single marks by their accessible name, clusters by how many marks they hold. */
/**
 * Resolves once the page has drawn what the last input asked for: the renderer draws on the next animation frame
 * (FrameScheduler), so two frames later its draw has run — the event that proves it, instead of a fixed sleep.
 */
async function framesDrawn(page: Page): Promise<void> {
  // A string: the tests' tsconfig has no DOM types, and this runs in the page.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

async function laneContents(page: Page, id: string, run = 0): Promise<{ labels: string[]; clustered: number }> {
  return lane(page, id, run).evaluate((track) => ({
    labels: [...track.querySelectorAll('.mark')].map((m) => m.getAttribute('aria-label') ?? ''),
    clustered: [...track.querySelectorAll('.cluster')].reduce((sum, c) => sum + Number(c.getAttribute('data-count')), 0),
  }));
}

async function tickLabels(page: Page): Promise<string[]> {
  return page.locator('.tick-label:visible').allTextContents();
}

/** Whether the mark is drawn inside its lane's visible width. */
async function markOnScreen(page: Page, markId: string): Promise<boolean> {
  return page.evaluate((id) => {
    const { document, CSS } = globalThis as unknown as PageGlobals;
    const mark = document.querySelector(`[data-mark-id="${CSS.escape(id)}"].mark, [data-first-mark-id="${CSS.escape(id)}"]`);
    const track = mark?.closest('.lane-track');
    if (mark === null || mark === undefined || track === null || track === undefined) return false;
    const m = mark.getBoundingClientRect();
    const t = track.getBoundingClientRect();
    return m.right > t.left && m.left < t.right;
  }, markId);
}

describe('a single run', () => {
  test('the verdict banner comes first, with confidence, evidence states and notes', async () => {
    await scenario('single-run', 'single', {}, async (page, model) => {
      const verdict = run0(model).verdict;
      const status = page.locator('[role="status"]');
      assert.equal(await status.locator('h2.headline').textContent(), verdict.headline);
      const text = (await status.textContent()) ?? '';
      for (const part of [verdict.summary, verdict.wafReach!, verdict.confidenceText, 'Expected mtls: passed', 'Collecting evidence…', 'not yet available', 'expected by 12:15:42 UTC', 'not configured', 'Listener mTLS mode:', 'Granularity:']) {
        assert.ok(text.includes(part), `the banner says "${part}"`);
      }
      const firstHeading = await page.locator('h1, h2').nth(1).textContent();
      assert.equal(firstHeading, verdict.headline, 'the verdict is the first thing after the title');
    });
  });

  test('every mark of the run is on its lane, by name, or inside a cluster that says how many it holds', async () => {
    await scenario('single-run-lanes', 'single', {}, async (page, model) => {
      for (const info of model.lanes) {
        const expected = run0(model).marks.filter((m) => m.lane === info.id);
        const { labels, clustered } = await laneContents(page, info.id);
        assert.equal(labels.length + clustered, expected.length, `lane ${info.id}`);
        for (const label of labels) assert.ok(expected.some((m) => label.startsWith(m.summary)), `"${label}" is a mark of ${info.id}`);
      }
      const { labels } = await laneContents(page, 'tls');
      const flight = run0(model).marks.filter((m) => m.lane === 'tls' && m.t === 11.536);
      for (const mark of flight) assert.ok(labels.some((l) => l.startsWith(mark.summary)), `${mark.label} of the server's flight is drawn`);
      assert.equal(await lane(page, 'tls').locator('.fan').count(), 2, 'each flight (one instant) is fanned out over a bracket');
      const flightLabel = await lane(page, 'tls').locator(`[data-mark-id="${flight[0]!.id}"] .mark-label`).textContent();
      assert.equal(flightLabel, `${flight.map((m) => m.label).join(', ')} · 1.2`, 'and named as one flight, in order');
    });
  });

  test('a mark opens its details: fields linked to a hex dump in both directions', async () => {
    await scenario('single-run-details-hex', 'single', {}, async (page, model) => {
      const hello = markOf(model, (m) => m.label === 'ClientHello');
      await page.locator(`.mark[data-mark-id="${hello.id}"]`).click();
      const details = page.locator('.details');
      await details.waitFor({ state: 'visible' });
      assert.equal(await details.locator('h2').textContent(), hello.detail.title);
      assert.ok((await details.textContent())!.includes('2026-12-06T12:05:42.323281Z'), 'the absolute time');
      assert.ok((await details.textContent())!.includes('5.281 ms after the probe started'), 'the relative time');
      const random = hello.detail.bytes!.spans.find((s) => s.path === 'random')!;
      await details.locator('.field[data-path="random"] > .field-row').click();
      const lit = await details.locator('.hex-byte.is-selected').evaluateAll((cells) => cells.map((c) => Number((c as unknown as PageElement).dataset.offset)));
      assert.deepEqual(lit, Array.from({ length: random.end - random.start }, (_, i) => random.start + i), 'exactly the bytes of the random');
      assert.equal(await details.locator('.hex-char.is-selected').count(), random.end - random.start, 'in the ASCII column too');
      const session = hello.detail.bytes!.spans.find((s) => s.path === 'sessionId')!;
      await details.locator(`.hex-byte[data-offset="${session.start + 3}"]`).click();
      assert.equal(await details.locator('.field.is-selected').getAttribute('data-path'), 'sessionId', 'a byte selects its field');
      assert.equal(await details.locator('.hex-byte.is-selected').count(), session.end - session.start);
      const rows = await details.locator('.hex-row').count();
      assert.equal(rows, Math.ceil(hello.detail.bytes!.hex.length / 32), '16 bytes a row');
    });
  });

  test('a reset says what it means; a record shows what matched; certificates are cards', async () => {
    await scenario('single-run-details-record', 'single', {}, async (page, model) => {
      const reset = markOf(model, (m) => m.label === 'RST');
      await page.locator(`.mark[data-mark-id="${reset.id}"]`).click();
      assert.equal(await page.locator('.detail-meaning p').textContent(), reset.detail.meaning);
      const log = markOf(model, (m) => m.kind === 'log-record');
      await page.locator(`.mark[data-mark-id="${log.id}"]`).click();
      const details = page.locator('.details');
      assert.ok((await details.locator('.matched-by').textContent())!.includes(log.detail.record!.matchedBy[0]!));
      const matched = await details.locator('tr.is-matched th').allTextContents();
      assert.deepEqual(matched, log.detail.record!.rows.filter((r) => r.matched).map((r) => r.key));
      const certificate = markOf(model, (m) => m.detail.certificates !== undefined);
      await page.locator(`.mark[data-mark-id="${certificate.id}"]`).click();
      const cards = details.locator('.cert-card');
      assert.equal(await cards.count(), 2);
      assert.ok((await cards.first().textContent())!.includes('valid for 115 more days'));
      await page.keyboard.press('Escape');
      assert.equal(await details.isHidden(), true, 'Escape closes the details');
    });
  });

  test('keyboard: Tab enters the timeline, arrows move between marks and lanes, Enter opens, Escape closes', async () => {
    await scenario('single-run-keyboard', 'single', {}, async (page, model) => {
      await page.getByRole('button', { name: 'Zoom in', exact: true }).focus();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.classList.contains('ruler-track')), true, 'the axis takes the focus first');
      await page.keyboard.press('Tab');
      const focused = (): Promise<string> => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('aria-label') ?? '');
      const first = await focused();
      const marks = run0(model).marks;
      assert.ok(first.startsWith(marks.find((m) => m.lane === 'client')!.summary), `Tab lands on the first mark: ${first}`);
      await page.keyboard.press('ArrowRight');
      const second = await focused();
      assert.ok(second.startsWith(marks.filter((m) => m.lane === 'client')[1]!.summary), `→ moves along the lane: ${second}`);
      await page.keyboard.press('ArrowDown');
      const below = await focused();
      assert.ok(marks.some((m) => m.lane === 'tcp' && below.startsWith(m.summary)), `↓ moves to the TCP lane: ${below}`);
      await page.keyboard.press('End');
      assert.ok((await focused()).startsWith(marks.filter((m) => m.lane === 'tcp').at(-1)!.summary), 'End goes to the lane’s last mark');
      await page.keyboard.press('Enter');
      await page.locator('.details').waitFor({ state: 'visible' });
      assert.equal(await page.locator('.details h2').textContent(), marks.filter((m) => m.lane === 'tcp').at(-1)!.detail.title);
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('.details').isHidden(), true);
      assert.ok((await focused()).startsWith(marks.filter((m) => m.lane === 'tcp').at(-1)!.summary), 'the focus is back on the mark');
    });
  });

  test('zoom: the probe window in µs/ms with the far evidence off screen, then Fit all brings it back', async () => {
    await scenario('single-run-zoom', 'single', {}, async (page, model) => {
      const metric = markOf(model, (m) => m.kind === 'metric');
      assert.equal(await markOnScreen(page, metric.id), true, 'everything fits at first');
      await page.getByRole('button', { name: 'Probe window', exact: true }).click();
      await framesDrawn(page);
      const labels = await tickLabels(page);
      assert.ok(labels.length >= 4 && labels.every((l) => / (µs|ms)$/.test(l)), labels.join(' | '));
      assert.equal(await markOnScreen(page, metric.id), false, 'the CloudWatch minute is off screen');
      const box = (await lane(page, 'tls').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.keyboard.down('Control');
      for (let i = 0; i < 12; i++) await page.mouse.wheel(0, -400);
      await page.keyboard.up('Control');
      await framesDrawn(page);
      assert.ok((await tickLabels(page)).some((l) => l.endsWith('µs')), `Ctrl+wheel zooms to microseconds: ${(await tickLabels(page)).join(' | ')}`);
      await page.getByRole('button', { name: 'Fit all', exact: true }).click();
      await framesDrawn(page);
      assert.equal(await markOnScreen(page, metric.id), true, 'Fit all shows it again');
      assert.ok((await tickLabels(page)).some((l) => l.endsWith(' s')), 'with its time in seconds');
    });
  });

  test('the sequence view draws an arrow per message on the wire, the right way round', async () => {
    await scenario('single-run-sequence', 'single', {}, async (page, model) => {
      await page.getByRole('button', { name: 'Sequence', exact: true }).click();
      const wire = run0(model).marks.filter((m) => m.dir === 'out' || m.dir === 'in');
      const arrows = page.locator('.seq-arrow');
      assert.equal(await arrows.count(), wire.length);
      const directions = await arrows.evaluateAll((all) => all.map((a) => (a.classList.contains('dir-out') ? 'out' : 'in')));
      assert.deepEqual(directions, [...wire].sort((a, b) => a.t - b.t).map((m) => m.dir));
      assert.equal(await page.locator('.seq-server-notes .seq-note').count(), run0(model).marks.filter((m) => m.dir === 'server').length, 'server records are notes on the server side');
      assert.equal(await page.locator('.seq-client-notes .seq-note').count(), run0(model).marks.filter((m) => m.dir === 'local').length, 'local events on the client side');
      const hello = page.locator('.seq-row', { has: page.locator('.seq-label', { hasText: 'ClientHello' }) });
      await hello.click();
      assert.equal(await page.locator('.details h2').textContent(), 'Client hello');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      assert.equal(await page.locator('.details h2').textContent(), markOf(model, (m) => m.label === 'ServerHello').detail.title);
    });
  });

  test('a dark colour scheme draws on a dark background', async () => {
    await scenario('single-run-dark', 'single', { colorScheme: 'dark' }, async (page) => {
      const background = await page.evaluate(() => {
        const { getComputedStyle, document } = globalThis as unknown as PageGlobals;
        return getComputedStyle(document.body).backgroundColor;
      });
      const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number) as [number, number, number];
      assert.ok(0.2126 * r + 0.7152 * g + 0.0722 * b < 50, `background ${background}`);
      const text = await page.evaluate(() => {
        const { getComputedStyle, document } = globalThis as unknown as PageGlobals;
        return getComputedStyle(document.querySelector('.headline')!).color;
      });
      const [tr, tg, tb] = (text.match(/\d+/g) ?? []).map(Number) as [number, number, number];
      assert.ok(0.2126 * tr + 0.7152 * tg + 0.0722 * tb > 180, `text ${text}`);
    });
  });
});

describe('a run with a TLS 1.2 retry', () => {
  test('the banner adds the retry\'s verdict; an Attempts row draws both attempts in time order over the same lanes', async () => {
    await scenario('fallback-retry', 'fallback', {}, async (page, model) => {
      const { verdict, attempts, marks } = run0(model);
      const status = page.locator('[role="status"]');
      assert.equal(await status.locator('h2.headline').textContent(), verdict.headline);
      const retryLine = (await status.locator('.retry-line').textContent()) ?? '';
      assert.ok(retryLine.startsWith(`TLS 1.2 retry: passed · ${verdict.retry!.reason}`), retryLine);
      assert.ok(retryLine.includes(verdict.retry!.summary));
      const bars = page.locator('.attempt-row .attempt-bar');
      assert.equal(await bars.count(), 2);
      assert.deepEqual(await bars.locator('.attempt-label').allTextContents(), [`TLS 1.3 attempt · refused with HTTP 403 · ${(attempts![0]!.to).toFixed(1)} ms`, `TLS 1.2 retry · passed (HTTP 200) · ${(attempts![1]!.to - attempts![1]!.from).toFixed(1)} ms`]);
      const [one, two] = [(await bars.nth(0).boundingBox())!, (await bars.nth(1).boundingBox())!];
      assert.ok(two.x >= one.x + one.width - 1, `the retry's bar follows the first's: ${one.x}+${one.width} → ${two.x}`);
      assert.ok(two.width > 200 && one.width > 200, 'both read at Fit all');
      const divider = (await page.locator('.attempt-divider').boundingBox())!;
      assert.ok(Math.abs(divider.x - two.x) < 3, `a line down the lanes where the retry began: ${divider.x} vs ${two.x}`);
      assert.ok(divider.height > 300, 'over every lane');
      for (const info of model.lanes) {
        const { labels, clustered } = await laneContents(page, info.id);
        assert.equal(labels.length + clustered, marks.filter((m) => m.lane === info.id).length, `lane ${info.id} holds both attempts' marks`);
      }
      const retryPhases = await page.locator('.phase[aria-label^="TLS 1.2 retry: "]').count();
      assert.equal(retryPhases, run0(model).phases.filter((p) => p.attempt === 1).length, 'the retry\'s phases say so to a screen reader');
      assert.equal(await page.locator('.phase', { hasText: 'TLS renegotiation' }).count(), 1);
    });
  });

  test('the retry\'s bar opens why it was made; zoomed in, the renegotiation\'s CertificateRequest says which attempt it was', async () => {
    await scenario('fallback-retry-why', 'fallback', {}, async (page, model) => {
      const why = markOf(model, (m) => m.kind === 'attempt');
      await page.locator('.attempt-bar.attempt-1').click();
      const details = page.locator('.details');
      await details.waitFor({ state: 'visible' });
      assert.equal(await details.locator('h2').textContent(), why.detail.title);
      assert.equal(await page.locator('.detail-meaning p').textContent(), why.detail.meaning);
      assert.ok((await details.textContent())!.includes('post_handshake_auth_not_offered'));
      await page.keyboard.press('Escape');
      // The lanes are measured once the page has drawn again after the details closed: measured before that, the phase's
      // box could be the old frame's, and the zoom went elsewhere (2 runs in 14 found no mark).
      await details.waitFor({ state: 'hidden' });
      await framesDrawn(page);
      // Zoomed in where the renegotiation began: the HelloRequest, and the new handshake's flight with its CertificateRequest.
      const began = (await page.locator('.phase', { hasText: 'TLS renegotiation' }).boundingBox())!;
      await page.mouse.move(began.x + began.width * 0.12, began.y + 30);
      await page.keyboard.down('Control');
      for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -300);
      await page.keyboard.up('Control');
      await framesDrawn(page);
      const { labels } = await laneContents(page, 'tls');
      for (const name of ['Renegotiation', 'HelloRequest', 'CertificateRequest']) {
        const mark = markOf(model, (m) => m.attempt === 1 && m.label === name);
        assert.ok(labels.some((l) => l.startsWith(mark.summary)), `${name} is a mark of its own once zoomed in: ${labels.length} marks drawn`);
      }
      const request = markOf(model, (m) => m.attempt === 1 && m.label === 'CertificateRequest');
      await page.locator(`.mark[data-mark-id="${request.id}"]`).click();
      await details.waitFor({ state: 'visible' });
      const text = (await details.textContent()) ?? '';
      assert.ok(text.includes(`AttemptTLS 1.2 retry, `), text.slice(0, 400));
      assert.ok(text.includes(request.summary), 'its summary, naming the retry and the renegotiation');
    });
  });

  test('the sequence view names each attempt before its first event', async () => {
    await scenario('fallback-retry-sequence', 'fallback', { viewport: { width: 1400, height: 1400 } }, async (page, model) => {
      await page.getByRole('button', { name: 'Sequence', exact: true }).click();
      const attempts = page.locator('.seq-attempt');
      assert.equal(await attempts.count(), 2);
      assert.ok((await attempts.nth(1).textContent())!.startsWith('TLS 1.2 retry · passed (HTTP 200)'));
      assert.ok((await attempts.nth(1).textContent())!.includes(run0(model).attempts![1]!.why!));
      await page.locator('.seq-row', { has: page.locator('.seq-label', { hasText: /^Renegotiation/ }) }).scrollIntoViewIfNeeded();
      await page.locator('.seq-scroller').evaluate((el) => (el.scrollTop = 560));
      await framesDrawn(page);
      const row = page.locator('.seq-row', { has: page.locator('.seq-label', { hasText: /^Renegotiation$/ }) });
      await row.click();
      assert.equal(await page.locator('.details h2').textContent(), markOf(model, (m) => m.label === 'Renegotiation').detail.title);
    });
  });
});

describe('a 128 KB message', () => {
  test('its hex dump draws only the rows in view, and a field near the end scrolls its bytes into view', async () => {
    await scenario('big-message', 'big-message', {}, async (page, model) => {
      const certificate = markOf(model, (m) => m.detail.certificates !== undefined);
      await page.locator(`.mark[data-mark-id="${certificate.id}"]`).click();
      const hex = page.locator('.details .hex-view');
      assert.ok((await hex.locator('.hex-row').count()) < 200, 'not 8192 rows');
      assert.ok((await hex.textContent())!.includes('Only the first 131072 bytes were kept.'));
      await page.locator('.details .field[data-path="certificates.1"] > .field-row').click();
      const span = certificate.detail.bytes!.spans[1]!;
      await page.waitForFunction((start) => (globalThis as unknown as PageGlobals).document.querySelector(`.hex-byte[data-offset="${start}"]`) !== null, span.start);
      assert.equal(await hex.locator('.hex-byte.is-selected').first().getAttribute('data-offset'), String(span.start));
      assert.ok(await hex.locator(`.hex-byte[data-offset="${span.start}"]`).isVisible(), 'scrolled to the field');
      assert.ok((await hex.locator('.hex-row').count()) < 200);
    });
  });
});

describe('compare mode', () => {
  test('each run has its verdict; runs share one axis aligned at connection start; a header collapses its run', async () => {
    await scenario('compare', 'compare', {}, async (page, model) => {
      const headlines = await page.locator('[role="status"] .run-card h2').allTextContents();
      assert.deepEqual(headlines, model.runs.map((r) => r.verdict.headline));
      const headers = await page.locator('.run-header .headline').allTextContents();
      assert.deepEqual(headers, model.runs.map((r) => r.verdict.headline));
      const starts = await Promise.all(model.runs.map(async (run, i) => {
        const syn = run.marks.find((m) => m.label === 'SYN')!;
        return (await page.locator('.run').nth(i).locator(`[data-mark-id="${syn.id}"]`).boundingBox())!.x;
      }));
      assert.ok(Math.max(...starts) - Math.min(...starts) < 1, `connection starts line up: ${starts.join(', ')}`);
      const block = model.runs[2]!.marks.find((m) => m.lane === 'waf' && m.kind === 'log-record')!;
      assert.ok((await page.locator('.run').nth(2).locator(`[data-mark-id="${block.id}"]`).getAttribute('aria-label'))!.startsWith(block.summary));
      await page.locator('.run').nth(1).locator('.run-toggle').click();
      assert.equal(await page.locator('.run').nth(1).locator('.lane').count(), 0, 'collapsed');
      assert.equal(await page.locator('.run').nth(1).locator('.run-toggle').getAttribute('aria-expanded'), 'false');
      await page.locator('.run').nth(1).locator('.run-toggle').click();
      assert.equal(await page.locator('.run').nth(1).locator('.lane').count(), model.lanes.length, 'expanded again');
    });
  });

  test('the sequence view shows the runs one after another', async () => {
    await scenario('compare-sequence', 'compare', {}, async (page, model) => {
      await page.getByRole('button', { name: 'Sequence', exact: true }).click();
      const runRows = page.locator('.seq-run');
      assert.ok((await runRows.nth(0).textContent())!.includes(model.runs[0]!.verdict.headline));
      await runRows.nth(0).click();
      await page.locator('.seq-run').nth(1).click();
      assert.equal(await runRows.count(), model.runs.length, 'with two runs collapsed, the third run’s header is in view');
      assert.ok((await runRows.nth(2).textContent())!.includes(model.runs[2]!.verdict.headline));
      assert.equal(await page.locator('.seq-arrow').count(), model.runs[2]!.marks.filter((m) => m.dir === 'out' || m.dir === 'in').length, 'only the open run’s messages');
    });
  });
});

describe('a large trace', () => {
  test('10,000 marks render, and only what is on screen exists in the page', async () => {
    await scenario('large', 'large', {}, async (page, model) => {
      const rendered = await page.evaluate(() => performance.getEntriesByName('mtls-probe-timeline-rendered').length);
      assert.equal(rendered, 1);
      const drawn = await page.locator('.mark, .cluster').count();
      assert.ok(drawn > 0 && drawn < 500, `${drawn} elements for ${run0(model).marks.length} marks`);
      const cluster = lane(page, 'tls').locator('.cluster').first();
      const holds = Number(await cluster.getAttribute('data-count'));
      assert.ok(holds > 1000, `the dense part of the TLS lane is a cluster: ${holds}`);
      let after = await laneContents(page, 'tls');
      for (let clicks = 0; clicks < 6 && after.labels.length < 3; clicks++) {
        await lane(page, 'tls').locator('.cluster').first().click();
        const next = await laneContents(page, 'tls');
        assert.ok(next.clustered < after.clustered || next.labels.length > after.labels.length, `each activation zooms in: ${next.clustered} clustered`);
        after = next;
      }
      assert.ok(after.labels.length >= 3, `a few activations part the marks: ${after.labels.length} marks, ${after.clustered} clustered`);
      await page.getByRole('button', { name: 'Fit all', exact: true }).click();
      await page.getByRole('button', { name: 'Probe window', exact: true }).click();
      for (let i = 0; i < 8; i++) await page.getByRole('button', { name: 'Zoom in', exact: true }).click();
      const zoomed = await page.locator('.mark').count();
      assert.ok(zoomed > 5 && zoomed < 500, `${zoomed} marks drawn when zoomed in`);
      await page.getByRole('button', { name: 'Sequence', exact: true }).click();
      const rows = await page.locator('.seq-row').count();
      assert.ok(rows > 10 && rows < 200, `${rows} sequence rows exist for ${run0(model).marks.length} marks`);
    });
  });
});

describe('the report file', () => {
  test('one self-contained file: a nonce CSP, nothing external, and no record text can end its script', async () => {
    const { file, model } = reports.get('compare')!;
    const html = await readFile(file, 'utf8');
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(html)?.[1];
    assert.ok(nonce !== undefined && nonce.length >= 24, 'a random nonce in the CSP');
    assert.ok(html.includes(`content="default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:"`));
    assert.equal([...html.matchAll(/<script nonce="([^"]+)">/g)].length, 1);
    assert.ok(html.includes(`<style nonce="${nonce}">`));
    assert.doesNotMatch(html, /\b(?:src|href)\s*=\s*["']?(?:https?:|\/\/)/i, 'no external resource');
    assert.doesNotMatch(html, /<script>alert/i, 'the WAF-blocked query stays text');
    const embedded = /<script type="application\/json" id="mtls-probe-timeline-model">([^<]*)<\/script>/.exec(html)?.[1];
    assert.ok(embedded !== undefined, 'the model is one script element with no < inside');
    assert.deepEqual(JSON.parse(embedded), JSON.parse(JSON.stringify(model)));
    assert.match(embedded, /\\u003cscript\\u003e/);
    assert.ok(html.includes('<title>Compare 3 runs</title>'));
    const second = (await files.write('compare-again', model)).file;
    assert.notEqual(/nonce-([^']+)'/.exec(await readFile(second, 'utf8'))?.[1], nonce, 'a fresh nonce for every file');
  });

  test('without scripts it still shows each verdict and every event', async () => {
    const { file, model } = reports.get('compare')!;
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`file://${file}`);
      const headings = await page.locator('.noscript h2').allTextContents();
      assert.deepEqual(headings, model.runs.map((r) => `${r.title}: ${r.verdict.headline}`));
      assert.equal(await page.locator('.noscript tbody tr').count(), model.runs.reduce((n, r) => n + r.marks.length, 0));
      assert.ok((await page.locator('.noscript').textContent())!.includes('GET /health?q=<script>alert(1)</script>'), 'record text shown as text');
      await page.screenshot({ path: `${screenshots}noscript.png` });
    } finally {
      await context.close();
    }
  });
});
