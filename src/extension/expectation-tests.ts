import * as vscode from 'vscode';
import { describeExpectedOutcome } from '../core/config/workspace-config';
import { checkId } from '../core/expectations/check-id';
import type { Expectation } from '../core/config/types';
import { CancelledError, type ProbeRunner } from './probe-runner';
import { identityLabel } from './views/endpoints-view';
import type { EndpointRef, WorkspaceConfigs } from './workspace-configs';

interface ExpectationItemData {
  ref: EndpointRef;
  expectation: Expectation;
}

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
    this.#controller.createRunProfile('Probe', vscode.TestRunProfileKind.Run, (request, token) => this.#run(request, token), true);
    this.#subscriptions.push(
      configs.onDidChange(() => {
        if (this.#resolved) void this.#buildItems();
      }),
    );
  }

  async #buildItems(): Promise<void> {
    const endpoints = await this.configs.endpoints();
    const items: vscode.TestItem[] = [];
    for (const ref of endpoints) {
      const { config, endpoint } = ref;
      if (endpoint.expectations.length === 0) continue;
      const parent = this.#controller.createTestItem(`${config.file}#${endpoint.name}`, endpoint.name, vscode.Uri.file(config.file));
      parent.description = endpoint.url;
      parent.range = rangeOf(config.file, endpoint.location.offset);
      for (const expectation of endpoint.expectations) {
        const label = `${identityLabel(expectation.identity)} → ${describeExpectedOutcome(expectation.expected)}`;
        // The CLI's check id (JUnit, --json), scoped by the config file for multi-root workspaces.
        const child = this.#controller.createTestItem(`${config.file}#${checkId(endpoint.name, expectation.identity)}`, label, vscode.Uri.file(config.file));
        child.range = rangeOf(config.file, expectation.location.offset);
        this.#data.set(child, { ref, expectation });
        parent.children.add(child);
      }
      items.push(parent);
    }
    this.#controller.items.replace(items);
  }

  /** Runs all expectations (the "Run All Expectations" command goes through the same path as the Test Explorer). */
  async runAll(token?: vscode.CancellationToken): Promise<void> {
    this.#resolved = true;
    await this.#buildItems();
    const source = token ? undefined : new vscode.CancellationTokenSource();
    try {
      await this.#run(new vscode.TestRunRequest(), token ?? source!.token);
    } finally {
      source?.dispose();
    }
  }

  async #run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
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
      for (const item of leaves) {
        if (token.isCancellationRequested) {
          run.skipped(item);
          continue;
        }
        const { ref, expectation } = this.#data.get(item)!;
        run.started(item);
        const started = Date.now();
        try {
          if (!vscode.workspace.isTrusted) {
            run.errored(item, new vscode.TestMessage('Restricted Mode: mTLS Probe runs no probes from an untrusted workspace. Trust the workspace to run this test.'));
            continue;
          }
          const probeRun = await this.runner.probeEndpoint(ref, expectation.identity, abort.signal);
          const duration = Date.now() - started;
          run.appendOutput(`${probeRun.report.replace(/\r?\n/g, '\r\n')}\r\n`, undefined, item);
          if (probeRun.expectation?.passed) {
            run.passed(item, duration);
          } else {
            const message = new vscode.TestMessage(`${probeRun.expectation?.message ?? 'No expectation result.'}\n\n${probeRun.report}`);
            if (item.uri && item.range) message.location = new vscode.Location(item.uri, item.range);
            run.failed(item, message, duration);
          }
        } catch (error) {
          if (error instanceof CancelledError || token.isCancellationRequested) run.skipped(item);
          else run.errored(item, new vscode.TestMessage((error as Error).message), Date.now() - started);
        }
      }
    } finally {
      cancel.dispose();
      run.end();
    }
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
    this.#controller.dispose();
  }
}

/** Test items point at their entry in the config; the line is found from the offset without opening an editor. */
function rangeOf(file: string, offset: number): vscode.Range | undefined {
  const document = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (document === undefined) return undefined;
  const position = document.positionAt(offset);
  return new vscode.Range(position, position);
}
