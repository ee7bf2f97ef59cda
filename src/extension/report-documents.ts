import * as vscode from 'vscode';

export const reportScheme = 'mtls-probe-report';

/** Read-only documents for traces and inspection reports: no untitled buffers to save or discard. */
export class ReportDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  readonly #contents = new Map<string, string>();
  readonly #changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.#changed.event;
  #next = 1;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.#contents.get(uri.query) ?? 'This report is no longer available (reports live until VS Code restarts).';
  }

  async show(title: string, text: string): Promise<void> {
    const id = String(this.#next++);
    this.#contents.set(id, text);
    // Old reports are dropped beyond a few dozen: they hold traces, not state.
    if (this.#contents.size > 40) this.#contents.delete(this.#contents.keys().next().value!);
    const uri = vscode.Uri.from({ scheme: reportScheme, path: `/${title.replace(/[\\/:*?"<>|]+/g, '_')}`, query: id });
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
  }

  dispose(): void {
    this.#changed.dispose();
  }
}
