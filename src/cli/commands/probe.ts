import { writeFile } from 'node:fs/promises';
import { IdentityError } from '../../core/identity/identity-error';
import { loadPemIdentity, loadPfxIdentity, type ClientIdentity } from '../../core/identity/client-identity';
import { subscribeEvents } from '../../core/events';
import { eventLine } from '../../core/events-text';
import { ProbeInputError } from '../../core/probe/probe';
import { formatProbeReport } from '../../core/report/curl-style';
import { currentResult, type CheckRun } from '../../core/runs/check-run';
import { runJson } from '../../core/runs/run-json';
import { runCheck } from '../../core/runs/run-service';
import { awsFlagNames } from '../aws-flags';
import { parseCorrelationId, passphraseFrom, secretHeaderNames, writeOutputFile } from '../arguments';
import { BadArgumentError, InterruptedError, UnwritableFileError, reasonOf } from '../errors';
import type { probeOptions } from '../definitions/probe';
import { matrixOnlyOptions } from '../probe-flags';
import { probeOptionsFrom, readCaFlag, refuseOptionsOf } from '../probe-flag-values';
import type { CommandContext, CommandIo, CommandRunner, OptionValues } from '../shell';

// `mtls-probe probe URL`: one traced attempt, printed like curl -v, then the verdict; with --evidence, the
// server-side records that confirm it. Its words, help and options: definitions/probe.ts.

type ProbeValues = OptionValues<typeof probeOptions>;

async function identityFromFlags(values: ProbeValues): Promise<ClientIdentity | null> {
  const passphrase = passphraseFrom(values['pass-env']);
  const pass = passphrase !== undefined ? { passphrase } : {};
  if (values.pfx !== undefined) {
    if (values.cert !== undefined || values.key !== undefined) throw new BadArgumentError('Give either --pfx or --cert/--key, not both.');
    return loadPfxIdentity({ pfxFile: values.pfx, ...pass });
  }
  if (values.key !== undefined && values.cert === undefined) throw new BadArgumentError('--key needs --cert.');
  if (values.cert === undefined) return null;
  return loadPemIdentity({ certFile: values.cert, ...(values.key !== undefined ? { keyFile: values.key } : {}), ...pass });
}

/** --report and --otlp: the run's files beside the terminal output; where they went is said for a person. */
async function writeExports(run: CheckRun, values: ProbeValues, io: CommandIo): Promise<void> {
  const exports = [
    { file: values.report, format: 'html', flag: '--report', what: 'timeline report' },
    { file: values.otlp, format: 'otlp', flag: '--otlp', what: 'OpenTelemetry trace' },
  ] as const;
  if (exports.every((e) => e.file === undefined)) return;
  const { exportRuns } = await import('../../core/report/run-exports');
  for (const { file, format, flag, what } of exports) {
    if (file === undefined) continue;
    await writeOutputFile(file, await exportRuns([run], format), flag);
    if (!values.json) io.err(`mtls-probe: ${what} written to ${file}\n`);
  }
}

async function appendKeyLog(file: string | undefined, keyLog: string): Promise<void> {
  if (file === undefined || keyLog.length === 0) return;
  try {
    await writeFile(file, keyLog, { flag: 'a', mode: 0o600 });
  } catch (e) {
    throw new UnwritableFileError(`--keylog ${file} could not be written (${reasonOf(e)}).`, { cause: e });
  }
}

function checkArguments(values: ProbeValues, positionals: string[], io: CommandIo): string {
  if (values.demo) throw new BadArgumentError('the demo is its own command now: mtls-probe demo (or npm run demo).');
  if (positionals.length !== 1) throw new BadArgumentError(`probe takes one URL${positionals.length > 1 ? `, not ${positionals.length} (several: mtls-probe matrix)` : ''}. See mtls-probe probe --help.`);
  refuseOptionsOf(values, matrixOnlyOptions, 'probe');
  // Secret values may be shown to a person, never handed to a pipe, a file or a CI log that keeps them.
  if (values['show-secret-headers'] && io.outIsTerminal !== true) {
    throw new BadArgumentError('--show-secret-headers shows secret header values on a terminal only, and stdout is not one (a pipe, a file or a CI log would keep them): leave it out.');
  }
  return positionals[0]!;
}

function line(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** The probe, its evidence when asked for, and the output; the exit status. */
async function probeAndReport(url: string, values: ProbeValues, { io, signal }: CommandContext): Promise<number> {
  const correlationId = values['correlation-id'] === undefined ? undefined : parseCorrelationId(values['correlation-id']);
  // The log readers (and the AWS SDK) load only when asked for: a plain probe starts as fast as before.
  const wantsEvidence = values.evidence !== undefined || awsFlagNames.some((flag) => values[flag] !== undefined);
  const evidence = wantsEvidence ? await import('./evidence') : undefined;
  const evidenceOptions = await evidence?.probeEvidenceOptions(values, url, signal, values.json ? undefined : (message) => io.err(`mtls-probe: ${message}\n`));
  const secretHeaders = secretHeaderNames(values['secret-header']);
  const identity = await identityFromFlags(values);
  const ca = await readCaFlag(values.cacert);
  let keyLog = '';
  const run = await runCheck({ kind: 'url', name: url, options: probeOptionsFrom(values, url, ca), secretHeaders }, identity, {
    signal,
    ...(correlationId !== undefined ? { correlationId } : {}),
    onKeyLog: (k) => (keyLog += k),
    ...(evidenceOptions !== undefined ? { evidence: evidenceOptions } : {}),
  });
  // Ctrl-C while reading logs ends the run like Ctrl-C during the probe.
  if (signal.aborted) throw new InterruptedError();
  await appendKeyLog(values.keylog, keyLog);
  await writeExports(run, values, io);
  // The terminal trace: secret header values redacted unless the person at this terminal asked for them (checked above).
  const text = { timestamps: !values['no-timestamps'], ...(run.secretHeaders !== undefined ? { secretHeaders: run.secretHeaders } : {}), ...(values['show-secret-headers'] ? { showSecretHeaders: true } : {}) };
  if (values.json) io.out(line(JSON.stringify(runJson(run))));
  else if (evidence !== undefined && evidenceOptions !== undefined && run.evidence !== undefined) {
    io.out(line(evidence.formatRunReportWithEvidence(run, text)));
    const hint = evidence.lookAgainHint(run.evidence, evidenceOptions.request);
    if (hint !== null) io.out(line(`\n${hint}`));
  } else io.out(line(formatProbeReport(currentResult(run), text)));
  return 0;
}

/**
 * --verbose: the progress events the probe and the evidence sources publish (src/core/events.ts), one line each on
 * stderr, heard until the command ends however it ends.
 */
async function verbosely<T>(io: CommandIo, work: () => Promise<T>): Promise<T> {
  const unsubscribe = subscribeEvents((event) => io.err(`mtls-probe: ${eventLine(event).text}\n`));
  try {
    return await work();
  } finally {
    unsubscribe();
  }
}

export const probeRunner: CommandRunner<typeof probeOptions> = {
  inputErrors: [IdentityError, ProbeInputError],
  async run(values, positionals, context) {
    const url = checkArguments(values, positionals, context.io);
    return values.verbose ? verbosely(context.io, () => probeAndReport(url, values, context)) : probeAndReport(url, values, context);
  },
};
