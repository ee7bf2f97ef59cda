// A run as JSON: what `mtls-probe probe --json` prints, what the extension exports, what a saved run is and what
// `mtls-probe report` reads back. It is the probe result's own contract (target, identity, timings, tls, trace,
// http, correlationId, verdict — add fields, never rename) with the verdict as it stands now, plus the run's
// metadata, the probe's own verdict when evidence changed it, the evidence and the expectation. A TLS 1.2 retry
// (`fallback.result`) is a probe result of the same shape. Secret header values are redacted everywhere in it (the
// request's headers in the trace, the response's, server-side records), the retry's too.

import type { ExpectedOutcome } from '../config/types';
import type { EvidenceReport } from '../evidence/types';
import type { ProbeResult, Verdict } from '../probe/types';
import { redactSecrets, resultRedaction, type SecretRedaction } from '../secret-headers';
import type { JudgedAttempt } from '../expectations/evaluate';
import { noCertificate, type CheckRun, type RunEvidence, type RunExpectation } from './check-run';

export const runFormat = 'mtls-probe/run';

export interface RunJson extends ProbeResult {
  /** `secretHeaders`: the names marked secret beyond the defaults (their values are redacted here, as the defaults'). */
  run: { format: typeof runFormat; version: 1; id: string; endpoint: string; identity: string; secretHeaders?: string[]; collectingEvidence?: true };
  /** The probe's own verdict, when evidence confirmed or changed it. */
  probeVerdict?: Verdict;
  evidence?: EvidenceReport & Pick<RunEvidence, 'window' | 'keys' | 'sourceLabel'>;
  /** `judgedAttempt`: "first", "tls12Fallback" (the TLS 1.2 retry, `fallback.result`), or null when the retry asked for was not made. */
  expectation?: { expected: string; outcome: ExpectedOutcome; passed: boolean; message: string; judgedAttempt?: JudgedAttempt | null; got?: string };
}

function expectationJson(e: RunExpectation): NonNullable<RunJson['expectation']> {
  const judged = e.judgedAttempt !== undefined ? { judgedAttempt: e.judgedAttempt } : {};
  return { expected: e.expected, outcome: e.outcome, passed: e.passed, message: e.message, ...judged, ...(e.got !== undefined ? { got: e.got } : {}) };
}

/** The result with every secret header value replaced by its length: its trace, its HTTP answer, its retry's. */
function redactedResult(result: ProbeResult, redaction: SecretRedaction): ProbeResult {
  const { fallback } = result;
  const redacted = <T>(value: T): T => redactSecrets(value, redaction) as T;
  return {
    ...result,
    trace: result.trace.map((event) => (event.detail !== undefined ? { ...event, detail: redacted(event.detail) } : event)),
    http: redacted(result.http),
    verdict: redacted(result.verdict),
    ...(fallback !== undefined ? { fallback: { ...fallback, result: redactedResult(fallback.result, redaction) } } : {}),
  };
}

/**
 * The run with every secret header value replaced by its length — in the probe's result and its retry, the verdict,
 * the evidence records — and the values its requests sent taken out of any other text (an echoing target's body).
 * Every export (JSON, the timeline, OTLP) is made from this.
 */
export function redactedRun(run: CheckRun): CheckRun {
  const redaction = resultRedaction(run.result, run.secretHeaders);
  const redacted = <T>(value: T): T => redactSecrets(value, redaction) as T;
  const result = redactedResult(run.result, redaction);
  const evidence = run.evidence;
  return Object.freeze({
    ...run,
    result,
    // The verdict is usually the probe's own: kept the same object, as currentResult compares them.
    verdict: run.verdict === run.result.verdict ? result.verdict : redacted(run.verdict),
    ...(evidence !== undefined ? { evidence: { ...evidence, report: redacted(evidence.report), keys: redacted(evidence.keys) } } : {}),
    ...(run.expectation !== undefined ? { expectation: redacted(run.expectation) } : {}),
  });
}

