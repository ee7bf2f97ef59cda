// The timeline renderer in Chromium (Debian's, headless, through playwright-core), on the self-contained report
// of a 10,000-mark trace: how long from navigation start until the first complete render
// (performance.mark('mtls-probe-timeline-rendered'); target <= 200 ms) and until the frame after it is drawn,
// median of cold loads (a fresh browser context each), against a baseline loaded the same way — a static page of
// 10,000 table rows holding the same marks, with a mark at the end of its body. Then zoom and pan smoothness:
// 30 Ctrl+wheel zoom steps and 30 Shift+wheel pan steps dispatched at the lanes one per frame, measuring the
// interval between frames and the work done in each (from the frame's start to the end of the renderer's
// requestAnimationFrame callback). And the size of the reports people attach to tickets (target <= 300 KB).

import { performance as nodePerformance } from 'node:perf_hooks';
import type { Browser, Page } from 'playwright-core';
import type { TimelineModel } from '../src/core/timeline/model';
import type { PageGlobals } from '../test/render/page-globals';
import { launchChromium, openReport, ReportFiles } from '../test/render/report-browser';
import { compareModel, largeTimelineModel, singleRunModel } from '../test/support/timeline-fixtures';
import { median } from './statistics';

const coldLoads = Number(process.env.BENCH_COLD_RUNS ?? 7);
const steps = 30;

export interface FrameStats {
  steps: number;
  intervalP50Ms: number;
  intervalP95Ms: number;
  workP50Ms: number;
  workP95Ms: number;
}

