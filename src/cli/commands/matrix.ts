import { IdentityError } from '../../core/identity/identity-error';
import { loadIdentitySpec } from '../../core/identity/identity-spec';
import { runMatrix, type MatrixEndpoint, type MatrixIdentity, type MatrixRow } from '../../core/probe/matrix';
import { ProbeInputError } from '../../core/probe/probe';
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

function jsonLine(row: MatrixRow, secretHeaders: readonly string[]): string {
  const run = runJson(runFromResult(row.result, { endpointName: row.endpoint, identityName: row.identity, secretHeaders }));
  return `${JSON.stringify({ endpoint: row.endpoint, identity: row.identity, iteration: row.iteration, result: run })}\n`;
}

function printTable(rows: readonly MatrixRow[], io: CommandIo): void {
  const header = ['ENDPOINT', 'IDENTITY', 'STOPPED AT', 'REASON', 'TLS', 'HTTP', 'TOTAL ms'];
  const table = rows.map((r) => [r.endpoint, r.identity, r.result.verdict.stoppedAt ?? 'passed', r.result.verdict.reason, r.result.tls.version ?? '-', r.result.http ? String(r.result.http.status) : '-', r.result.timings.total.toFixed(1)]);
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
    const rows = await runMatrix(endpoints, identities, {
      repeat: positiveInt(values.repeat, '--repeat') ?? 1,
      concurrency: positiveInt(values.concurrency, '--concurrency') ?? defaultMatrixConcurrency,
      signal,
      ...(values.json ? { onRow: (row) => io.out(jsonLine(row, secretHeaders)) } : {}),
    });
    if (signal.aborted) throw new InterruptedError();
    if (!values.json) printTable(rows, io);
    return 0;
  },
};
