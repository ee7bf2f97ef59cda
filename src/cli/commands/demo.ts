import { startLab } from '../../core/lab/lab';
import { labInfo } from '../../core/lab/lab-text';
import { runSeedExperiment, type SeedResult } from '../../core/lab/seed-experiment';
import { exportRuns } from '../../core/report/run-exports';
import { runJson } from '../../core/runs/run-json';
import { writeOutputFile } from '../arguments';
import { InterruptedError } from '../errors';
import type { demoOptions } from '../definitions/demo';
import type { CommandRunner } from '../shell';

// `mtls-probe demo` (npm run demo): the seed experiment against the local lab, offline — each case probed, its
// verdict confirmed from the lab's AWS-format logs, a verdict table, and the timeline of all of them side by side.

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function expectedWords(result: SeedResult): string {
  const { stoppedAt, reason } = result.case.expected;
  return stoppedAt === null ? 'target' : `${stoppedAt} (${reason})`;
}

export function formatSeedTable(results: readonly SeedResult[]): string {
  const header = ['', 'CASE', 'EXPECTED', 'STOPPED AT', 'REASON', 'CONFIRMED BY'];
  const rows = results.map((r) => [
    r.passed ? '✓' : '✗',
    r.case.name,
    expectedWords(r),
    r.run.verdict.stoppedAt ?? (r.run.result.http !== null ? `target ${r.run.result.http.status}` : 'target'),
    r.run.verdict.reason,
    r.confirmedBy === '' ? 'not confirmed' : r.confirmedBy,
  ]);
  return table([header, ...rows]);
}

/** The story in three sentences, from what was observed. */
export function seedStory(results: readonly SeedResult[]): string {
  const refused = results.filter((r) => r.run.verdict.stoppedAt === 'mtls' && r.run.result.http === null);
  const blocked = results.filter((r) => r.run.verdict.stoppedAt === 'waf');
  const answered = results.filter((r) => r.run.verdict.stoppedAt === null);
  return [
    refused.length > 0
      ? `The listener refused ${refused.length} connection${refused.length === 1 ? '' : 's'} during the TLS handshake (${refused.map((r) => r.case.name).join(', ')}): a TCP reset, no HTTP request, no access-log line and no WAF record — they never reached the WAF.`
      : null,
    blocked.length > 0 ? `The WAF blocked ${blocked.map((r) => r.case.name).join(', ')} with a 403, and logged it.` : null,
    answered.length > 0 ? `The target answered ${answered.map((r) => r.case.name).join(', ')}.` : null,
  ]
    .filter((s): s is string => s !== null)
    .join('\n');
}

const reportTitle = 'mTLS Probe demo: the seed experiment (ALB mTLS verify + AWS WAF)';

export const demoRunner: CommandRunner<typeof demoOptions> = {
  async run(values, _positionals, { io, signal }) {
    const report = values.report ?? 'mtls-probe-demo.html';
    const lab = await startLab({ mode: 'verify', ...(values.dir !== undefined ? { dir: values.dir } : {}) });
    let results: SeedResult[];
    try {
      if (!values.json) io.out(`mTLS Probe demo: the seed experiment against the local lab — an ALB-shaped listener with mTLS in verify mode, AWS-WAF-like rules and a target — at ${lab.url}\n\n`);
      results = await runSeedExperiment(lab, { signal });
      if (signal.aborted) throw new InterruptedError();
      await writeOutputFile(report, await exportRuns(results.map((r) => r.run), 'html', { title: reportTitle }), '--report');
      if (values.json) {
        io.out(`${JSON.stringify({ lab: labInfo(lab), report, results: results.map((r) => ({ case: r.case, passed: r.passed, confirmedBy: r.confirmedBy, run: runJson(r.run) })) })}\n`);
      } else {
        io.out(`${formatSeedTable(results)}\n\n${seedStory(results)}\n\nTimeline of all ${results.length} cases side by side: ${report}\n`);
      }
    } finally {
      // Also after Ctrl-C: a temporary lab folder is removed only by close().
      await lab.close();
    }
    const failed = results.filter((r) => !r.passed);
    if (failed.length > 0) io.err(`mtls-probe: ${failed.length} case${failed.length === 1 ? '' : 's'} did not end as expected: ${failed.map((r) => r.case.name).join(', ')}.\n`);
    return failed.length > 0 ? 1 : 0;
  },
};