export function runJson(run: CheckRun): RunJson {
  const safe = redactedRun(run);
  const evidence = safe.evidence;
  const { result } = safe;
  const secretHeaders = run.secretHeaders !== undefined && run.secretHeaders.length > 0 ? { secretHeaders: [...run.secretHeaders] } : {};
  return {
    ...result,
    verdict: safe.verdict,
    run: { format: runFormat, version: 1, id: run.id, endpoint: run.endpointName, identity: run.identityName, ...secretHeaders, ...(run.collectingEvidence ? { collectingEvidence: true as const } : {}) },
    ...(safe.verdict !== result.verdict ? { probeVerdict: result.verdict } : {}),
    ...(evidence !== undefined ? { evidence: { ...evidence.report, window: evidence.window, keys: evidence.keys, sourceLabel: evidence.sourceLabel } } : {}),
    ...(safe.expectation !== undefined ? { expectation: expectationJson(safe.expectation) } : {}),
  };
}

/**
 * Why a saved file gives no run: it holds none (`not_a_run`, the default: JSON of another shape), it is not JSON
 * (`not_json`), or it could not be read (`file_unreadable`). The latter two carry the parser's or the file
 * system's error as the cause.
 */
export type RunFileErrorCode = 'not_a_run' | 'not_json' | 'file_unreadable';

/** A saved file that is not a run: names the file and what was wrong. */
export class RunFileError extends Error {
  readonly code: RunFileErrorCode;

