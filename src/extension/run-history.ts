import * as vscode from 'vscode';
import type { EndpointConfig } from '../core/config/types';
import type { CheckRun } from '../core/runs/check-run';

/** One run as the views, the Test Explorer, the timeline and the export command see it: the core's run plus where it came from. */
export interface ProbeRun extends CheckRun {
  /** Endpoint × identity this run belongs to (see endpointIdentityKey), or undefined for an ad-hoc URL. */
  readonly key?: string;
  /** The endpoint as configured when it was probed (absent for an ad-hoc URL): where its evidence is. */
  readonly endpoint?: EndpointConfig;
  /** The curl-like report of the probe (no key material: the probe never puts any in its result). */
  readonly report: string;
}

/** Whether the run's endpoint names server-side evidence (a logs folder or AWS settings). */
export function hasEvidenceSettings(run: ProbeRun): boolean {
  return run.endpoint?.logs !== undefined || run.endpoint?.aws !== undefined;
}

export function endpointIdentityKey(configFile: string, endpointName: string, identityName: string): string {
  return `${configFile}\u0000${endpointName}\u0000${identityName}`;
}

const keptRuns = 50;

/**
 * Recent runs, newest first, and the latest run per endpoint × identity. In memory: runs hold traces. Runs are
 * immutable values: when evidence arrives the run is replaced by a newer value with the same id.
 */
export class RunHistory implements vscode.Disposable {
  readonly #runs: ProbeRun[] = [];
  readonly #latest = new Map<string, ProbeRun>();
  readonly #running = new Set<string>();
  readonly #changed = new vscode.EventEmitter<void>();
  readonly #runChanged = new vscode.EventEmitter<ProbeRun>();
  readonly onDidChange = this.#changed.event;
  /** A run was replaced by a newer value (evidence arrived, the verdict changed). */
  readonly onDidChangeRun = this.#runChanged.event;

  add(run: ProbeRun): void {
    this.#runs.unshift(run);
    if (this.#runs.length > keptRuns) this.#runs.length = keptRuns;
    if (run.key !== undefined) this.#latest.set(run.key, run);
    this.#changed.fire();
  }

  /** The core's newer value of a run: keeps where it came from, replaces it everywhere. */
  update(next: CheckRun): ProbeRun | undefined {
    const index = this.#runs.findIndex((r) => r.id === next.id);
    if (index < 0) return undefined;
    const old = this.#runs[index]!;
    const run: ProbeRun = Object.freeze({ ...next, report: old.report, ...(old.key !== undefined ? { key: old.key } : {}), ...(old.endpoint !== undefined ? { endpoint: old.endpoint } : {}) });
    this.#runs[index] = run;
    if (run.key !== undefined && this.#latest.get(run.key)?.id === run.id) this.#latest.set(run.key, run);
    this.#runChanged.fire(run);
    this.#changed.fire();
    return run;
  }

  setRunning(key: string, running: boolean): void {
    if (running) this.#running.add(key);
    else this.#running.delete(key);
    this.#changed.fire();
  }

  isRunning(key: string): boolean {
    return this.#running.has(key);
  }

  latest(key: string): ProbeRun | undefined {
    return this.#latest.get(key);
  }

  get(id: string): ProbeRun | undefined {
    return this.#runs.find((run) => run.id === id);
  }

  list(): readonly ProbeRun[] {
    return this.#runs;
  }

  dispose(): void {
    this.#changed.dispose();
    this.#runChanged.dispose();
  }
}
