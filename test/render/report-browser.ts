// Timeline reports in a real browser: Debian's Chromium through playwright-core, each report opened from disk
// (file://) in a fresh context. Every request the page makes other than its own file is counted and aborted — a
// report must load nothing — and console errors and uncaught exceptions are collected. Used by the render tests
// and the timeline benchmark.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadTimelineAssets, timelineReportHtml } from '../../src/core/report/timeline-html';
import type { TimelineModel } from '../../src/core/timeline/model';
import type { PageGlobals } from './page-globals';

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 60_000 });
}

export class ReportFiles {
  private constructor(readonly dir: string) {}

  static async create(): Promise<ReportFiles> {
    return new ReportFiles(await mkdtemp(join(tmpdir(), 'mtls-probe-timeline-')));
  }

  /** Writes the model's report; returns its path and size in bytes. */
  async write(name: string, model: TimelineModel): Promise<{ file: string; bytes: number }> {
    const html = timelineReportHtml(model, await loadTimelineAssets());
    const file = join(this.dir, `${name}.html`);
    await writeFile(file, html);
    return { file, bytes: Buffer.byteLength(html) };
  }

  /** A page of its own, not a report (the benchmark's baseline). */
  async writeHtml(name: string, html: string): Promise<string> {
    const file = join(this.dir, `${name}.html`);
    await writeFile(file, html);
    return file;
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

export interface OpenedReport {
  context: BrowserContext;
  page: Page;
  /** URLs the page asked for besides its own file. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
}

export interface OpenOptions {
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  /** Wait for the timeline's first complete render (default true). */
  waitForRender?: boolean;
}

export async function openReport(browser: Browser, file: string, options: OpenOptions = {}): Promise<OpenedReport> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 }, colorScheme: options.colorScheme ?? 'light', reducedMotion: 'reduce' });
  const page = await context.newPage();
  const own = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url === own) return route.continue();
    requests.push(url);
    return route.abort();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  await page.goto(own);
  if (options.waitForRender !== false) await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.rendered === 'true', undefined, { timeout: 20_000 });
  return { context, page, requests, errors };
}
