import * as vscode from 'vscode';
import { loadWorkspaceConfig } from '../core/config/workspace-config';
import { workspaceConfigRelativePath, type ConfigProblem, type EndpointConfig, type WorkspaceConfig } from '../core/config/types';
import { CountedEmitter } from './counted-emitter';

export interface FolderConfig {
  folder: vscode.WorkspaceFolder;
  config: WorkspaceConfig;
}

/** An endpoint with the config it came from: identities are looked up in the same file. */
export interface EndpointRef {
  config: WorkspaceConfig;
  endpoint: EndpointConfig;
}

/**
 * The workspace configs of every folder. Nothing is read at activation: the first view, command or test that
 * needs the configs loads them, and from then on a file watcher keeps them fresh.
 */
export class WorkspaceConfigs implements vscode.Disposable {
  #loaded: Promise<FolderConfig[]> | undefined;
  #watching = false;
  readonly #disposables: vscode.Disposable[] = [];
  readonly #changed = new CountedEmitter<void>();
  /** Fires when a config changed or was created/deleted, or when a certificate or key file changed. */
  readonly onDidChange = this.#changed.event;
  readonly #loadedEvent = new CountedEmitter<FolderConfig[]>();
  /** Fires after the configs were (re)loaded, for checks that need the files they name. */
  readonly onDidLoad = this.#loadedEvent.event;
  readonly #diagnostics = vscode.languages.createDiagnosticCollection('mtls-probe-config');
  #reloadTimer: ReturnType<typeof setTimeout> | undefined;

  all(): Promise<FolderConfig[]> {
    this.#watch();
    this.#loaded ??= this.#load();
    return this.#loaded;
  }

  async endpoints(): Promise<EndpointRef[]> {
    return (await this.all()).flatMap(({ config }) => config.endpoints.map((endpoint) => ({ config, endpoint })));
  }

  async forFolder(folder: vscode.WorkspaceFolder): Promise<FolderConfig | undefined> {
    return (await this.all()).find((c) => c.folder.uri.toString() === folder.uri.toString());
  }

  /** Forget what was loaded and tell the views; they reload on their next read. */
  reload(): void {
    this.#loaded = undefined;
    this.#changed.fire();
  }

  async #load(): Promise<FolderConfig[]> {
    const loaded: FolderConfig[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const config = await loadWorkspaceConfig(folder.uri.fsPath);
      if (config !== null) loaded.push({ folder, config });
    }
    this.#diagnostics.clear();
    for (const { config } of loaded) await this.#publishProblems(config.file, config.problems);
    const hasEndpoints = loaded.some(({ config }) => config.endpoints.length > 0);
    void vscode.commands.executeCommand('setContext', 'mtlsProbe.hasEndpoints', hasEndpoints);
    // Run All Expectations shows in the Endpoints view's title bar only when there is one to run.
    const hasExpectations = loaded.some(({ config }) => config.endpoints.some((e) => e.expectations.length > 0));
    void vscode.commands.executeCommand('setContext', 'mtlsProbe.hasExpectations', hasExpectations);
    this.#loadedEvent.fire(loaded);
    return loaded;
  }

  async #publishProblems(file: string, problems: ConfigProblem[]): Promise<void> {
    if (problems.length === 0) return;
    const uri = vscode.Uri.file(file);
    const document = await vscode.workspace.openTextDocument(uri);
    this.#diagnostics.set(
      uri,
      problems.map((problem) => {
        const range = new vscode.Range(document.positionAt(problem.offset), document.positionAt(problem.offset + problem.length));
        const severity = problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
        const diagnostic = new vscode.Diagnostic(range, `${problem.message} ${problem.fix}`, severity);
        diagnostic.source = 'mTLS Probe';
        diagnostic.code = problem.jsonPath;
        return diagnostic;
      }),
    );
  }

  #watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    const configWatcher = vscode.workspace.createFileSystemWatcher(`**/${workspaceConfigRelativePath}`);
    // Certificates and keys named by the config (or discovered) change the views too.
    const certificateWatcher = vscode.workspace.createFileSystemWatcher('**/*.{pem,crt,cer,der,key,p12,pfx}');
    const soon = (): void => this.#reloadSoon();
    this.#disposables.push(
      configWatcher,
      certificateWatcher,
      configWatcher.onDidChange(soon),
      configWatcher.onDidCreate(soon),
      configWatcher.onDidDelete(soon),
      certificateWatcher.onDidChange(() => this.#changed.fire()),
      certificateWatcher.onDidCreate(() => this.#changed.fire()),
      certificateWatcher.onDidDelete(() => this.#changed.fire()),
      vscode.workspace.onDidChangeWorkspaceFolders(soon),
    );
  }

  /** What the test hooks report: the watchers' subscriptions and the live listeners of each event. */
  counts(): { disposables: number; onDidChangeListeners: number; onDidLoadListeners: number } {
    return { disposables: this.#disposables.length, onDidChangeListeners: this.#changed.listenerCount, onDidLoadListeners: this.#loadedEvent.listenerCount };
  }

  /** Editors save in bursts (and formatters save twice): coalesce into one reload. */
  #reloadSoon(): void {
    if (this.#reloadTimer !== undefined) clearTimeout(this.#reloadTimer);
    this.#reloadTimer = setTimeout(() => {
      this.#reloadTimer = undefined;
      this.reload();
    }, 150);
  }

  dispose(): void {
    if (this.#reloadTimer !== undefined) clearTimeout(this.#reloadTimer);
    for (const d of this.#disposables) d.dispose();
    this.#diagnostics.dispose();
    this.#changed.dispose();
    this.#loadedEvent.dispose();
  }
}
