import { bundleLoadStartedAt } from './activation-clock';
import { performance } from 'node:perf_hooks';
import type * as vscode from 'vscode';
import { MtlsProbeExtension } from './mtls-probe-extension';

// Every import above has been evaluated by now: the bundle's own load time ends here. VS Code then prepares the
// extension context (storage, secrets) before it calls activate(); that wait is not ours and is logged apart.
const bundleEvaluatedAt = performance.now();

export function activate(context: vscode.ExtensionContext): void {
  const activateStartedAt = performance.now();
  const extension = new MtlsProbeExtension(context);
  context.subscriptions.push(extension);
  extension.logActivation({
    bundleEvaluationMs: bundleEvaluatedAt - bundleLoadStartedAt,
    contextWaitMs: activateStartedAt - bundleEvaluatedAt,
    activateMs: performance.now() - activateStartedAt,
  });
}

export function deactivate(): void {}
