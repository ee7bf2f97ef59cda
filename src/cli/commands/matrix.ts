import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IdentityError } from '../../core/identity/identity-error';
import { loadIdentitySpec } from '../../core/identity/identity-spec';
import { runMatrix, type MatrixEndpoint, type MatrixIdentity, type MatrixRow, type MatrixThreads } from '../../core/probe/matrix';
import { ProbeInputError } from '../../core/probe/probe';
import type { ProbeResult } from '../../core/probe/types';
import { runJson } from '../../core/runs/run-json';
import { runFromResult } from '../../core/runs/run-service';
import { passphraseFrom, positiveInt, secretHeaderNames } from '../arguments';
import { BadArgumentError, InterruptedError } from '../errors';
import { defaultMatrixConcurrency, type matrixOptions } from '../definitions/matrix';
import { probeOnlyOptions } from '../probe-flags';
import { probeOptionsFrom, readCaFlag, refuseOptionsOf } from '../probe-flag-values';
import type { CommandIo, CommandRunner } from '../shell';

// `mtls-probe matrix URL... --identity SPEC...`: every URL × identity, several probes at once, one row each. Its
// words, help and options: definitions/matrix.ts.

async function matrixIdentities(specs: string[], passphrase: string | undefined): Promise<MatrixIdentity[]> {
  const out: MatrixIdentity[] = [];
  for (const spec of specs.length > 0 ? specs : ['none']) {
    const identity = spec.trim() === 'none' ? null : await loadIdentitySpec(spec, passphrase);
    out.push({ label: identity?.label ?? 'none', identity });
  }
  return out;
}

/**
 * The worker entry the build makes beside this command's bundle (dist/cli/matrix-worker.js); from source (tsx), the
 * built one in dist/.
 */
function matrixWorkerScript(): string {
  const candidates = [join(__dirname, 'matrix-worker.js'), join(__dirname, '../../../dist/cli/matrix-worker.js')];
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined) throw new Error(`The matrix's worker thread entry is missing (looked for ${candidates.join(', ')}): build it with npm run build, or run with --threads 1.`);
  return found;
}

/**
 * --threads: the main thread and N - 1 workers. One by default: each thread warms up its own JIT, its own TLS and
 * its copies of the identities, so threads pay off only when the matrix is large and the cores would otherwise idle
 * (measured in bench/matrix-floor.ts: on 2 cores shared with the servers, 2 threads shorten a 208-probe matrix by
 * some 5% for 30% more CPU).
 */
function matrixThreads(asked: number | undefined): MatrixThreads | undefined {
  return asked !== undefined && asked > 1 ? { count: asked, script: matrixWorkerScript() } : undefined;
}

function jsonLine(row: MatrixRow, secretHeaders: readonly string[]): string {
  const run = runJson(runFromResult(row.result, { endpointName: row.endpoint, identityName: row.identity, secretHeaders }));
  return `${JSON.stringify({ endpoint: row.endpoint, identity: row.identity, iteration: row.iteration, result: run })}\n`;
}

/** A probe's outcome in the table's words: where it stopped (or passed), why, TLS version, HTTP status. */
function outcomeCells(result: ProbeResult): string[] {
  return [result.verdict.stoppedAt ?? 'passed', result.verdict.reason, result.tls.version ?? '-', result.http ? String(result.http.status) : '-'];
}

/**
 * One row per probe. A probe that retried over TLS 1.2 (a TLS 1.3 server that refused after the request without asking
 * for a certificate) has a second outcome: the retry's, in its own column, shown when any row has one, so a retry that
 * got through is not hidden behind the first attempt's refusal.
 */
function printTable(rows: readonly MatrixRow[], io: CommandIo): void {
  const retried = rows.some((r) => r.result.fallback !== undefined);
  const header = ['ENDPOINT', 'IDENTITY', 'STOPPED AT', 'REASON', 'TLS', 'HTTP', ...(retried ? ['TLS 1.2 RETRY'] : []), 'TOTAL ms'];
  const table = rows.map((r) => {
    const retry = r.result.fallback?.result;
    const retryCell = retry === undefined ? '-' : outcomeCells(retry).filter((cell) => cell !== '-').join(' ');
    const total = r.result.timings.total + (retry?.timings.total ?? 0);
    return [r.endpoint, r.identity, ...outcomeCells(r.result), ...(retried ? [retryCell] : []), total.toFixed(1)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  for (const row of [header, ...table]) io.out(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
}

export const matrixRunner: CommandRunner<typeof matrixOptions> = {
  inputErrors: [IdentityError, ProbeInputError],
  async run(values, positionals, { io, signal }) {
    if (positionals.length === 0) throw new BadArgumentError('matrix takes one or more URLs. See mtls-probe matrix --help.');
    refuseOptionsOf(values, probeOnlyOptions, 'matrix');
    const secretHeaders = secretHeaderNames(values['secret-header']);
    const ca = await readCaFlag(values.cacert);
    const endpoints: MatrixEndpoint[] = positionals.map((url) => ({ label: url, options: probeOptionsFrom(values, url, ca) }));
    const identities = await matrixIdentities(values.identity ?? [], passphraseFrom(values['pass-env']));
    const repeat = positiveInt(values.repeat, '--repeat') ?? 1;
    const concurrency = positiveInt(values.concurrency, '--concurrency') ?? defaultMatrixConcurrency;
    const threads = matrixThreads(positiveInt(values.threads, '--threads'));
    const rows = await runMatrix(endpoints, identities, {
      repeat,
      concurrency,
      signal,
      ...(threads ? { threads } : {}),
      ...(values.json ? { onRow: (row) => io.out(jsonLine(row, secretHeaders)) } : {}),
    });
    if (signal.aborted) throw new InterruptedError();
    if (!values.json) printTable(rows, io);
    return 0;
  },
};
