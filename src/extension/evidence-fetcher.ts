import { setTimeout } from 'node:timers/promises';
import * as vscode from 'vscode';
import type { EndpointConfig } from '../core/config/types';
import { identityWords, runLine } from '../core/runs/check-run';
import { loadEvidenceTools, loadProbeEngine } from './lazy-modules';
import type { ProbeRun, RunHistory } from './run-history';
import { isWorkspaceTrusted } from './workspace-trust';

// After a probe of an endpoint whose config names evidence (a `logs` folder, `aws` settings), the server-side
// records are collected in the background through the run service: the probe's notification is not held up,
// each step replaces the run in the history (its row shows "waiting for evidence", then the verdict the evidence
// gives; an open timeline redraws), and AWS evidence that arrives late updates the run as it comes, until
// `mtlsProbe.evidence.waitMinutes`.

const notificationSpacingMs = 1000;

export class ProbeEvidenceFetcher implements vscode.Disposable {
  readonly #running = new Map<string, AbortController>();

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly history: RunHistory,
  ) {}

  /**
   * Starts collecting when the endpoint names evidence; returns at once, with a promise of the end of collection
   * (it never rejects) for a caller that judges the run with its evidence. Quiet (a batch of probes, a test run):
   * progress in the status bar and no notification per run, since the batch has its own one.
   */
  startFor(run: ProbeRun, endpoint: EndpointConfig, options: { quiet?: boolean } = {}): Promise<void> {
    if (endpoint.logs === undefined && endpoint.aws === undefined) return Promise.resolve();
    if (!isWorkspaceTrusted()) {
      // Reading workspace log folders and using AWS credentials are for trusted workspaces only.
      this.output.info(`Evidence for ${run.endpointName} is not collected in Restricted Mode: trust the workspace to read its logs and AWS.`);
      return Promise.resolve();
    }
    return this.#collect(run, endpoint, options.quiet ?? false);
  }

  /**
   * The run as its evidence left it, waiting at most `ms` (AWS may take minutes; collection goes on in the
   * background and the views update when it ends).
   */
  async settled(run: ProbeRun, collecting: Promise<void>, ms: number, signal?: AbortSignal): Promise<ProbeRun> {
    let timer: ReturnType<typeof globalThis.setTimeout> | undefined;
    const aborted = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([collecting, new Promise<void>((resolve) => (timer = globalThis.setTimeout(resolve, ms))), aborted]);
    globalThis.clearTimeout(timer);
    return this.history.get(run.id) ?? run;
  }

  isCollecting(runId: string): boolean {
    return this.#running.has(runId);
  }

  /** Runs whose evidence is being collected now. */
  get collecting(): number {
    return this.#running.size;
  }

  async #collect(run: ProbeRun, endpoint: EndpointConfig, quiet: boolean): Promise<void> {
    const waitMinutes = Math.min(60, Math.max(0, vscode.workspace.getConfiguration('mtlsProbe').get<number>('evidence.waitMinutes', 10)));
    const controller = new AbortController();
    this.#running.set(run.id, controller);
    const title = `mTLS Probe: evidence for ${run.endpointName}`;
    const started = Date.now();
    // The probe's notification left the expectation to the evidence (a reason only the server's logs give).
    const judgedLater = run.expectation !== undefined && !run.expectation.passed;
    try {
      const [engine, tools] = await Promise.all([loadProbeEngine(), loadEvidenceTools()]);
      const request = engine.endpointEvidenceRequest(endpoint);
      if (request === null) return;
      const location = quiet ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification;
      const done = await vscode.window.withProgress({ location, title, cancellable: !quiet }, (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        return engine.collectRunEvidence(run, request, {
          signal: controller.signal,
          ...(waitMinutes > 0 ? { waitUntil: new Date(Date.now() + waitMinutes * 60_000) } : {}),
          onProgress: (message) => progress.report({ message }),
          onUpdate: (update) => void this.history.update(update.run),
        });
      });
      if (controller.signal.aborted) {
        this.output.info(`Evidence for ${run.endpointName}: cancelled${done.evidence !== undefined ? `; what had arrived:\n${tools.runEvidenceLines(done).join('\n')}` : ''}`);
        return;
      }
      // Worded as the probe's own heading ("Probe … with no certificate" / "with identity …"), not the config's "none".
      this.output.info(`Evidence for ${run.endpointName} with ${identityWords(done)}:\n${tools.evidenceText(done)}`);
      if ((done.verdict.confidence === 'confirmed' || judgedLater) && !quiet) {
        // The workbench toasts at most three notifications in 800 ms; local logs confirm within that of the probe's
        // own notification and its progress, and a fourth would go straight to the notification center unseen.
        await setTimeout(Math.max(0, notificationSpacingMs - (Date.now() - started)));
        const expectation = done.expectation !== undefined ? ` Expected ${done.expectation.expected}: ${done.expectation.passed ? 'met' : 'NOT met'}.` : '';
        const show = done.expectation?.passed === false ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
        void show(`mTLS Probe: ${run.endpointName}: ${runLine(done)}. ${done.verdict.summary}${expectation}`, 'Show Timeline').then((choice) => {
          if (choice === 'Show Timeline') void vscode.commands.executeCommand('mtlsProbe.showTimeline', run.id);
        });
      }
    } catch (error) {
      this.output.error(`Evidence for ${run.endpointName} could not be collected: ${(error as Error).message}`);
      // A batch's runs would each raise the same error: the log has them, the run's trace says what was looked at.
      if (!quiet) void vscode.window.showErrorMessage(`mTLS Probe: evidence for ${run.endpointName} could not be collected: ${(error as Error).message}`);
    } finally {
      this.#running.delete(run.id);
    }
  }

  dispose(): void {
    for (const controller of this.#running.values()) controller.abort();
    this.#running.clear();
  }
}
