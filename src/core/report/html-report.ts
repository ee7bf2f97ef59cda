import type { ProbeResult } from '../probe/types';
import { formatSummary, formatTrace } from './curl-style';

// A self-contained, script-free HTML page of one probe: verdict, timings and the full trace. It is what people
// attach to a ticket; the CSP forbids everything but its own inline style, so the page runs nothing when opened.

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface HtmlReportOptions {
  title?: string;
  /** The expectation's outcome, when the probe ran as a test. */
  expectation?: { expected: string; passed: boolean; message: string };
  /** Server-side evidence as the text report words it (describeEvidence), shown after the verdict. */
  evidenceLines?: string[];
}

export function probeReportHtml(result: ProbeResult, options: HtmlReportOptions = {}): string {
  const v = result.verdict;
  const title = options.title ?? `mTLS Probe — ${result.target.url}`;
  const layer = v.stoppedAt === null ? 'passed: the application answered' : `stopped at ${v.stoppedAt}`;
  const rows: Array<[string, string]> = [
    ['Target', result.target.url],
    ['Connected to', result.target.address ?? '—'],
    ['Identity', result.identity ? `${result.identity.label} — ${result.identity.subject}` : 'none (no client certificate)'],
    ['TLS', [result.tls.version, result.tls.cipher, result.tls.alpn].filter(Boolean).join(' · ') || '—'],
    ['HTTP', result.http ? `${result.http.status} (HTTP/${result.http.httpVersion})` : '—'],
    ['Correlation id', `X-Amzn-Trace-Id: ${result.correlationId}`],
  ];
  const confidence = v.confidence === 'confirmed' ? ' (confirmed by server-side evidence)' : '';
  if (options.expectation) {
    rows.push(['Expected', `${options.expectation.expected} — ${options.expectation.passed ? 'passed' : `FAILED: ${options.expectation.message}`}`]);
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1f2328; }
h1 { font-size: 1.3rem; } .verdict { padding: .6rem .9rem; border-radius: 6px; background: ${v.stoppedAt === null ? '#dafbe1' : '#ffebe9'}; }
table { border-collapse: collapse; margin: 1rem 0; } td { padding: .2rem .8rem .2rem 0; vertical-align: top; } td:first-child { color: #59636e; }
pre { background: #f6f8fa; padding: 1rem; overflow-x: auto; font: 12px/1.4 ui-monospace, monospace; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="verdict"><strong>${escapeHtml(layer)}</strong> — ${escapeHtml(v.reason)}${escapeHtml(confidence)}<br>${escapeHtml(v.summary)}${v.hint ? `<br>Hint: ${escapeHtml(v.hint)}` : ''}</p>
<table>${rows.map(([k, val]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(val)}</td></tr>`).join('')}</table>
${options.evidenceLines !== undefined && options.evidenceLines.length > 0 ? `<h2>Server-side evidence</h2>\n<pre>${escapeHtml(options.evidenceLines.join('\n'))}</pre>\n` : ''}<h2>Trace</h2>
<pre>${escapeHtml(formatTrace(result).join('\n'))}</pre>
<h2>Summary</h2>
<pre>${escapeHtml(formatSummary(result).join('\n').trim())}</pre>
<p><small>Probed ${escapeHtml(result.startedAt)} by mTLS Probe. Contains no private key or passphrase.</small></p>
</body>
</html>
`;
}
