import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { ConfigRunError } from '../config/probe-options';
import { noIdentityName, type IdentityConfig, type WorkspaceConfig } from '../config/types';
import { expectationChecks, type ExpectationCheck, type ExpectationFilter } from '../expectations/expectations';
import type { ClientIdentity } from '../identity/client-identity';
import { ProbeAbortedError } from '../probe/probe';
import type { ProbeResult } from '../probe/types';
import type { CheckRun } from './check-run';
import { probeCheck, untilAborted } from './run-service';

// The config's expectations as tests: each check run with a bounded pool. One check's trouble (an identity that
// does not load, a missing CA file) is that check's error, never the whole run's; cancelling stops the rest and
// reports them as skipped.

export type ExpectationRunStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface ExpectationRun {
  check: ExpectationCheck;
  /** passed / failed: the probe ran and was compared; error: it could not run; skipped: cancelled first. */
  status: ExpectationRunStatus;
  passed: boolean;
  message: string;
  /** The run (probe, verdict, expectation) when the probe ran. */
  run?: CheckRun;
  result?: ProbeResult;
  /** Why the check could not run (status error). Never holds key material or passphrases. */
  error?: string;
  durationMs: number;
}

export interface RunExpectationsOptions {
  /** Loads a configured identity, e.g. `(identity) => loadIdentityWith(identity, passphrases)`; called once per identity per run. */
  loadIdentity(identity: IdentityConfig): Promise<ClientIdentity>;
  signal?: AbortSignal;
  /** Probes in flight at once (default 8). */
  concurrency?: number;
  filter?: ExpectationFilter;
  /** Called as each run ends, in completion order (skipped runs last). */
  onResult?(run: ExpectationRun): void;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function undefinedIdentityError(check: ExpectationCheck, config: WorkspaceConfig): ConfigRunError {
  const defined = config.identities.map((i) => i.name);
  const known = defined.length > 0 ? `defined: ${defined.join(', ')}` : 'none are defined';
  return new ConfigRunError(
    'identity_not_defined',
    config.file,
    `Endpoint "${check.endpoint.name}" expects an outcome for identity "${check.identityName}", which is not defined under "identities" in ${config.file} (${known}; "${noIdentityName}" means no certificate).`,
  );
}

/** Runs every check (or the filtered ones) and returns one run per check, in check order. Never throws for a check. */
export async function runExpectations(config: WorkspaceConfig, options: RunExpectationsOptions): Promise<ExpectationRun[]> {
  const checks = expectationChecks(config, options.filter);
  const { signal } = options;
  const identities = new Map<string, Promise<ClientIdentity>>();
  const identityFor = (check: ExpectationCheck): Promise<ClientIdentity | null> => {
    if (check.identityName === noIdentityName) return Promise.resolve(null);
    const identity = check.identity;
    if (identity === null) return Promise.reject(undefinedIdentityError(check, config));
    let loading = identities.get(identity.name);
    if (loading === undefined) {
      loading = options.loadIdentity(identity);
      // Checks that share the identity see its failure; nobody may be left holding an unobserved rejection.
      loading.catch(() => undefined);
      identities.set(identity.name, loading);
    }
    return loading;
  };

  const runOne = async (check: ExpectationCheck): Promise<ExpectationRun> => {
    const start = performance.now();
    const elapsed = (): number => Math.round((performance.now() - start) * 1000) / 1000;
    try {
      const identity = await untilAborted(identityFor(check), signal);
      const run = await probeCheck({ kind: 'endpoint', endpoint: check.endpoint }, identity, { expected: check.expected, ...(signal !== undefined ? { signal } : {}) });
      const { passed, message } = run.expectation!;
      return { check, status: passed ? 'passed' : 'failed', passed, message, run, result: run.result, durationMs: elapsed() };
    } catch (e) {
      if (e instanceof ProbeAbortedError) return { check, status: 'skipped', passed: false, message: 'cancelled while running', durationMs: elapsed() };
      const error = errorText(e);
      return { check, status: 'error', passed: false, message: `could not run: ${error}`, error, durationMs: elapsed() };
    }
  };

  const runs: Array<ExpectationRun | undefined> = new Array(checks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < checks.length && signal?.aborted !== true) {
      const index = next++;
      const run = await runOne(checks[index]!);
      runs[index] = run;
      options.onResult?.(run);
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 8, checks.length));
  // Every probe in flight listens on the one signal: that is by design, not a leak.
  if (signal !== undefined) setMaxListeners(concurrency * 4 + 10, signal);
  await Promise.all(Array.from({ length: concurrency }, worker));

  return checks.map((check, index) => {
    const run = runs[index];
    if (run !== undefined) return run;
    const skipped: ExpectationRun = { check, status: 'skipped', passed: false, message: 'not run: cancelled', durationMs: 0 };
    options.onResult?.(skipped);
    return skipped;
  });
}
