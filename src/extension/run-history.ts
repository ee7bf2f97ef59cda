import * as vscode from 'vscode';
import type { EndpointConfig } from '../core/config/types';
import type { ProbeEvidence } from '../core/evidence/collect';
import type { ProbeResult } from '../core/probe/types';

/** Server-side evidence for a run, as far as it has arrived (ProbeRun.collectingEvidence says whether more may come). */
export interface RunEvidence extends ProbeEvidence {
  /** The evidence lines of the report (what matched and why, found / missing / not yet available). */
  lines: string[];
}

/** One finished probe, as the views, the Test Explorer and the export command see it. */
export interface ProbeRun {
  id: string;
  /** Endpoint × identity this run belongs to (see endpointIdentityKey), or undefined for an ad-hoc URL. */
  key?: string;
  endpointName: string;
  identityName: string;
  startedAt: Date;
  result: ProbeResult;
  /** The curl-like report (no key material: the probe never puts any in its result). */
  report: string;
  expectation?: { expected: string; passed: boolean; message: string };
  evidence?: RunEvidence;
  /** The endpoint as configured when it was probed (absent for an ad-hoc URL): where its evidence is. */
  endpoint?: EndpointConfig;
  /** True from the probe's end until evidence collection ends (before the first partial result too). */
  collectingEvidence?: boolean;
}

/** Whether the run's endpoint names server-side evidence (a logs folder or AWS settings). */
export function hasEvidenceSettings(run: ProbeRun): boolean {
  return run.endpoint?.logs !== undefined || run.endpoint?.aws !== undefined;
}

/** The run's result with the verdict evidence gave it, if any. */
export function resultWithEvidence(run: ProbeRun): ProbeResult {
  return run.evidence !== undefined ? { ...run.result, verdict: run.evidence.verdict } : run.result;
}

export function endpointIdentityKey(configFile: string, endpointName: string, identityName: string): string {
  return `${configFile}\u0000${endpointName}\u0000${identityName}`;
}

const keptRuns = 50;

/** Recent runs, newest first, and the latest run per endpoint × identity. In memory: runs hold traces. */
export class RunHistory implements vscode.Disposable {
  readonly #runs: ProbeRun[] = [];
  readonly #latest = new Map<string, ProbeRun>();
  readonly #running = new Set<string>();
  readonly #changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.#changed.event;
  #nextId = 1;

  newId(): string {
    return String(this.#nextId++);
  }

  add(run: ProbeRun): void {
    this.#runs.unshift(run);
    if (this.#runs.length > keptRuns) this.#runs.length = keptRuns;
    if (run.key !== undefined) this.#latest.set(run.key, run);
    this.#changed.fire();
  }

  /** A run changed in place (evidence arrived). */
  changed(): void {
    this.#changed.fire();
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
  }
}
