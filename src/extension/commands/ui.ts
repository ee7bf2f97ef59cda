import * as vscode from 'vscode';
import { CancelledError } from '../probe-runner';
import type { Severity } from '../run-words';

export type Progress = vscode.Progress<{ message?: string; increment?: number }>;

/**
 * A cancellable notification with a spinner; the work gets an AbortSignal that the Cancel button aborts. Without a
 * title the progress messages say it all ("mTLS Probe: alb-like with valid — 1 of 4 · 0.4 s").
 */
export function withProgress<T>(title: string, work: (signal: AbortSignal, token: vscode.CancellationToken, progress: Progress) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: title === '' ? 'mTLS Probe' : `mTLS Probe: ${title}`, cancellable: true }, (progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    return work(controller.signal, token, progress);
  });
}

/**
 * Rewrites a progress message a few times a second, so a slow step shows that time passes ("· 3.2 s"). Stopped by
 * dispose.
 */
export class ProgressTicker implements vscode.Disposable {
  #started = Date.now();
  #text: (elapsedMs: number) => string = () => '';
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(private readonly progress: Progress) {
    this.#timer = setInterval(() => this.#report(), 200);
  }

  /** A new step: its clock starts now. */
  step(text: (elapsedMs: number) => string): void {
    this.#started = Date.now();
    this.#text = text;
    this.#report();
  }

  #report(): void {
    this.progress.report({ message: this.#text(Date.now() - this.#started) });
  }

  dispose(): void {
    clearInterval(this.#timer);
  }
}

/** A notification whose buttons run callbacks; never awaited by the caller, so nothing waits on a toast. */
export function notify(severity: Severity, text: string, actions: Record<string, () => unknown> = {}): void {
  const show = severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(text, ...Object.keys(actions)).then((choice) => {
    if (choice !== undefined) void actions[choice]?.();
  });
}

/** What a cancel leaves: a note in the status bar, never a toast to dismiss. */
export function cancelledNote(text = 'mTLS Probe: cancelled.'): void {
  vscode.window.setStatusBarMessage(`$(circle-slash) ${text}`, 5000);
}

export async function pickFolder(): Promise<vscode.WorkspaceFolder> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length === 0) throw new Error('Open a folder first: the workspace config lives in the folder\'s .vscode/.');
  if (folders.length === 1) return folders[0]!;
  const folder = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder' });
  if (!folder) throw new CancelledError();
  return folder;
}
