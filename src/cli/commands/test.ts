import { basename, dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { workspaceConfigRelativePath, type ConfigProblem, type WorkspaceConfig } from '../../core/config/types';
import { loadWorkspaceConfig } from '../../core/config/workspace-config';
import { describeOutcome, expectationChecks, type ExpectationCheck, type ExpectationFilter } from '../../core/expectations/expectations';
import { runExpectations, type ExpectationRun } from '../../core/runs/expectation-runs';
import { junitXml } from '../../core/report/junit';
import { environmentPassphrases, loadIdentityWith } from '../../core/runs/identity-loading';
import { runJson } from '../../core/runs/run-json';
import { scrubText, secretRedaction } from '../../core/secret-headers';
import { curlCommand, opensslCommand, secretHeaderNote, secretHeaderVariables } from '../../core/report/reproduce-commands';
import { positiveInt, writeOutputFile } from '../arguments';
import { BadArgumentError, BadInputError, InterruptedError, UnreadableFileError } from '../errors';
import type { testOptions } from '../definitions/test';
import type { CommandIo, CommandRunner, OptionValues } from '../shell';

// `mtls-probe test`: the workspace config's expectations, each probed and judged, one line each (or JSON, JUnit).
// Its words, help and options: definitions/test.ts.

type TestValues = OptionValues<typeof testOptions>;

function formatProblem(problem: ConfigProblem): string {
  const where = problem.jsonPath === '' ? '(top level)' : problem.jsonPath;
  return `${problem.file}: ${where}: ${problem.severity === 'warning' ? 'warning: ' : ''}${problem.message} (${problem.fix})\n`;
}

/** The folder the config's paths resolve against: given, or the one holding the config's .vscode directory. */
function workspaceFolder(workspace: string | undefined, config: string | undefined): string {
  if (workspace !== undefined) return resolve(workspace);
  if (config !== undefined && basename(dirname(resolve(config))) === '.vscode') return dirname(dirname(resolve(config)));
  return process.cwd();
}

const marks: Record<ExpectationRun['status'], string> = { passed: '✓', failed: '✗', error: '✗', skipped: '-' };

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** Prints each run once it and every run before it have ended: check order, with progress as it comes. */
function orderedPrinter(checks: readonly { id: string }[], print: (run: ExpectationRun) => void): (run: ExpectationRun) => void {
  const ended = new Map<string, ExpectationRun>();
  let next = 0;
  return (run) => {
    ended.set(run.check.id, run);
    for (let ready = ended.get(checks[next]?.id ?? ''); ready !== undefined; ready = ended.get(checks[next]?.id ?? '')) {
      print(ready);
      next++;
    }
  };
}

function summaryCounts(runs: ExpectationRun[]): Record<'total' | 'passed' | 'failed' | 'errors' | 'skipped', number> {
  const count = (status: ExpectationRun['status']): number => runs.filter((r) => r.status === status).length;
  return { total: runs.length, passed: count('passed'), failed: count('failed'), errors: count('error'), skipped: count('skipped') };
}

/**
 * The curl and openssl command lines for a check, and the environment variables the curl command reads secret header
 * values from (never written into it); null when its URL cannot be parsed (then it could not run either).
 */
function reproduceCommands(check: ExpectationRun['check']): { curl: string; openssl: string; environment?: string[] } | null {
  try {
    const environment = secretHeaderVariables(check.endpoint).map((v) => v.variable);
    return { curl: curlCommand(check.endpoint, check.identity), openssl: opensslCommand(check.endpoint, check.identity), ...(environment.length > 0 ? { environment } : {}) };
  } catch {
    return null;
  }
}

/**
 * The run with the endpoint's secret header values taken out of its words (a probe error may quote what was sent):
 * the trace and the JSON redact their own, this covers the message and the error printed beside them.
 */
function withoutSecrets(run: ExpectationRun): ExpectationRun {
  const redaction = secretRedaction(run.check.endpoint.secretHeaders, [run.check.endpoint.headers]);
  if (redaction.values.length === 0) return run;
  return { ...run, message: scrubText(run.message, redaction), ...(run.error !== undefined ? { error: scrubText(run.error, redaction) } : {}) };
}

function checkJson(given: ExpectationRun): Record<string, unknown> {
  const run = withoutSecrets(given);
  const { check } = run;
  return {
    id: check.id,
    endpoint: check.endpoint.name,
    url: check.endpoint.url,
    identity: check.identityName,
    expected: check.expected,
    expectedText: check.expectedText,
    status: run.status,
    // The attempt judged ("first", "tls12Fallback", or null when the retry asked for was not made); absent when the probe did not run.
    ...(run.run?.expectation?.judgedAttempt !== undefined ? { judgedAttempt: run.run.expectation.judgedAttempt } : {}),
    passed: run.passed,
    message: run.message,
    ...(run.error !== undefined ? { error: run.error } : {}),
    durationMs: run.durationMs,
    reproduce: reproduceCommands(check),
    result: run.run !== undefined ? runJson(run.run) : null,
  };
}

/** The config with no error in it; its warnings and errors are printed first, one line each. */
async function loadConfig(folder: string, file: string | undefined, io: CommandIo): Promise<WorkspaceConfig> {
  let config: WorkspaceConfig | null;
  try {
    config = await loadWorkspaceConfig(folder, file);
  } catch (e) {
    throw new BadInputError((e as Error).message, { cause: e });
  }
  if (config === null) {
    const expected = file ?? resolve(folder, workspaceConfigRelativePath);
    throw new UnreadableFileError(`no config file at ${expected}: create it (identities and endpoints with "expect"), or pass --workspace DIR or --config FILE.`);
  }
  for (const problem of config.problems) io.err(formatProblem(problem));
  const errors = config.problems.filter((p) => p.severity === 'error').length;
  if (errors > 0) throw new BadInputError(`${config.file} has ${errors} error${errors === 1 ? '' : 's'}: fix ${errors === 1 ? 'it' : 'them'}, then run the tests again.`);
  return config;
}

/** The checks the --endpoint flags select (all by default); an endpoint the config lacks is named. */
function selectChecks(config: WorkspaceConfig, endpoints: string[] | undefined): { checks: ExpectationCheck[]; filter: ExpectationFilter } {
  const endpointNames = config.endpoints.map((e) => e.name);
  const unknown = (endpoints ?? []).filter((name) => !endpointNames.includes(name));
  if (unknown.length > 0) throw new BadArgumentError(`--endpoint ${unknown.map((n) => `"${n}"`).join(', ')}: not in ${config.file} (endpoints: ${endpointNames.join(', ') || 'none'}).`);
  const filter = endpoints !== undefined ? { endpoints } : {};
  const checks = expectationChecks(config, filter);
  if (checks.length === 0) throw new BadInputError(`nothing to test: no endpoint${endpoints !== undefined ? ' of those named' : ''} in ${config.file} has an "expect" entry.`);
  return { checks, filter };
}

/** One line per check, columns aligned across all of them; a failure adds why and the curl command to retry it. */
function checkLinePrinter(checks: readonly ExpectationCheck[], io: CommandIo): (run: ExpectationRun) => void {
  const widths = {
    endpoint: Math.max(...checks.map((c) => c.endpoint.name.length)),
    identity: Math.max(...checks.map((c) => c.identityName.length)),
    expected: Math.max(...checks.map((c) => c.expectedText.length)),
  };
  return (given) => {
    const run = withoutSecrets(given);
    const { check } = run;
    // What the judged attempt got, and what the other one got when the probe retried over TLS 1.2.
    const got = run.result !== undefined ? `got ${run.run?.expectation?.got ?? describeOutcome(run.result)}` : run.message;
    io.out(`${marks[run.status]} ${check.endpoint.name.padEnd(widths.endpoint)}  ${check.identityName.padEnd(widths.identity)}  expect ${check.expectedText.padEnd(widths.expected)}  ${got}  ${formatMs(run.durationMs)}\n`);
    if (run.status === 'failed') {
      const note = secretHeaderNote(check.endpoint);
      io.out(`    ${run.message}\n    reproduce: ${reproduceCommands(check)?.curl ?? '(the URL does not parse)'}\n${note !== null ? `    ${note}\n` : ''}`);
    }
  };
}

function printSummary(config: WorkspaceConfig, runs: ExpectationRun[], startedAt: Date, durationMs: number, values: TestValues, io: CommandIo): void {
  const counts = summaryCounts(runs);
  if (values.json) {
    const warnings = config.problems.filter((p) => p.severity === 'warning');
    io.out(`${JSON.stringify({ config: config.file, folder: config.folder, startedAt: startedAt.toISOString(), durationMs, summary: counts, warnings, runs: runs.map(checkJson) })}\n`);
  } else {
    const parts = [`${counts.passed} passed`, `${counts.failed} failed`, `${counts.errors} could not run`, ...(counts.skipped > 0 ? [`${counts.skipped} skipped`] : [])];
    io.out(`\n${counts.total} expectation${counts.total === 1 ? '' : 's'}: ${parts.join(', ')} (${formatMs(durationMs)})\n`);
  }
}

export const testRunner: CommandRunner<typeof testOptions> = {
  async run(values, positionals, { io, signal }) {
    const concurrency = positiveInt(values.concurrency, '--concurrency');
    if (positionals.length > 0) throw new BadArgumentError(`test takes no positional arguments (got "${positionals[0]}"); use --workspace DIR or --config FILE.`);
    const folder = workspaceFolder(values.workspace, values.config);
    const config = await loadConfig(folder, values.config !== undefined ? resolve(values.config) : undefined, io);
    const { checks, filter } = selectChecks(config, values.endpoint);
    const passphrases = environmentPassphrases();
    const startedAt = new Date();
    const start = performance.now();
    const runs = await runExpectations(config, {
      loadIdentity: (identity) => loadIdentityWith(identity, passphrases),
      signal,
      filter,
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(values.json ? {} : { onResult: orderedPrinter(checks, checkLinePrinter(checks, io)) }),
    });
    printSummary(config, runs, startedAt, Math.round((performance.now() - start) * 1000) / 1000, values, io);
    if (values.junit !== undefined) {
      await writeOutputFile(values.junit, junitXml(runs, { timestamp: startedAt }), '--junit');
      if (!values.json) io.out(`JUnit XML: ${values.junit}\n`);
    }
    // Ctrl-C skips the checks not yet run, and what ran is still reported above and in the JUnit file.
    if (signal.aborted) throw new InterruptedError();
    const counts = summaryCounts(runs);
    return counts.failed > 0 || counts.errors > 0 ? 1 : 0;
  },
};
