import * as vscode from 'vscode';

// Activation registers and returns: no network, no workspace scan. The tree view, hover, tests and
// timeline arrive with their own issues; until then the palette offers an ad-hoc probe.
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('mTLS Probe', { log: true });
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('mtlsProbe.probeUrl', async () => {
      const url = await vscode.window.showInputBox({ prompt: 'URL to probe (no client certificate)', placeHolder: 'https://api.example.com/health' });
      if (!url) return;
      const [{ probe }, { formatProbeReport }] = await Promise.all([import('../core/probe/probe'), import('../core/report/curl-style')]);
      let outcome;
      try {
        outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Probing ${url}`, cancellable: true },
        (_progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          return probe({ url, signal: controller.signal });
        },
      );
      } catch (e) {
        void vscode.window.showErrorMessage(`mTLS Probe: ${(e as Error).message}`);
        return;
      }
      const { result } = outcome;
      output.info(formatProbeReport(result));
      output.show(true);
      void vscode.window.showInformationMessage(`mTLS Probe: ${result.verdict.summary}`);
    }),
  );
}

export function deactivate(): void {}
