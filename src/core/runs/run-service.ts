// The one way a check runs, for the CLI (passphrases from the environment, output to a terminal) and the extension
// (SecretStorage, the trust gate, views that update live): load the identity, probe, judge the expectation, then
// collect the server-side evidence and upgrade the verdict, announcing each step as a new immutable run.

import { probeOptionsFor } from '../config/probe-options';
import { describeExpectedOutcome, judgeExpectation } from '../expectations/evaluate';
import type { EndpointConfig, ExpectedOutcome, IdentityConfig } from '../config/types';
import type { EvidenceRequest, ProbeEvidence } from '../evidence/collect';
import type { ClientIdentity } from '../identity/client-identity';
import { ProbeAbortedError, probe } from '../probe/probe';
import type { ProbeOptions, ProbePhase, ProbeResult, Verdict } from '../probe/types';
import { extraSecretHeaders } from '../secret-headers';
import { currentResult, newRunId, noCertificate, type CheckRun, type RunExpectation, type RunUpdate } from './check-run';
import { loadIdentityWith, noPassphrases, type PassphraseSource } from './identity-loading';

/** What to probe: an endpoint of the workspace config, or a URL with options given directly (CLI flags, the demo). */
export type CheckTarget =
  | { kind: 'endpoint'; endpoint: EndpointConfig }
  | { kind: 'url'; name: string; options: Omit<ProbeOptions, 'identity' | 'signal' | 'correlationId'>; secretHeaders?: readonly string[] };

/** Who probes: a configured identity (loaded here, asking for its passphrase), one already loaded, or none. */
export type CheckIdentity = IdentityConfig | ClientIdentity | null;

export interface RunEvidenceOptions {
  /** Where to look; default: the endpoint's `logs` and `aws` settings. */
  request?: EvidenceRequest;
  /** Keep looking for late AWS evidence until then. Absent: one look. */
  waitUntil?: Date;
  /** Stops evidence collection only (the probe has ended by then); the run keeps what had arrived. */
  signal?: AbortSignal;
  onProgress?(message: string): void;
  onWaiting?(message: string): void;
}

export interface RunCheckOptions {
  /** Default: a fresh id. */
  id?: string;
  passphrases?: PassphraseSource;
  /** Collect server-side evidence after the probe. Absent: none. */
  evidence?: RunEvidenceOptions;
  expected?: ExpectedOutcome;
  signal?: AbortSignal;
  correlationId?: string;
  /** The run after each step: probed, evidence looked at, verdict changed, collection done. */
  onUpdate?(update: RunUpdate): void;
  /** The session's TLS secrets, for --keylog (never part of the run). */
  onKeyLog?(keyLog: string): void;
  /** Each probe phase as it begins (DNS, TCP connect, TLS handshake, HTTP). */
  onPhase?(phase: ProbePhase): void;
}

/** The evidence an endpoint's settings name, or null when it names none. */
export function endpointEvidenceRequest(endpoint: EndpointConfig): EvidenceRequest | null {
  if (endpoint.logs === undefined && endpoint.aws === undefined) return null;
  const port = URL.canParse(endpoint.url) ? Number(new URL(endpoint.url).port || 443) : undefined;
  return {
    ...(endpoint.logs !== undefined ? { logs: [endpoint.logs] } : {}),
    ...(endpoint.aws !== undefined ? { aws: endpoint.aws } : {}),
    ...(port !== undefined ? { port } : {}),
  };
}

/**
 * Told apart by shape, not by class: the extension's lazy bundles each carry their own copy of ClientIdentity,
 * so instanceof would not recognise an identity another bundle loaded.
 */
function isConfigured(identity: IdentityConfig | ClientIdentity): identity is IdentityConfig {
  return 'location' in identity && !('chain' in identity);
}

function identityNameOf(identity: CheckIdentity): string {
  if (identity === null) return noCertificate;
  return isConfigured(identity) ? identity.name : identity.label;
}

/** The expectation judged on the attempt it names (evidence upgrades the first attempt's verdict; the retry keeps its own). */
function judged(outcome: ExpectedOutcome, result: ProbeResult): RunExpectation {
  const { passed, message, attempt, got } = judgeExpectation(outcome, result);
  return { outcome, expected: describeExpectedOutcome(outcome), passed, message, judgedAttempt: attempt, got };
}

/** The run with a new verdict (and evidence), its expectation judged again against it. */
function withVerdict(run: CheckRun, verdict: Verdict, patch: Partial<Pick<CheckRun, 'evidence' | 'collectingEvidence'>>): CheckRun {
  const next: CheckRun = { ...run, ...patch, verdict };
  if (run.expectation === undefined) return Object.freeze(next);
  return Object.freeze({ ...next, expectation: judged(run.expectation.outcome, currentResult(next)) });
}

