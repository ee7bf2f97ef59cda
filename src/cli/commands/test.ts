import { writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { workspaceConfigRelativePath, type ConfigProblem, type WorkspaceConfig } from '../../core/config/types';
import { loadWorkspaceConfig } from '../../core/config/workspace-config';
import { describeOutcome, expectationChecks, runExpectations, type ExpectationRun } from '../../core/expectations/expectations';
import { junitXml } from '../../core/report/junit';
import { environmentPassphrases, loadIdentityWith } from '../../core/runs/identity-loading';
import { runJson } from '../../core/runs/run-json';
import { curlCommand, opensslCommand } from '../../core/report/reproduce-commands';
import type { CommandIo } from './command-io';

export const testUsage = `Usage:
  mtls-probe test [--workspace DIR] [--config FILE] [--endpoint NAME]... [--junit FILE] [--json] [--concurrency N]

Runs the expectations in the workspace config (DIR/${workspaceConfigRelativePath}, JSON with comments): each
endpoint is probed with each identity it has an expectation for ("none" = no client certificate), and the
layer where the request stopped is compared with the expected one.

  --workspace DIR     the workspace folder; the config's relative paths resolve against it (default: the folder
                      that holds the config's .vscode directory, else the current directory)
  --config FILE       the config file (default: DIR/${workspaceConfigRelativePath})
  --endpoint NAME     only this endpoint (repeatable)
  --junit FILE        also write the results as JUnit XML: one testsuite per endpoint, the trace of each probe
  --json              print exactly one JSON object on stdout
  --concurrency N     probes in flight at once (default 8)

Passphrases: the passphrase of identity NAME's encrypted key or PKCS#12 file is read from the environment
variable MTLS_PROBE_PASSPHRASE_<NAME>, with NAME upper-cased and every character other than A-Z and 0-9 turned
into _ (identity "partner-legacy" → MTLS_PROBE_PASSPHRASE_PARTNER_LEGACY). Never from the command line or the
config file.

Exit status: 0 when every expectation held, 1 when any failed or could not run, 2 for bad arguments or an error
in the config, 130 when interrupted.
`;

class UsageError extends Error {}

const options = {
  workspace: { type: 'string' },
  config: { type: 'string' },
  endpoint: { type: 'string', multiple: true },
  junit: { type: 'string' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function formatProblem(problem: ConfigProblem): string {
  const where = problem.jsonPath === '' ? '(top level)' : problem.jsonPath;
  return `${problem.file}: ${where}: ${problem.severity === 'warning' ? 'warning: ' : ''}${problem.message} (${problem.fix})\n`;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive whole number, not "${value}".`);
  return n;
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

/** The curl and openssl command lines for a check; null when its URL cannot be parsed (then it could not run either). */
function reproduceCommands(check: ExpectationRun['check']): { curl: string; openssl: string } | null {
  try {
    return { curl: curlCommand(check.endpoint, check.identity), openssl: opensslCommand(check.endpoint, check.identity) };
  } catch {
    return null;
  }
}

function checkJson(run: ExpectationRun): Record<string, unknown> {
  const { check } = run;
  return {
    id: check.id,
    endpoint: check.endpoint.name,
    url: check.endpoint.url,
    identity: check.identityName,
    expected: check.expected,
    expectedText: check.expectedText,
    status: run.status,
    passed: run.passed,
    message: run.message,
    ...(run.error !== undefined ? { error: run.error } : {}),
    durationMs: run.durationMs,
    reproduce: reproduceCommands(check),
    result: run.run !== undefined ? runJson(run.run) : null,
  };
}

async function loadConfig(folder: string, file: string | undefined, io: CommandIo): Promise<WorkspaceConfig | number> {
  let config: WorkspaceConfig | null;
  try {
    config = await loadWorkspaceConfig(folder, file);
  } catch (e) {
    io.err(`mtls-probe: ${(e as Error).message}\n`);
    return 2;
  }
  if (config === null) {
    const expected = file ?? resolve(folder, workspaceConfigRelativePath);
    io.err(`mtls-probe: no config file at ${expected}: create it (identities and endpoints with "expect"), or pass --workspace DIR or --config FILE.\n`);
    return 2;
  }
  for (const problem of config.problems) io.err(formatProblem(problem));
  const errors = config.problems.filter((p) => p.severity === 'error').length;
  if (errors > 0) {
    io.err(`mtls-probe: ${config.file} has ${errors} error${errors === 1 ? '' : 's'}: fix ${errors === 1 ? 'it' : 'them'}, then run the tests again.\n`);
    return 2;
  }
  return config;
}

/** `test …` (args exclude the word "test"). Returns the exit status. */
export async function runTestCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseTestArgs>;
  let concurrency: number | undefined;
  try {
    parsed = parseTestArgs(args);
    concurrency = positiveInt(parsed.values.concurrency, '--concurrency');
    if (parsed.positionals.length > 0) throw new UsageError(`test takes no positional arguments (got "${parsed.positionals[0]}"); use --workspace DIR or --config FILE`);
  } catch (error) {
    // parseArgs appends a paragraph about '--' to unknown options: its first sentence is the useful part.
    const firstSentence = (error as Error).message.split(/\.(?:\s|$)/)[0];
    io.err(`mtls-probe: ${firstSentence}. See mtls-probe test --help.\n`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    io.out(testUsage);
    return 0;
  }

  const folder = workspaceFolder(values.workspace, values.config);
  const loaded = await loadConfig(folder, values.config !== undefined ? resolve(values.config) : undefined, io);
  if (typeof loaded === 'number') return loaded;
  const config = loaded;

  const endpointNames = config.endpoints.map((e) => e.name);
  const unknown = (values.endpoint ?? []).filter((name) => !endpointNames.includes(name));
  if (unknown.length > 0) {
    io.err(`mtls-probe: --endpoint ${unknown.map((n) => `"${n}"`).join(', ')}: not in ${config.file} (endpoints: ${endpointNames.join(', ') || 'none'}).\n`);
    return 2;
  }
  const filter = values.endpoint !== undefined ? { endpoints: values.endpoint } : {};
  const checks = expectationChecks(config, filter);
  if (checks.length === 0) {
    io.err(`mtls-probe: nothing to test: no endpoint${values.endpoint !== undefined ? ' of those named' : ''} in ${config.file} has an "expect" entry.\n`);
    return 2;
  }

  const widths = {
    endpoint: Math.max(...checks.map((c) => c.endpoint.name.length)),
    identity: Math.max(...checks.map((c) => c.identityName.length)),
    expected: Math.max(...checks.map((c) => c.expectedText.length)),
  };
  const printRun = (run: ExpectationRun): void => {
    const { check } = run;
    const got = run.result !== undefined ? `got ${describeOutcome(run.result)}` : run.message;
    io.out(`${marks[run.status]} ${check.endpoint.name.padEnd(widths.endpoint)}  ${check.identityName.padEnd(widths.identity)}  expect ${check.expectedText.padEnd(widths.expected)}  ${got}  ${formatMs(run.durationMs)}\n`);
    if (run.status === 'failed') {
      io.out(`    ${run.message}\n    reproduce: ${reproduceCommands(check)?.curl ?? '(the URL does not parse)'}\n`);
    }
  };

  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const passphrases = environmentPassphrases();
  const startedAt = new Date();
  const start = performance.now();
  let runs: ExpectationRun[];
  try {
    runs = await runExpectations(config, {
      loadIdentity: (identity) => loadIdentityWith(identity, passphrases),
      signal: controller.signal,
      filter,
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(values.json ? {} : { onResult: orderedPrinter(checks, printRun) }),
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  const durationMs = Math.round((performance.now() - start) * 1000) / 1000;
  const counts = summaryCounts(runs);

  if (values.json) {
    const warnings = config.problems.filter((p) => p.severity === 'warning');
    io.out(`${JSON.stringify({ config: config.file, folder: config.folder, startedAt: startedAt.toISOString(), durationMs, summary: counts, warnings, runs: runs.map(checkJson) })}\n`);
  } else {
    const parts = [`${counts.passed} passed`, `${counts.failed} failed`, `${counts.errors} could not run`, ...(counts.skipped > 0 ? [`${counts.skipped} skipped`] : [])];
    io.out(`\n${counts.total} expectation${counts.total === 1 ? '' : 's'}: ${parts.join(', ')} (${formatMs(durationMs)})\n`);
  }

  if (values.junit !== undefined) {
    try {
      await writeFile(values.junit, junitXml(runs, { timestamp: startedAt }));
    } catch (e) {
      io.err(`mtls-probe: --junit ${values.junit} could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).\n`);
      return 2;
    }
    if (!values.json) io.out(`JUnit XML: ${values.junit}\n`);
  }

  if (controller.signal.aborted) {
    io.err('mtls-probe: interrupted\n');
    return 130;
  }
  return counts.failed > 0 || counts.errors > 0 ? 1 : 0;
}

function parseTestArgs(args: string[]) {
  return parseArgs({ args, options, allowPositionals: true, strict: true });
}