  constructor(readonly file: string, message: string, options: ErrorOptions & { code?: RunFileErrorCode } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'RunFileError';
    this.code = options.code ?? 'not_a_run';
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const probeResultKeys: Array<[string, string]> = [
  ['target', 'object'],
  ['timings', 'object'],
  ['tls', 'object'],
  ['trace', 'array'],
  ['verdict', 'object'],
  ['correlationId', 'string'],
  ['startedAt', 'string'],
];

function checkProbeResult(value: Json, file: string, where: string): void {
  for (const [key, type] of probeResultKeys) {
    const v = value[key];
    const ok = type === 'array' ? Array.isArray(v) : type === 'object' ? isObject(v) : typeof v === type;
    if (!ok) throw new RunFileError(file, `${file}: ${where} has no ${key} (${type}), so it is not a probe result: give a file written by mtls-probe probe --json or an exported run.`);
  }
  const target = value.target as Json;
  if (typeof target.url !== 'string') throw new RunFileError(file, `${file}: ${where}.target.url is missing.`);
  const verdict = value.verdict as Json;
  if (typeof verdict.reason !== 'string' || typeof verdict.summary !== 'string') throw new RunFileError(file, `${file}: ${where}.verdict needs a reason and a summary.`);
  if (Number.isNaN(Date.parse(value.startedAt as string))) throw new RunFileError(file, `${file}: ${where}.startedAt is not a time.`);
  for (const [i, event] of (value.trace as unknown[]).entries()) {
    if (!isObject(event) || typeof event.t !== 'number' || typeof event.event !== 'string' || typeof event.layer !== 'string') {
      throw new RunFileError(file, `${file}: ${where}.trace[${i}] is not a trace event ({t, dir, layer, event, detail}).`);
    }
  }
  // A TLS 1.2 retry is a probe result too; it never has one of its own.
  if (value.fallback !== undefined) {
    const fallback = value.fallback;
    if (!isObject(fallback) || typeof fallback.reason !== 'string' || !isObject(fallback.result)) throw new RunFileError(file, `${file}: ${where}.fallback is not a retry ({reason, tlsMaxVersion, result}).`);
    if (fallback.result.fallback !== undefined) throw new RunFileError(file, `${file}: ${where}.fallback.result has a fallback of its own; a retry is never retried.`);
    checkProbeResult(fallback.result, file, `${where}.fallback.result`);
  }
}

function runFromJsonObject(value: Json, file: string, where: string, index: number): CheckRun {
  checkProbeResult(value, file, where);
  const meta = isObject(value.run) ? value.run : undefined;
  const { run: _run, probeVerdict, evidence, expectation, ...rest } = value;
  const result = { ...(rest as unknown as ProbeResult), verdict: (isObject(probeVerdict) ? probeVerdict : value.verdict) as unknown as Verdict };
  const identity = isObject(result.identity) && typeof result.identity.label === 'string' ? result.identity.label : noCertificate;
  const run: CheckRun = {
    id: typeof meta?.id === 'string' ? meta.id : `${result.correlationId.replace(/^Root=/, '')}-${index}`,
    endpointName: typeof meta?.endpoint === 'string' ? meta.endpoint : result.target.url,
    identityName: typeof meta?.identity === 'string' ? meta.identity : identity,
    startedAt: result.startedAt,
    result,
    verdict: value.verdict as unknown as Verdict,
    collectingEvidence: false,
    ...(Array.isArray(meta?.secretHeaders) ? { secretHeaders: meta.secretHeaders.filter((n): n is string => typeof n === 'string') } : {}),
    ...(isObject(evidence) && Array.isArray(evidence.events) ? { evidence: evidenceFromJson(evidence) } : {}),
    ...(isObject(expectation) && typeof expectation.passed === 'boolean' && isObject(expectation.outcome) ? { expectation: expectationFromJson(expectation) } : {}),
  };
  return Object.freeze(run);
}

const judgedAttempts: readonly unknown[] = ['first', 'tls12Fallback', null];

function expectationFromJson(expectation: Json): RunExpectation {
  const { judgedAttempt, got } = expectation;
  return {
    outcome: expectation.outcome as unknown as ExpectedOutcome,
    expected: textOf(expectation.expected),
    passed: expectation.passed === true,
    message: textOf(expectation.message ?? ''),
    ...(judgedAttempts.includes(judgedAttempt) ? { judgedAttempt: judgedAttempt as JudgedAttempt | null } : {}),
    ...(typeof got === 'string' ? { got } : {}),
  };
}

function evidenceFromJson(evidence: Json): RunEvidence {
  const { window, keys, sourceLabel, ...report } = evidence;
  const w = isObject(window) && typeof window.from === 'string' && typeof window.to === 'string' ? { from: window.from, to: window.to } : { from: '', to: '' };
  const stats = isObject(report.stats) ? report.stats : { files: 0, lines: 0, skippedLines: 0 };
  return {
    report: { ...(report as unknown as EvidenceReport), stats: stats as unknown as EvidenceReport['stats'], problems: Array.isArray(report.problems) ? (report.problems as EvidenceReport['problems']) : [] },
    window: w,
    keys: isObject(keys) ? keys : {},
    sourceLabel: typeof sourceLabel === 'string' ? sourceLabel : 'evidence',
  };
}

/** A value as text without calling anything of it: String() on a parsed object runs its own "toString" key, if any. */
function textOf(value: unknown): string {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** How deep runs may sit in a document: a few levels in every format written; thousands would exhaust the stack. */
const maxDocumentDepth = 16;

/**
 * The runs in a saved JSON document: a run or probe result (`probe --json`), `{ result }` rows (`matrix --json`),
 * `{ results: [{ run }] }` (`demo --json`), `{ runs: [{ result }] }` (`test --json`), or an array of any of them.
 */
export function runsFromJson(value: unknown, file: string): CheckRun[] {
  const runs: CheckRun[] = [];
  const visit = (item: unknown, where: string, depth = 0): void => {
    if (depth > maxDocumentDepth) throw new RunFileError(file, `${file}: ${where} is nested more than ${maxDocumentDepth} levels deep: give a file written by mtls-probe probe --json or an exported run.`);
    if (Array.isArray(item)) {
      item.forEach((entry, i) => visit(entry, `${where}[${i}]`, depth + 1));
      return;
    }
    if (!isObject(item)) throw new RunFileError(file, `${file}: ${where} is not an object: give a file written by mtls-probe probe --json or an exported run.`);
    if (Array.isArray(item.results)) return visit(item.results, `${where}.results`, depth + 1);
    if (Array.isArray(item.runs)) return visit(item.runs, `${where}.runs`, depth + 1);
    if (isObject(item.result) && !('trace' in item)) return visit(item.result, `${where}.result`, depth + 1);
    if (isObject(item.run) && !('trace' in item)) return visit(item.run, `${where}.run`, depth + 1);
    if (item.result === null) return; // a check that could not run (test --json): nothing to draw
    runs.push(runFromJsonObject(item, file, where, runs.length));
  };
  visit(value, 'the document');
  if (runs.length === 0) throw new RunFileError(file, `${file} holds no probe result.`);
  return runs;
}
