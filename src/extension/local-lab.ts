import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Lab } from '../core/lab/lab';
import { labDescription } from './lab-words';
import { loadLabTools } from './lazy-modules';

// The local lab inside VS Code: one at a time, in the workspace folder's `mtls-probe-lab` (its PKI is made once and
// kept, its logs grow there), on the port `mtlsProbe.lab.port` — fixed, so the starter config's URL stays right
// from one session to the next. A status bar item shows it while it runs; closing VS Code stops it.

export const labFolderName = 'mtls-probe-lab';
const runningContext = 'mtlsProbe.labRunning';

export class LocalLab implements vscode.Disposable {
  #lab: Lab | null = null;
  #starting: Promise<Lab> | null = null;
  #status: vscode.StatusBarItem | null = null;

  constructor(private readonly output: vscode.LogOutputChannel) {}

  get running(): Lab | null {
    return this.#lab;
  }

  static port(): number {
    return vscode.workspace.getConfiguration('mtlsProbe').get<number>('lab.port', 8443);
  }

  /** Starts the lab in the folder (or returns the one already running there). */
  async start(folder: vscode.WorkspaceFolder): Promise<Lab> {
    const dir = path.join(folder.uri.fsPath, labFolderName);
    if (this.#lab !== null) {
      if (this.#lab.dir === dir) return this.#lab;
      await this.stop();
    }
    this.#starting ??= this.#start(dir).finally(() => (this.#starting = null));
    return this.#starting;
  }

  async #start(dir: string): Promise<Lab> {
    const port = LocalLab.port();
    const tools = await loadLabTools();
    let lab: Lab;
    try {
      lab = await tools.startLab({ dir, port });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`the local lab cannot listen on port ${port}: it is in use. Stop what uses it, or set mtlsProbe.lab.port to another port (and the URL in the config to match).`);
      }
      throw error;
    }
    this.#lab = lab;
    this.output.info(`Local lab started:\n${labDescription(lab)}`);
    const status = vscode.window.createStatusBarItem('mtlsProbe.lab', vscode.StatusBarAlignment.Left, 10);
    status.name = 'mTLS Probe local lab';
    status.text = `$(beaker) mTLS lab :${new URL(lab.url).port}`;
    status.tooltip = new vscode.MarkdownString(`**mTLS Probe local lab** (${lab.mode} mode) at \`${lab.url}\`\n\nLogs in AWS's formats: \`${vscode.workspace.asRelativePath(lab.logs)}\`\n\nClick to stop it.`);
    status.command = 'mtlsProbe.stopLab';
    status.show();
    this.#status = status;
    await vscode.commands.executeCommand('setContext', runningContext, true);
    return lab;
  }

  async stop(): Promise<boolean> {
    const lab = this.#lab;
    if (lab === null) return false;
    this.#lab = null;
    this.#status?.dispose();
    this.#status = null;
    await lab.close();
    await vscode.commands.executeCommand('setContext', runningContext, false);
    this.output.info(`Local lab stopped (${lab.url}); its PKI and logs stay in ${lab.dir}.`);
    return true;
  }

  dispose(): void {
    void this.stop();
  }
}
