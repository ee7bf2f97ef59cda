import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { checkAwsSetting, type AwsSettingName } from '../../core/config/aws-settings';
import type { AwsEndpointSettings } from '../../core/config/types';
import type { EvidenceRequest } from '../../core/evidence/collect';
import { describeEvidence } from '../../core/evidence/correlate';
import type { CorrelationKeys, TimeWindow } from '../../core/evidence/types';
import { formatSummary, formatTrace, redactLines, textRedaction, type CurlStyleOptions } from '../../core/report/curl-style';
import { shellQuote } from '../../core/report/reproduce-commands';
import { currentResult, type CheckRun, type RunEvidence } from '../../core/runs/check-run';
import type { RunEvidenceOptions } from '../../core/runs/run-service';
import { runEvidenceLines } from '../../core/runs/run-text';
import { awsFlagNames, awsFlags, awsGroupSettingsFromFlags, awsSettingsAsFlags, awsWhereFlags, type AwsFlag } from '../aws-flags';
import { parseCorrelationId, portNumber, secretHeaderNames } from '../arguments';
import { redactSecrets } from '../../core/secret-headers';
import { BadArgumentError, BadInputError, InterruptedError, UnreadableFileError, reasonOf } from '../errors';
import type { evidenceOptions } from '../definitions/evidence';
import type { CommandRunner, OptionValues } from '../shell';

// `mtls-probe evidence` and the `probe --evidence` path: server-side records matched to one probe, from log
// files and from AWS. This module (and the log readers it pulls in) loads only when evidence is asked for; the
// AWS SDK only when AWS is.

/** Each path must exist and be readable before anything runs: a probe must not be wasted on a typo. */
async function checkEvidencePaths(paths: string[]): Promise<void> {
  for (const path of paths) {
    try {
      await stat(path);
      await access(path, constants.R_OK);
    } catch (error) {
      const fix = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'give an existing log file or folder' : 'check its permissions';
      throw new UnreadableFileError(`${path} cannot be read (${reasonOf(error)}): ${fix}.`, { cause: error });
    }
  }
}

/** `--evidence` values: the word `aws` and log paths. */
function splitEvidenceTargets(targets: readonly string[]): { logs: string[]; aws: boolean } {
  return { logs: targets.filter((t) => t !== 'aws'), aws: targets.includes('aws') };
}

type AwsFlagValues = Partial<Record<AwsFlag, string | undefined>>;

/** The endpoint's AWS settings from the flags, each checked like the workspace config checks it. */
function awsSettingsFromFlags(values: AwsFlagValues): AwsEndpointSettings {
  const settings: AwsEndpointSettings = {};
  for (const [flag, name] of Object.entries(awsFlags) as Array<[keyof typeof awsFlags, AwsSettingName]>) {
    const value = values[flag];
    if (value === undefined) continue;
    const problem = checkAwsSetting(name, value);
    if (problem !== null) throw new BadArgumentError(`--${flag}: ${problem}`);
    settings[name] = value;
  }
  Object.assign(
    settings,
    awsGroupSettingsFromFlags(values, (message) => {
      throw new BadArgumentError(message);
    }),
  );
  if (!awsWhereFlags.some((flag) => values[flag as AwsFlag] !== undefined)) {
    throw new BadArgumentError(`AWS evidence needs to know where to look: give at least one of ${awsWhereFlags.map((flag) => `--${flag}`).join(', ')}.`);
  }
  return settings;
}

/** AWS flags without "aws" among the evidence targets are a mistake worth naming. */
function checkAwsFlagsUsed(values: AwsFlagValues, aws: boolean, where: string): void {
  const given = awsFlagNames.filter((flag) => values[flag] !== undefined);
  if (!aws && given.length > 0) throw new BadArgumentError(`--${given[0]} is for AWS evidence: add ${where}.`);
}

/** `10m`, `90s`, `1500ms`, or plain seconds; at most an hour. */
export function parseWait(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  const ms = match === null ? NaN : Number(match[1]) * ({ ms: 1, s: 1000, m: 60_000 } as const)[(match[2] ?? 's') as 'ms' | 's' | 'm'];
  if (!Number.isFinite(ms) || ms > 3_600_000) throw new BadArgumentError(`--wait takes a duration up to 60m such as 10m, 90s or 1500ms, not "${value}".`);
  return ms;
}

type ProbeEvidenceFlags = AwsFlagValues & { evidence?: string[] | undefined };

/**
 * How `probe --evidence …` collects, from its flags: each one checked before the probe, so a typo costs no probe.
 * `onWaiting`: a line each time it waits for AWS.
 */
