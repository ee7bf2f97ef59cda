import * as vscode from 'vscode';
import type { EndpointConfig } from '../core/config/types';
import type { CheckRun } from '../core/runs/check-run';
import { CountedEmitter } from './counted-emitter';
import type { ServerTrust } from './endpoint-draft';

/** One run as the views, the Test Explorer, the timeline and the export command see it: the core's run plus where it came from. */
export interface ProbeRun extends CheckRun {
  /** Endpoint × identity this run belongs to (see endpointIdentityKey), or undefined for an ad-hoc URL. */
  readonly key?: string;
  /** The endpoint as configured when it was probed (absent for an ad-hoc URL): where its evidence is. */
  readonly endpoint?: EndpointConfig;
  /** The curl-like report of the probe (no key material: the probe never puts any in its result). */
  readonly report: string;
  /** For an ad-hoc probe (Probe URL…): what it was probed with, so Save to Config can write the same. */
  readonly adHoc?: AdHocProbe;
}

/** An ad-hoc probe's choices: the URL, the server trust and the client identity (configured or picked files). */
export interface AdHocProbe {
  url: string;
  trust: ServerTrust;
  identity?: { configName: string } | { certFile: string; keyFile?: string } | { pfxFile: string };
}

/** Whether the run's endpoint names server-side evidence (a logs folder or AWS settings). */
export function hasEvidenceSettings(run: ProbeRun): boolean {
  return run.endpoint?.logs !== undefined || run.endpoint?.aws !== undefined;
}

/** The same icons and colours as the Endpoints view: passed and failed expectations in the testing colours. */
export function runIcon(run: ProbeRun): vscode.ThemeIcon {
  if (run.expectation) {
    return run.expectation.passed ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')) : new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
  }
  return new vscode.ThemeIcon(run.verdict.stoppedAt === null ? 'pass' : 'circle-filled');
}

export function endpointIdentityKey(configFile: string, endpointName: string, identityName: string): string {
  return `${configFile}\u0000${endpointName}\u0000${identityName}`;
}

/** Recent Runs keeps this many (runs hold whole traces); the README and the view's welcome text say so. */
export const keptRuns = 50;

/**
 * Recent runs, newest first, and the latest run per endpoint × identity. In memory: runs hold traces. Runs are
 * immutable values: when evidence arrives the run is replaced by a newer value with the same id.
 */
export class RunHistory implements vscode.Disposable {
  readonly #runs: ProbeRun[] = [];
  readonly #latest = new Map<string, ProbeRun>();
  readonly #running = new Set<string>();
  readonly #changed = new CountedEmitter<void>();
  readonly #runChanged = new CountedEmitter<ProbeRun>();
  readonly onDidChange = this.#changed.event;
  /** A run was replaced by a newer value (evidence arrived, the verdict changed). */
  readonly onDidChangeRun = this.#runChanged.event;

  add(run: ProbeRun): void {
    this.#runs.unshift(run);
    if (this.#runs.length > keptRuns) this.#runs.length = keptRuns;
    if (run.key !== undefined) this.#latest.set(run.key, run);
    this.#countChanged();
  }

  /** Forgets every run, and with them the endpoints' last verdicts (their rows show the expectation again). */
  clear(): number {
    const count = this.#runs.length;
    this.#runs.length = 0;
    this.#latest.clear();
    this.#countChanged();
    return count;
  }

  #countChanged(): void {
    // The views' title buttons show only when they can act: Clear needs a run, Compare two.
    void vscode.commands.executeCommand('setContext', 'mtlsProbe.hasRuns', this.#runs.length > 0);
    void vscode.commands.executeCommand('setContext', 'mtlsProbe.canCompareRuns', this.#runs.length > 1);
    this.#changed.fire();
  }

  /** The core's newer value of a run: keeps where it came from, replaces it everywhere. */
  update(next: CheckRun): ProbeRun | undefined {
    const index = this.#runs.findIndex((r) => r.id === next.id);
    if (index < 0) return undefined;
    const old = this.#runs[index]!;
    const run: ProbeRun = Object.freeze({
      ...next,
      report: old.report,
      ...(old.key !== undefined ? { key: old.key } : {}),
      ...(old.endpoint !== undefined ? { endpoint: old.endpoint } : {}),
      ...(old.adHoc !== undefined ? { adHoc: old.adHoc } : {}),
    });
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

  /** What the test hooks report: runs kept (at most keptRuns), probes under way, live listeners of each event. */
  counts(): { runs: number; latest: number; running: number; onDidChangeListeners: number; onDidChangeRunListeners: number } {
    return {
      runs: this.#runs.length,
      latest: this.#latest.size,
      running: this.#running.size,
      onDidChangeListeners: this.#changed.listenerCount,
      onDidChangeRunListeners: this.#runChanged.listenerCount,
    };
  }

  dispose(): void {
    this.#changed.dispose();
    this.#runChanged.dispose();
  }
}