/** A run from a probe result already in hand (the matrix, a saved result): no evidence, nothing pending. */
export function runFromResult(result: ProbeResult, meta: { id?: string; endpointName: string; identityName: string; expected?: ExpectedOutcome; secretHeaders?: readonly string[] }): CheckRun {
  const secretHeaders = extraSecretHeaders(meta.secretHeaders);
  return Object.freeze({
    id: meta.id ?? newRunId(),
    endpointName: meta.endpointName,
    identityName: meta.identityName,
    startedAt: result.startedAt,
    result,
    verdict: result.verdict,
    collectingEvidence: false,
    ...(meta.expected !== undefined ? { expectation: judged(meta.expected, result) } : {}),
    ...(secretHeaders.length > 0 ? { secretHeaders } : {}),
  });
}

/** Probes once (no evidence): identity loading, the probe and the expectation. */
export async function probeCheck(target: CheckTarget, identity: CheckIdentity, options: Omit<RunCheckOptions, 'evidence'> = {}): Promise<CheckRun> {
  const loaded = identity === null || !isConfigured(identity) ? identity : await untilAborted(loadIdentityWith(identity, options.passphrases ?? noPassphrases), options.signal);
  // The id is the run's before the probe starts, so the probe's progress events name the run they belong to.
  const id = options.id ?? newRunId();
  const extras = { ...(options.signal !== undefined ? { signal: options.signal } : {}), ...(options.correlationId !== undefined ? { correlationId: options.correlationId } : {}) };
  const base = target.kind === 'endpoint' ? await probeOptionsFor(target.endpoint, loaded, extras) : { ...target.options, identity: loaded, ...extras };
  const probeOptions: ProbeOptions = { ...base, runId: id, ...(options.onPhase !== undefined ? { onPhase: options.onPhase } : {}) };
  const { result, keyLog } = await probe(probeOptions);
  if (keyLog.length > 0) options.onKeyLog?.(keyLog);
  const run = runFromResult(result, {
    id,
    endpointName: target.kind === 'endpoint' ? target.endpoint.name : target.name,
    identityName: identityNameOf(identity),
    ...(options.expected !== undefined ? { expected: options.expected } : {}),
    secretHeaders: target.kind === 'endpoint' ? (target.endpoint.secretHeaders ?? []) : (target.secretHeaders ?? []),
  });
  options.onUpdate?.({ kind: 'probed', run });
  return run;
}

function runEvidence(found: ProbeEvidence): CheckRun['evidence'] {
  return { report: found.report, window: { from: found.window.from.toISOString(), to: found.window.to.toISOString() }, keys: found.keys, sourceLabel: found.sourceLabel };
}

/**
 * Collects a run's evidence (again: AWS delivers logs minutes late) and upgrades its verdict. Each partial look
 * is an update; the verdict is always the probe's own upgraded, never an earlier upgrade upgraded again.
 * Cancelling keeps what had arrived and ends collection.
 */
export async function collectRunEvidence(run: CheckRun, request: EvidenceRequest, options: RunEvidenceOptions & { onUpdate?(update: RunUpdate): void } = {}): Promise<CheckRun> {
  let latest = withVerdict(run, run.verdict, { collectingEvidence: true });
  const announce = (next: CheckRun, kind: RunUpdate['kind']): void => {
    const verdictChanged = next.verdict.stoppedAt !== latest.verdict.stoppedAt || next.verdict.reason !== latest.verdict.reason || next.verdict.confidence !== latest.verdict.confidence;
    latest = next;
    options.onUpdate?.({ kind: kind === 'evidence' && verdictChanged ? 'verdict' : kind, run: next });
  };
  announce(latest, 'evidence');
  try {
    // The log readers load with the first evidence asked for: a plain probe does not pay for them.
    const { collectProbeEvidence } = await import('../evidence/collect');
    const found = await collectProbeEvidence(run.result, request, {
      runId: run.id,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.waitUntil !== undefined ? { waitUntil: options.waitUntil } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      ...(options.onWaiting !== undefined ? { onWaiting: options.onWaiting } : {}),
      onUpdate: (partial) => announce(withVerdict(latest, partial.verdict, { evidence: runEvidence(partial) }), 'evidence'),
    });
    const done = withVerdict(latest, found.verdict, { evidence: runEvidence(found), collectingEvidence: false });
    announce(done, 'done');
    return done;
  } catch (error) {
    const ended = withVerdict(latest, latest.verdict, { collectingEvidence: false });
    announce(ended, 'done');
    if (options.signal?.aborted === true) return ended;
    throw error;
  }
}

/** Probes, then (when asked) collects the evidence: the whole check, one update per step. */
export async function runCheck(target: CheckTarget, identity: CheckIdentity, options: RunCheckOptions = {}): Promise<CheckRun> {
  const { evidence, ...probeOptions } = options;
  const run = await probeCheck(target, identity, probeOptions);
  if (evidence === undefined) return run;
  const request = evidence.request ?? (target.kind === 'endpoint' ? endpointEvidenceRequest(target.endpoint) : null);
  if (request === null) return run;
  return collectRunEvidence(run, request, { ...evidence, ...(options.onUpdate !== undefined ? { onUpdate: options.onUpdate } : {}) });
}

/** Resolves with the work, or rejects with ProbeAbortedError as soon as the signal fires (the work is left to finish unseen). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(new ProbeAbortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new ProbeAbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
