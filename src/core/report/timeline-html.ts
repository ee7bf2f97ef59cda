// The timeline as one self-contained HTML file: the same renderer as the extension's panel (the browser bundle and
// its stylesheet, inlined) with the model embedded as JSON. It opens from disk in any browser and loads nothing:
// the CSP allows only its own nonce-tagged script and style. Without scripts it still shows each run's verdict and
// its marks as a table (placed last, so the parser reaches the script first and the timeline draws sooner).

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TimelineModel } from '../timeline/model';
import { embeddedModelElementId } from '../../webview/protocol';

export interface TimelineAssets {
  /** dist/webview/timeline.js */
  script: string;
  /** media/timeline.css */
  css: string;
}

/**
 * Where the assets are for each way this code runs: bundled into dist/*.js (__dirname is dist), into a CLI
 * command's bundle dist/cli/*.js (__dirname is dist/cli) or from source through tsx (__dirname is src/core/report).
 */
function assetCandidates(): Array<{ script: string; css: string }> {
  return [
    { script: join(__dirname, 'webview/timeline.js'), css: join(__dirname, '../media/timeline.css') },
    { script: join(__dirname, '../webview/timeline.js'), css: join(__dirname, '../../media/timeline.css') },
    { script: join(__dirname, '../../../dist/webview/timeline.js'), css: join(__dirname, '../../../media/timeline.css') },
  ];
}

let cached: Promise<TimelineAssets> | null = null;

async function readAssets(): Promise<TimelineAssets> {
  const tried: string[] = [];
  for (const candidate of assetCandidates()) {
    try {
      const [script, css] = await Promise.all([readFile(candidate.script, 'utf8'), readFile(candidate.css, 'utf8')]);
      return { script, css };
    } catch {
      tried.push(`${candidate.script} and ${candidate.css}`);
    }
  }
  throw new Error(`The timeline renderer's files were not found (tried ${tried.join('; ')}): run npm run build`);
}

/** The renderer's bundle and stylesheet, read once per process. */
export function loadTimelineAssets(): Promise<TimelineAssets> {
  cached ??= readAssets().catch((error: unknown) => {
    cached = null;
    throw error;
  });
  return cached;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that no text inside it can end the script element with: `<`, `>`, `&` and the JS line separators escaped. */
function embeddedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The model as the page's data element: the report carries it, and the panel's first page too (no round trip). */
function embeddedModelTag(model: TimelineModel): string {
  return `<script type="application/json" id="${embeddedModelElementId}">${embeddedJson(model)}</script>`;
}

/**
 * Inline code must not contain the end tag of its own element; `<\/` means the same in JavaScript and CSS strings.
 * A development build's source-map comment goes too: it names a file beside the bundle, not beside the report.
 */
function inlineSafe(code: string, element: 'script' | 'style'): string {
  return code.replace(/^\/[/*]# sourceMappingURL=.*$/gm, '').replace(new RegExp(`</(${element})`, 'gi'), '<\\/$1');
}

function relativeTime(ms: number): string {
  return Math.abs(ms) < 1000 ? `${ms.toFixed(3)} ms` : `${(ms / 1000).toFixed(3)} s`;
}

/** The retry's own verdict under the run's, when the probe retried over TLS 1.2. */
function retryParagraph(run: TimelineModel['runs'][number]): string {
  const retry = run.verdict.retry;
  if (retry === undefined) return '';
  return `<p>${escapeHtml(`${retry.label}: ${retry.stoppedAt ?? 'passed'} · ${retry.reason} — ${retry.summary}`)}</p>\n`;
}

/** What the page shows with scripts off: each verdict, then the marks in time order. */
function noscriptFallback(model: TimelineModel): string {
  const lanes = new Map(model.lanes.map((lane) => [lane.id, lane.label]));
  const runs = model.runs.map((run) => {
    const rows = [...run.marks]
      .sort((a, b) => a.t - b.t)
      .map((mark) => `<tr><td>${escapeHtml(relativeTime(mark.t))}</td><td>${escapeHtml(lanes.get(mark.lane) ?? mark.lane)}</td><td>${escapeHtml(mark.summary)}</td></tr>`)
      .join('\n');
    return `<section class="noscript-run">
<h2>${escapeHtml(run.title)}: ${escapeHtml(run.verdict.headline)}</h2>
<p>${escapeHtml(run.verdict.summary)}</p>
${retryParagraph(run)}<p>${escapeHtml(run.verdict.confidenceText)}</p>
<table><thead><tr><th>Time</th><th>Lane</th><th>Event</th></tr></thead><tbody>
${rows}
</tbody></table>
</section>`;
  });
  return `<noscript><div class="noscript">
<p>Scripts are off: the interactive timeline needs them. The verdicts and every event follow.</p>
${runs.join('\n')}
</div></noscript>`;
}

/** A fresh nonce for a page's CSP: only the script (and style) elements tagged with it run. */
export function cspNonce(): string {
  return randomBytes(18).toString('base64');
}

/** What differs between the report's page and the panel's: where the assets come from and what the CSP allows. */
export interface TimelinePage {
  csp: string;
  title: string;
  /** Elements after the title: the stylesheet, inline or linked. */
  head: string;
  /** Drawn at once when given; otherwise the page waits for the host to post one. */
  model: TimelineModel | null;
  /** The renderer's script element. */
  script: string;
  /** What follows the script: the report's table for readers without scripts. */
  fallback?: string;
}

/** The page the renderer runs in, for the HTML report and the extension's panel alike. */
export function timelinePageHtml(page: TimelinePage): string {
  const body = ['<div id="timeline-root"></div>', page.model !== null ? embeddedModelTag(page.model) : '', page.script, ...(page.fallback !== undefined ? [page.fallback] : [])];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${page.csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
${page.head}
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

export function timelineReportHtml(model: TimelineModel, assets: TimelineAssets): string {
  const nonce = cspNonce();
  return timelinePageHtml({
    csp: `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:`,
    title: model.title,
    head: `<meta name="generator" content="mTLS Probe">
<style nonce="${nonce}">
${inlineSafe(assets.css, 'style')}
</style>`,
    model,
    script: `<script nonce="${nonce}">
${inlineSafe(assets.script, 'script')}
</script>`,
    fallback: noscriptFallback(model),
  });
}
