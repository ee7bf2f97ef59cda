import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { correlationKeysFor, describeEvidence, evidenceWindow, upgradeVerdict } from '../../core/evidence/correlate';
import { LocalLogSource } from '../../core/evidence/local/local-logs';
import type { CorrelationKeys, EvidenceReport, TimeWindow } from '../../core/evidence/types';
import { ProbeAbortedError } from '../../core/probe/probe';
import type { ProbeResult, Verdict } from '../../core/probe/types';
import { formatSummary, formatTrace, type CurlStyleOptions } from '../../core/report/curl-style';
import type { CommandIo } from './command-io';

// `mtls-probe evidence` and the `probe --evidence` path: server-side log files matched to one probe. This module
// (and the log readers it pulls in) loads only when evidence is asked for.

const usage = `Usage:
  mtls-probe evidence --since ISO --until ISO [--correlation-id ID] [--client-ip IP] [--client-port N] [--serial HEX] [--json] PATH...

Finds the records of one probe in ALB connection logs, ALB access logs, AWS WAF JSON logs and ModSecurity JSON
audit logs (plain or .gz; a folder is read recursively), between --since and --until, matched by any of the keys:

  --correlation-id ID    the X-Amzn-Trace-Id the probe sent (Root=1-<8 hex>-<24 hex>)
  --client-ip IP         the probe's source address as the server saw it
  --client-port N        the probe's source port (matched together with --client-ip)
  --serial HEX           the client certificate's serial (ALB's form: hex, separators ignored)
  --json                 print one JSON object: window, keys, events, stats, problems

Exit status: 0 when the logs were read (whatever matched), 2 for bad arguments or unreadable input.
`;

/** The X-Amzn-Trace-Id a probe sends, as ALB and WAF log it. */
const traceIdPattern = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/i;

/** A problem with the command line or an input path, printed as one line (exit status 2). */
export class EvidenceInputError extends Error {}

export function parseCorrelationId(value: string, flag = '--correlation-id'): string {
  const id = value.startsWith('Root=') ? value : `Root=${value}`;
  if (!traceIdPattern.test(id)) throw new EvidenceInputError(`${flag} takes an X-Amzn-Trace-Id like Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca (8 and 24 hex digits), not "${value}".`);
  return id;
}

/** Each path must exist and be readable before anything runs: a probe must not be wasted on a typo. */
export async function checkEvidencePaths(paths: string[]): Promise<void> {
  for (const path of paths) {
    try {
      await stat(path);
      await access(path, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const fix = code === 'ENOENT' ? 'give an existing log file or folder' : 'check its permissions';
      throw new EvidenceInputError(`${path} cannot be read (${code ?? (error as Error).message}): ${fix}.`);
    }
  }
}

export interface ProbeEvidence {
  verdict: Verdict;
  report: EvidenceReport;
  window: TimeWindow;
  keys: CorrelationKeys;
}

/** Reads the logs for this probe's window and keys and upgrades its verdict with what they say. */
export async function collectProbeEvidence(result: ProbeResult, paths: string[], signal?: AbortSignal): Promise<ProbeEvidence> {
  const window = evidenceWindow(result);
  const keys = correlationKeysFor(result);
  let report: EvidenceReport;
  try {
    report = await new LocalLogSource(paths).collect(window, keys, signal ? { signal } : {});
  } catch (error) {
    // Ctrl-C while reading logs ends the run like Ctrl-C during the probe (exit 130), not as an internal error.
    if (signal?.aborted) throw new ProbeAbortedError();
    throw error;
  }
  return { verdict: upgradeVerdict(result, report.events), report, window, keys };
}

/** The curl-style report with the evidence lines just before the verdict, and the verdict's confidence on its line. */
export function formatProbeReportWithEvidence(result: ProbeResult, evidence: ProbeEvidence, options: CurlStyleOptions = {}): string {
  const upgraded = { ...result, verdict: evidence.verdict };
  const summary = formatSummary(upgraded);
  const confidence = evidence.verdict.confidence === 'confirmed' ? ' (confirmed by server-side evidence)' : ' (from the probe alone: no server-side record confirms it)';
  const at = summary.findIndex((line) => line.startsWith('Verdict: '));
  const evidenceLines = [...describeEvidence(evidence.report.events, evidence.report, { used: evidence.verdict.evidence }), ''];
  if (at >= 0) {
    summary[at] = `${summary[at]}${confidence}`;
    // formatSummary leaves a blank line before the verdict: the evidence goes right after it.
    summary.splice(at, 0, ...evidenceLines);
  } else summary.push('', ...evidenceLines);
  return [...formatTrace(upgraded, options), ...summary].join('\n');
}

/** The JSON result with the upgraded verdict and what the logs gave. */
export function probeResultWithEvidence(result: ProbeResult, evidence: ProbeEvidence): ProbeResult & { evidence: EvidenceReport } {
  return { ...result, verdict: evidence.verdict, evidence: evidence.report };
}

function parseTime(value: string | undefined, flag: string): Date {
  if (value === undefined) throw new EvidenceInputError(`${flag} is required (an ISO 8601 time such as 2024-05-01T10:00:00Z).`);
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) throw new EvidenceInputError(`${flag} takes an ISO 8601 time such as 2024-05-01T10:00:00Z, not "${value}".`);
  return new Date(t);
}

