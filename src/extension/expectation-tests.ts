import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { describeExpectedOutcome } from '../core/expectations/evaluate';
import { checkId } from '../core/expectations/check-id';
import type { Expectation } from '../core/config/types';
import type { ProbeEvidenceFetcher } from './evidence-fetcher';
import { isCancellation, type ProbeRunner } from './probe-runner';
import type { TestCounts } from './run-words';
import { positionAt } from './text-positions';
import { identityLabel } from './views/endpoints-view';
import type { EndpointRef, WorkspaceConfigs } from './workspace-configs';
import { isWorkspaceTrusted } from './workspace-trust';

interface ExpectationItemData {
  ref: EndpointRef;
  expectation: Expectation;
}

/** How long a test waits for its run's evidence (local logs take a moment; AWS's may come minutes later). */
const evidenceWaitMs = 20_000;

/** Told as each expectation starts: what runs, and which of how many. */
export type TestProgress = (what: { endpointName: string; identityName: string; index: number; total: number }) => void;

/**
 * Each endpoint × identity expectation of the config is a test in the Test Explorer: running it probes, and it
 * passes when the verdict matches. Items appear when the Testing view asks for them (no work at activation).
 */
export class ExpectationTests implements vscode.Disposable {
  readonly #controller = vscode.tests.createTestController('mtlsProbe', 'mTLS Probe');
  readonly #data = new WeakMap<vscode.TestItem, ExpectationItemData>();
  readonly #subscriptions: vscode.Disposable[] = [];
  #resolved = false;

  constructor(
    private readonly configs: WorkspaceConfigs,
    private readonly runner: ProbeRunner,
    private readonly evidence: ProbeEvidenceFetcher,
  ) {
    this.#controller.resolveHandler = async (item) => {
      if (item === undefined) {
        this.#resolved = true;
        await this.#buildItems();
      }
    };
    this.#controller.refreshHandler = async () => {
      this.configs.reload();
      await this.#buildItems();
    };
    this.#controller.createRunProfile('Probe', vscode.TestRunProfileKind.Run, async (request, token) => void (await this.#run(request, token)), true);
    this.#subscriptions.push(
      configs.onDidChange(() => {
        if (this.#resolved) void this.#buildItems();
      }),
    );
  }

  async #buildItems(): Promise<void> {
    const endpoints = await this.configs.endpoints();
    const items: vscode.TestItem[] = [];
    const texts = new Map<string, Promise<string | undefined>>();
    for (const ref of endpoints) {
      const { config, endpoint } = ref;
      if (endpoint.expectations.length === 0) continue;
      if (!texts.has(config.file)) texts.set(config.file, readFile(config.file, 'utf8').catch(() => undefined));
      const text = await texts.get(config.file)!;
      const rangeOf = (offset: number): vscode.Range | undefined => {
        if (text === undefined) return undefined;
        const { line, character } = positionAt(text, offset);
        return new vscode.Range(line, character, line, character);
      };
      const parent = this.#controller.createTestItem(`${config.file}#${endpoint.name}`, endpoint.name, vscode.Uri.file(config.file));
      parent.description = endpoint.url;
      parent.range = rangeOf(endpoint.location.offset);
      for (const expectation of endpoint.expectations) {
        const label = `${identityLabel(expectation.identity)} → ${describeExpectedOutcome(expectation.expected)}`;
        // The CLI's check id (JUnit, --json), scoped by the config file for multi-root workspaces.
        const child = this.#controller.createTestItem(`${config.file}#${checkId(endpoint.name, expectation.identity)}`, label, vscode.Uri.file(config.file));
        child.range = rangeOf(expectation.location.offset);
        this.#data.set(child, { ref, expectation });
        parent.children.add(child);
      }
      items.push(parent);
    }
    this.#controller.items.replace(items);
  }

  /** Runs all expectations (the "Run All Expectations" command goes through the same path as the Test Explorer). */
  async runAll(token?: vscode.CancellationToken, onProgress?: TestProgress): Promise<TestCounts> {
    this.#resolved = true;
    await this.#buildItems();
    const source = token ? undefined : new vscode.CancellationTokenSource();
    try {
      return await this.#run(new vscode.TestRunRequest(), token ?? source!.token, onProgress);
    } finally {
      source?.dispose();
    }
  }

  async #run(request: vscode.TestRunRequest, token: vscode.CancellationToken, onProgress?: TestProgress): Promise<TestCounts> {
    const counts: TestCounts = { passed: 0, failed: 0, errored: 0, skipped: 0 };
    if (!this.#resolved) {
      this.#resolved = true;
      await this.#buildItems();
    }
    const run = this.#controller.createTestRun(request, 'mTLS Probe', true);
    const leaves: vscode.TestItem[] = [];
    const collect = (item: vscode.TestItem): void => {
      if (request.exclude?.includes(item)) return;
      if (this.#data.has(item)) leaves.push(item);
      item.children.forEach(collect);
    };
    if (request.include) request.include.forEach(collect);
    else this.#controller.items.forEach(collect);
    for (const item of leaves) run.enqueued(item);

    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      for (const [index, item] of leaves.entries()) {
        if (token.isCancellationRequested) {
          run.skipped(item);
          counts.skipped++;
          continue;
        }
        const { ref, expectation } = this.#data.get(item)!;
        onProgress?.({ endpointName: ref.endpoint.name, identityName: expectation.identity, index, total: leaves.length });
        run.started(item);
        const started = Date.now();
        try {
          if (!isWorkspaceTrusted()) {
            run.errored(item, new vscode.TestMessage('Restricted Mode: mTLS Probe runs no probes from an untrusted workspace. Trust the workspace to run this test.'));
            counts.errored++;
            continue;
          }
          const probed = await this.runner.probeEndpoint(ref, expectation.identity, abort.signal);
          // An expectation may name a reason only the server's records give: judge the run with its evidence.
          const collecting = this.evidence.startFor(probed, ref.endpoint, { quiet: true });
          const probeRun = await this.evidence.settled(probed, collecting, evidenceWaitMs, abort.signal);
          const duration = Date.now() - started;
          run.appendOutput(`${probeRun.report.replace(/\r?\n/g, '\r\n')}\r\n`, undefined, item);
          // After a TLS 1.2 retry a pass says too which attempt it was judged on and what the other got.
          if (probeRun.expectation?.passed && probeRun.result.fallback !== undefined) run.appendOutput(`Expectation: ${probeRun.expectation.message}\r\n`, undefined, item);
          if (probeRun.expectation?.passed) {
            run.passed(item, duration);
            counts.passed++;
          } else {
            counts.failed++;
            const message = new vscode.TestMessage(`${probeRun.expectation?.message ?? 'No expectation result.'}\n\n${probeRun.report}`);
            if (item.uri && item.range) message.location = new vscode.Location(item.uri, item.range);
            run.failed(item, message, duration);
          }
        } catch (error) {
          if (isCancellation(error) || token.isCancellationRequested) {
            run.skipped(item);
            counts.skipped++;
          } else {
            run.errored(item, new vscode.TestMessage((error as Error).message), Date.now() - started);
            counts.errored++;
          }
        }
      }
    } finally {
      cancel.dispose();
      run.end();
    }
    return counts;
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
    this.#controller.dispose();
  }
}
