import { setTimeout } from 'node:timers/promises';
import * as vscode from 'vscode';
import { noIdentityName, type EndpointConfig } from '../core/config/types';
import type { ProbeEvidence } from '../core/evidence/collect';
import { loadEvidenceTools } from './lazy-modules';
import { evidenceText, runLine } from './probe-runner';
import type { ProbeRun, RunHistory } from './run-history';

// After a probe of an endpoint whose config names evidence (a `logs` folder, `aws` settings), the server-side
// records are collected in the background: the probe's notification is not held up, the run's row shows
// "waiting for evidence" and then the verdict the evidence gives, and AWS evidence that arrives late (metrics
// ≈ 1 min, logs ≈ 5–10 min) updates the run as it comes, until `mtlsProbe.evidence.waitMinutes`.

const notificationSpacingMs = 1000;

export class ProbeEvidenceFetcher implements vscode.Disposable {
  readonly #running = new Set<AbortController>();

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly history: RunHistory,
  ) {}

  /** Starts collecting when the endpoint names evidence; returns at once. */
  startFor(run: ProbeRun, endpoint: EndpointConfig): void {
    if (endpoint.logs === undefined && endpoint.aws === undefined) return;
    if (!vscode.workspace.isTrusted) {
      // Reading workspace log folders and using AWS credentials are for trusted workspaces only.
      this.output.info(`Evidence for ${run.endpointName} is not collected in Restricted Mode: trust the workspace to read its logs and AWS.`);
      return;
    }
    void this.#collect(run, endpoint);
  }

  async #collect(run: ProbeRun, endpoint: EndpointConfig): Promise<void> {
    const waitMinutes = Math.min(60, Math.max(0, vscode.workspace.getConfiguration('mtlsProbe').get<number>('evidence.waitMinutes', 10)));
    const controller = new AbortController();
    this.#running.add(controller);
    const title = `mTLS Probe: evidence for ${run.endpointName}`;
    const started = Date.now();
    run.collectingEvidence = true;
    this.history.changed();
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        const tools = await loadEvidenceTools();
        const port = Number(new URL(endpoint.url).port || 443);
        const show = (found: ProbeEvidence): void => {
          run.evidence = { ...found, lines: tools.describeEvidence(found.report.events, found.report, { used: found.verdict.evidence, sourceLabel: found.sourceLabel }) };
          this.history.changed();
        };
        const found = await tools.collectProbeEvidence(
          run.result,
          { ...(endpoint.logs !== undefined ? { logs: [endpoint.logs] } : {}), ...(endpoint.aws !== undefined ? { aws: endpoint.aws } : {}), port },
          {
            signal: controller.signal,
            ...(waitMinutes > 0 ? { waitUntil: new Date(Date.now() + waitMinutes * 60_000) } : {}),
            onProgress: (message) => progress.report({ message }),
            onUpdate: show,
          },
        );
        show(found);
      });
      run.collectingEvidence = false;
      this.history.changed();
      const evidence = run.evidence!;
      // Worded as the probe's own heading ("Probe … with no certificate" / "with identity …"), not the config's "none".
      const identity = run.identityName === noIdentityName ? 'no certificate' : `identity ${run.identityName}`;
      this.output.info(`Evidence for ${run.endpointName} with ${identity}:\n${evidenceText({ ...run, evidence })}`);
      if (evidence.verdict.confidence === 'confirmed') {
        // The workbench toasts at most three notifications in 800 ms; local logs confirm within that of the probe's
        // own notification and its progress, and a fourth would go straight to the notification center unseen.
        await setTimeout(Math.max(0, notificationSpacingMs - (Date.now() - started)));
        void vscode.window.showInformationMessage(`mTLS Probe: ${run.endpointName}: ${runLine(run)}. ${evidence.verdict.summary}`);
      }
    } catch (error) {
      if (controller.signal.aborted) {
        this.output.info(`Evidence for ${run.endpointName}: cancelled${run.evidence !== undefined ? `; what had arrived:\n${run.evidence.lines.join('\n')}` : ''}`);
        return;
      }
      this.output.error(`Evidence for ${run.endpointName} could not be collected: ${(error as Error).message}`);
      void vscode.window.showErrorMessage(`mTLS Probe: evidence for ${run.endpointName} could not be collected: ${(error as Error).message}`);
    } finally {
      if (run.collectingEvidence === true) {
        run.collectingEvidence = false;
        this.history.changed();
      }
      this.#running.delete(controller);
    }
  }

  dispose(): void {
    for (const controller of this.#running) controller.abort();
    this.#running.clear();
  }
}