export async function probeEvidenceOptions(values: ProbeEvidenceFlags, url: string, signal: AbortSignal, onWaiting?: (message: string) => void): Promise<RunEvidenceOptions & { request: EvidenceRequest }> {
  const targets = splitEvidenceTargets(values.evidence ?? []);
  checkAwsFlagsUsed(values, targets.aws, '--evidence aws');
  await checkEvidencePaths(targets.logs);
  const port = URL.canParse(url) ? Number(new URL(url).port || 443) : undefined;
  const request: EvidenceRequest = { logs: targets.logs, ...(targets.aws ? { aws: awsSettingsFromFlags(values) } : {}), ...(port !== undefined ? { port } : {}) };
  const waitMs = parseWait(values.wait);
  return { request, signal, ...(waitMs !== undefined ? { waitUntil: new Date(Date.now() + waitMs) } : {}), ...(onWaiting !== undefined ? { onWaiting } : {}) };
}

/** When AWS has not delivered everything yet: the command that looks again later. */
export function lookAgainHint(evidence: RunEvidence, request: EvidenceRequest): string | null {
  const pending = (evidence.report.coverage ?? []).filter((c) => c.state === 'not-yet-available');
  if (pending.length === 0 || request.aws === undefined) return null;
  const flags = awsSettingsAsFlags(request.aws).map(([flag, value]) => `--${flag} ${shellQuote(value)}`);
  const keys = evidence.keys;
  const keyFlags = [
    keys.traceId !== undefined ? `--correlation-id ${shellQuote(keys.traceId)}` : null,
    // Connection-log records carry no trace id: the address and port are what tie the probe's connection to it.
    keys.clientIp !== undefined ? `--client-ip ${shellQuote(keys.clientIp)}` : null,
    keys.clientPort !== undefined ? `--client-port ${keys.clientPort}` : null,
    keys.clientCertSerial !== undefined ? `--serial ${keys.clientCertSerial}` : null,
    keys.probeTime !== undefined ? `--probe-time ${keys.probeTime.from}/${keys.probeTime.to}` : null,
  ].filter((f): f is string => f !== null);
  const latest = pending.map((c) => c.expectedBy ?? '').sort().at(-1) ?? '';
  return (
    `Not yet delivered by AWS: ${pending.map((c) => c.evidence).join(', ')}${latest !== '' ? ` (expected by ${latest.slice(11, 19)} UTC)` : ''}. Look again then with:\n` +
    `  mtls-probe evidence --since ${evidence.window.from} --until ${evidence.window.to} ${keyFlags.join(' ')} aws ${flags.join(' ')}\n` +
    '  (or probe with --wait 10m to wait for it).'
  );
}

/** The curl-style report with the evidence lines just before the verdict, and the verdict's confidence on its line. */
export function formatRunReportWithEvidence(run: CheckRun, options: CurlStyleOptions = {}): string {
  const upgraded = currentResult(run);
  const redaction = textRedaction(upgraded, { ...options, secretHeaders: options.secretHeaders ?? run.secretHeaders ?? [] });
  const summary = formatSummary(upgraded, options, redaction);
  const confidence = run.verdict.confidence === 'confirmed' ? ' (confirmed by server-side evidence)' : ' (from the probe alone: no server-side record confirms it)';
  const at = summary.findIndex((line) => line.startsWith('Verdict: '));
  const evidenceLines = [...redactLines(runEvidenceLines(run), redaction), ''];
  if (at >= 0) {
    summary[at] = `${summary[at]}${confidence}`;
    // formatSummary leaves a blank line before the verdict: the evidence goes right after it.
    summary.splice(at, 0, ...evidenceLines);
  } else summary.push('', ...evidenceLines);
  return [...formatTrace(upgraded, options, redaction), ...summary].join('\n');
}

type EvidenceValues = OptionValues<typeof evidenceOptions>;

function parseTime(value: string | undefined, flag: string): Date {
  if (value === undefined) throw new BadArgumentError(`${flag} is required (an ISO 8601 time such as 2024-05-01T10:00:00Z).`);
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) throw new BadArgumentError(`${flag} takes an ISO 8601 time such as 2024-05-01T10:00:00Z, not "${value}".`);
  return new Date(t);
}