function keysFrom(values: ReturnType<typeof parseEvidenceArgs>['values']): CorrelationKeys {
  const keys: CorrelationKeys = {};
  if (values['correlation-id'] !== undefined) keys.traceId = parseCorrelationId(values['correlation-id']);
  if (values['client-ip'] !== undefined) keys.clientIp = values['client-ip'];
  if (values['client-port'] !== undefined) {
    const port = Number(values['client-port']);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new EvidenceInputError(`--client-port takes a port number (1-65535), not "${values['client-port']}".`);
    keys.clientPort = port;
  }
  if (values.serial !== undefined) {
    const serial = values.serial.replace(/[:\s]/g, '').toUpperCase();
    if (!/^[0-9A-F]+$/.test(serial)) throw new EvidenceInputError(`--serial takes the certificate serial in hex (e.g. 0A1B2C), not "${values.serial}".`);
    keys.clientCertSerial = serial;
  }
  return keys;
}

/** `evidence …` (args exclude the word "evidence"). Returns the exit status. */
export async function runEvidenceCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseEvidenceArgs>;
  try {
    parsed = parseEvidenceArgs(args);
  } catch (error) {
    // parseArgs appends a paragraph about '--' to unknown options: its first sentence is the useful part.
    const firstSentence = (error as Error).message.split(/\.(?:\s|$)/)[0];
    io.err(`mtls-probe: ${firstSentence}. See mtls-probe evidence --help.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(usage);
    return 0;
  }
  let window: TimeWindow;
  let keys: CorrelationKeys;
  try {
    window = { from: parseTime(values.since, '--since'), to: parseTime(values.until, '--until') };
    if (window.from > window.to) throw new EvidenceInputError(`--since (${values.since}) is after --until (${values.until}): swap them.`);
    keys = keysFrom(values);
    if (Object.keys(keys).length === 0) throw new EvidenceInputError('evidence needs at least one key to match records by: --correlation-id, --client-ip (with --client-port) or --serial.');
    if (positionals.length === 0) throw new EvidenceInputError('evidence needs at least one log file or folder (PATH). See mtls-probe evidence --help.');
    await checkEvidencePaths(positionals);
  } catch (error) {
    if (error instanceof EvidenceInputError) {
      io.err(`mtls-probe: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const report = await new LocalLogSource(positionals).collect(window, keys);
  if (report.stats.files === 0 && report.problems.length > 0) {
    io.err(`mtls-probe: no log could be read: ${report.problems.map((p) => p.message).join('; ')}. Give ALB connection/access logs, AWS WAF JSON logs or ModSecurity JSON audit logs.\n`);
    return 2;
  }
  if (values.json) {
    io.out(`${JSON.stringify({ window: { from: window.from.toISOString(), to: window.to.toISOString() }, keys, ...report })}\n`);
    return 0;
  }
  const keyWords = Object.entries(keys).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  const lines = [
    `Window: ${window.from.toISOString()} to ${window.to.toISOString()}`,
    `Keys: ${keyWords}`,
    ...describeEvidence(report.events, report),
  ];
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

function parseEvidenceArgs(args: string[]) {
  return parseArgs({
    args,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      'correlation-id': { type: 'string' },
      'client-ip': { type: 'string' },
      'client-port': { type: 'string' },
      serial: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}