export interface TimelineRenderBenchResult {
  events: number;
  coldLoads: number;
  /** Navigation start → the rendered mark, per load. */
  renderMs: number[];
  renderMedianMs: number;
  /** Navigation start → the frame after the rendered mark. */
  paintedMedianMs: number;
  baselineMedianMs: number;
  baselinePaintedMedianMs: number;
  zoom: FrameStats;
  pan: FrameStats;
  reportBytes: { single: number; compare: number; large: number; baseline: number };
  chromium: string;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The baseline: the same 10,000 marks as a plain table, nothing to run but the mark at the end of the body. */
function tablePage(model: TimelineModel): string {
  const rows = model.runs[0]!.marks.map((m) => `<tr><td>${m.t.toFixed(3)} ms</td><td>${escapeHtml(m.lane)}</td><td>${escapeHtml(m.label)}</td><td>${escapeHtml(m.summary)}</td><td>${escapeHtml(m.time)}</td></tr>`);
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(model.title)}</title></head><body>\n<table><tbody>\n${rows.join('\n')}\n</tbody></table>\n<script>performance.mark('baseline-rendered')</script>\n</body></html>\n`;
}

/** Records, for the named mark, the time of the first frame drawn after it (two animation frames later). */
const paintedRecorder = (name: string): string => `
  new PerformanceObserver((list) => {
    if (!list.getEntriesByName(${JSON.stringify(name)}).length) return;
    requestAnimationFrame(() => requestAnimationFrame(() => { window.__painted = performance.now(); }));
  }).observe({ type: 'mark' });
`;

async function coldLoad(browser: Browser, file: string, mark: string): Promise<{ markMs: number; paintedMs: number }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    await context.addInitScript({ content: paintedRecorder(mark) });
    const page = await context.newPage();
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__painted !== undefined, undefined, { timeout: 30_000 });
    return await page.evaluate((name) => ({ markMs: performance.getEntriesByName(name)[0]!.startTime, paintedMs: (globalThis as unknown as PageGlobals).__painted! }), mark);
  } finally {
    await context.close();
  }
}

/** Wheel events at the middle of the TLS lane, one per frame; each frame's interval and work. */
async function wheelFrames(page: Page, init: Record<string, unknown>): Promise<FrameStats> {
  const samples = await page.evaluate(
    async ({ init, steps }) => {
      const { document, requestAnimationFrame, WheelEvent } = globalThis as unknown as PageGlobals;
      const track = document.querySelector('.lane-tls .lane-track')!;
      const box = track.getBoundingClientRect();
      // No named functions in here: tsx would wrap them in a helper the page does not have.
      let previous = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
      const intervals: number[] = [];
      const work: number[] = [];
      for (let i = 0; i < steps; i++) {
        track.dispatchEvent(new WheelEvent('wheel', { ...init, clientX: box.left + box.width * 0.45, clientY: box.top + box.height / 2, bubbles: true, cancelable: true }));
        const frame = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
        work.push(performance.now() - frame);
        intervals.push(frame - previous);
        previous = frame;
      }
      return { intervals, work };
    },
    { init, steps },
  );
  return { steps, intervalP50Ms: percentile(samples.intervals, 50), intervalP95Ms: percentile(samples.intervals, 95), workP50Ms: percentile(samples.work, 50), workP95Ms: percentile(samples.work, 95) };
}

export async function runTimelineRenderBench(): Promise<TimelineRenderBenchResult> {
  const browser = await launchChromium();
  const files = await ReportFiles.create();
  try {
    const large = largeTimelineModel(10_000);
    const single = await files.write('single', singleRunModel());
    const compare = await files.write('compare', compareModel());
    const report = await files.write('large', large);
    const baselineHtml = tablePage(large);
    const baseline = await files.writeHtml('baseline', baselineHtml);
    const loads: Array<{ markMs: number; paintedMs: number }> = [];
    const baselineLoads: Array<{ markMs: number; paintedMs: number }> = [];
    // Warm the browser's own caches (fonts, code) once for each page, then alternate the measured loads.
    await coldLoad(browser, report.file, 'mtls-probe-timeline-rendered');
    await coldLoad(browser, baseline, 'baseline-rendered');
    for (let i = 0; i < coldLoads; i++) {
      loads.push(await coldLoad(browser, report.file, 'mtls-probe-timeline-rendered'));
      baselineLoads.push(await coldLoad(browser, baseline, 'baseline-rendered'));
    }
    const opened = await openReport(browser, report.file);
    await opened.page.getByRole('button', { name: 'Probe window', exact: true }).click();
    const zoom = await wheelFrames(opened.page, { deltaY: -120, ctrlKey: true });
    const pan = await wheelFrames(opened.page, { deltaY: 120, shiftKey: true });
    if (opened.errors.length > 0 || opened.requests.length > 0) throw new Error(`the report misbehaved: ${[...opened.errors, ...opened.requests].join('; ')}`);
    await opened.context.close();
    return {
      events: large.runs[0]!.marks.length,
      coldLoads,
      renderMs: loads.map((l) => l.markMs),
      renderMedianMs: median(loads.map((l) => l.markMs)),
      paintedMedianMs: median(loads.map((l) => l.paintedMs)),
      baselineMedianMs: median(baselineLoads.map((l) => l.markMs)),
      baselinePaintedMedianMs: median(baselineLoads.map((l) => l.paintedMs)),
      zoom,
      pan,
      reportBytes: { single: single.bytes, compare: compare.bytes, large: report.bytes, baseline: Buffer.byteLength(baselineHtml) },
      chromium: browser.version(),
    };
  } finally {
    await browser.close();
    await files.remove();
  }
}

export function describeTimelineRenderBench(r: TimelineRenderBenchResult): string {
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;
  const frames = (f: FrameStats): string => `frame interval p50 ${ms(f.intervalP50Ms)} / p95 ${ms(f.intervalP95Ms)}, work per frame p50 ${ms(f.workP50Ms)} / p95 ${ms(f.workP95Ms)}`;
  return (
    `timeline render, ${r.events} marks (Chromium ${r.chromium}, median of ${r.coldLoads} cold loads): first complete render ${ms(r.renderMedianMs)} after navigation start (target <= 200 ms), drawn by ${ms(r.paintedMedianMs)}\n` +
    `  baseline static page of ${r.events} table rows: ${ms(r.baselineMedianMs)} to the end of its body, drawn by ${ms(r.baselinePaintedMedianMs)}; timeline/baseline ${(r.renderMedianMs / r.baselineMedianMs).toFixed(2)}x (drawn: ${(r.paintedMedianMs / r.baselinePaintedMedianMs).toFixed(2)}x)\n` +
    `  zoom, ${r.zoom.steps} Ctrl+wheel steps: ${frames(r.zoom)}\n` +
    `  pan, ${r.pan.steps} Shift+wheel steps: ${frames(r.pan)}\n` +
    `  report sizes: single run ${kb(r.reportBytes.single)}, compare of 3 runs ${kb(r.reportBytes.compare)} (target <= 300 KB); ${r.events} marks ${kb(r.reportBytes.large)}, its baseline table ${kb(r.reportBytes.baseline)}`
  );
}

if (process.argv[1]?.endsWith('timeline-render.ts')) {
  const started = nodePerformance.now();
  void runTimelineRenderBench().then((r) => {
    console.log(describeTimelineRenderBench(r));
    console.log(`  (bench took ${((nodePerformance.now() - started) / 1000).toFixed(1)} s)`);
  });
}