function keysFrom(values: EvidenceValues): CorrelationKeys {
  const keys: CorrelationKeys = {};
  if (values['correlation-id'] !== undefined) keys.traceId = parseCorrelationId(values['correlation-id']);
  if (values['client-ip'] !== undefined) keys.clientIp = values['client-ip'];
  const clientPort = portNumber(values['client-port'], '--client-port');
  if (clientPort !== undefined) keys.clientPort = clientPort;
  if (values.serial !== undefined) {
    const serial = values.serial.replace(/[:\s]/g, '').toUpperCase();
    if (!/^[0-9A-F]+$/.test(serial)) throw new BadArgumentError(`--serial takes the certificate serial in hex (e.g. 0A1B2C), not "${values.serial}".`);
    keys.clientCertSerial = serial;
  }
  if (values['probe-time'] !== undefined) {
    const [from, to = from] = values['probe-time'].split('/');
    const fromTime = parseTime(from, '--probe-time');
    const toTime = parseTime(to, '--probe-time');
    if (fromTime > toTime) throw new BadArgumentError(`--probe-time ${values['probe-time']}: the start is after the end.`);
    keys.probeTime = { from: fromTime.toISOString(), to: toTime.toISOString() };
  }
  return keys;
}

/** The window, the keys and where to look, each checked before anything is read. */
async function searchFrom(values: EvidenceValues, positionals: string[]): Promise<{ window: TimeWindow; keys: CorrelationKeys; request: EvidenceRequest; waitMs: number | undefined }> {
  const window = { from: parseTime(values.since, '--since'), to: parseTime(values.until, '--until') };
  if (window.from > window.to) throw new BadArgumentError(`--since (${values.since}) is after --until (${values.until}): swap them.`);
  const keys = keysFrom(values);
  if (Object.keys(keys).length === 0) throw new BadArgumentError('evidence needs at least one key to match records by: --correlation-id, --client-ip (with --client-port), --serial or --probe-time.');
  if (positionals.length === 0) throw new BadArgumentError('evidence needs at least one log file or folder (PATH), or "aws". See mtls-probe evidence --help.');
  const targets = splitEvidenceTargets(positionals);
  checkAwsFlagsUsed(values, targets.aws, '"aws" to the paths');
  await checkEvidencePaths(targets.logs);
  const request = { logs: targets.logs, ...(targets.aws ? { aws: awsSettingsFromFlags(values) } : {}) };
  return { window, keys, request, waitMs: parseWait(values.wait) };
}

export const evidenceRunner: CommandRunner<typeof evidenceOptions> = {
  async run(values, positionals, { io, signal }) {
    const { window, keys, request, waitMs } = await searchFrom(values, positionals);
    const secretHeaders = secretHeaderNames(values['secret-header']);
    // Imported here, not with the module: the probe command's bundle carries this module for --evidence, and the
    // collection is a chunk of its own (dist/cli/collect.js) that run-service loads as well, so it loads once.
    const { collectEvidence } = await import('../../core/evidence/collect');
    const collected = await collectEvidence(request, window, keys, {
      signal,
      // The probe ended somewhere in the window: metrics cover all of it, and what AWS delivers late is
      // expected after its end (the default, the window's start, asks CloudWatch for its first minute only).
      probeEndedAt: window.to,
      ...(waitMs !== undefined ? { waitUntil: new Date(Date.now() + waitMs) } : {}),
      onWaiting: (message) => io.err(`mtls-probe: ${message}\n`),
    });
    if (signal.aborted) throw new InterruptedError();
    // Records carry request headers (WAF logs, ModSecurity): their secret values never reach the output.
    const report = redactSecrets(collected.report, secretHeaders) as typeof collected.report;
    const { sourceLabel } = collected;
    if (request.aws === undefined && report.stats.files === 0 && report.problems.length > 0) {
      throw new BadInputError(`no log could be read: ${report.problems.map((p) => p.message).join('; ')}. Give ALB connection/access logs, CloudFront connection logs, AWS WAF JSON logs or ModSecurity JSON audit logs.`);
    }
    if (values.json) {
      io.out(`${JSON.stringify({ window: { from: window.from.toISOString(), to: window.to.toISOString() }, keys, ...report })}\n`);
      return 0;
    }
    const keyWords = Object.entries(keys).map(([k, v]) => `${k}=${String(v)}`).join(', ');
    const lines = [`Window: ${window.from.toISOString()} to ${window.to.toISOString()}`, `Keys: ${keyWords}`, ...describeEvidence(report.events, report, { sourceLabel })];
    io.out(`${lines.join('\n')}\n`);
    // Every AWS lookup failed (credentials, network): as unreadable input, so a script notices.
    const coverage = report.coverage ?? [];
    const failed = coverage.find((c) => c.state === 'failed');
    const nothingRead = report.stats.files === 0 && (report.context ?? []).length === 0 && failed !== undefined && coverage.every((c) => c.state === 'failed' || c.state === 'not-configured');
    if (nothingRead) io.err(`mtls-probe: no AWS evidence could be read: ${failed.detail}\n`);
    return nothingRead ? 2 : 0;
  },
};
