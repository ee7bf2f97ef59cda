import * as vscode from 'vscode';
import { version } from '../core/version';
import { CertificateDiagnostics } from './certificate-diagnostics';
import { CertificateHoverProvider, WorkspaceCertificates } from './certificate-hover';
import { commandTable, exportRuns, reportErrors, type CommandServices } from './commands';
import { logEventsTo } from './event-log';
import { ProbeEvidenceFetcher } from './evidence-fetcher';
import { ExpectationTests } from './expectation-tests';
import { OutsideFileGate } from './outside-file-gate';
import { PassphraseStore } from './passphrases';
import { ProbeRunner } from './probe-runner';
import { ReportDocuments, reportScheme } from './report-documents';
import { RunHistory } from './run-history';
import { TimelinePanels } from './timeline-panels';
import { LocalLab } from './local-lab';
import { registerTestHooks, testHooksDirectory } from './test-hooks';
import { TrustStoreLinter } from './trust-store-linter';
import { EndpointsView } from './views/endpoints-view';
import { IdentitiesView } from './views/identities-view';
import { RunsView } from './views/runs-view';
import { TrustStoresView } from './views/trust-stores-view';
import { WorkspaceConfigs } from './workspace-configs';

/**
 * Owns every disposable of the extension. Construction only creates objects and registers providers and
 * commands: no file is read and no connection is made until a view, hover, test or command asks.
 */
export class MtlsProbeExtension implements vscode.Disposable {
  readonly #disposables: vscode.Disposable[] = [];
  readonly output: vscode.LogOutputChannel;

  constructor(context: vscode.ExtensionContext) {
    const own = <T extends vscode.Disposable>(d: T): T => {
      this.#disposables.push(d);
      return d;
    };
    this.output = own(vscode.window.createOutputChannel('mTLS Probe', { log: true }));
    // Probe and evidence progress, as it happens (disposed before the channel: disposal runs in reverse).
    own(logEventsTo(this.output));
    const configs = own(new WorkspaceConfigs());
    const history = own(new RunHistory());
    const passphrases = new PassphraseStore(context.secrets, context.globalState);
    const outsideFiles = new OutsideFileGate(context.workspaceState);
    const runner = new ProbeRunner(this.output, history, passphrases, outsideFiles);
    const evidence = own(new ProbeEvidenceFetcher(this.output, history));
    const linter = own(new TrustStoreLinter());
    const reports = own(new ReportDocuments());
    const tests = own(new ExpectationTests(configs, runner, evidence));
    const diagnostics = own(new CertificateDiagnostics(outsideFiles));
    const certificates = own(new WorkspaceCertificates());

    const views = {
      'mtlsProbe.endpoints': own(new EndpointsView(configs, history)),
      'mtlsProbe.identities': own(new IdentitiesView(configs)),
      'mtlsProbe.trustStores': own(new TrustStoresView(configs, linter)),
      'mtlsProbe.runs': own(new RunsView(history)),
    };
    own(vscode.window.createTreeView('mtlsProbe.endpoints', { treeDataProvider: views['mtlsProbe.endpoints'], showCollapseAll: true }));
    own(vscode.window.createTreeView('mtlsProbe.identities', { treeDataProvider: views['mtlsProbe.identities'] }));
    own(vscode.window.createTreeView('mtlsProbe.trustStores', { treeDataProvider: views['mtlsProbe.trustStores'] }));
    own(vscode.window.createTreeView('mtlsProbe.runs', { treeDataProvider: views['mtlsProbe.runs'] }));
    own(vscode.languages.registerHoverProvider([{ scheme: 'file' }, { scheme: 'untitled' }], new CertificateHoverProvider(certificates, this.output)));
    own(vscode.workspace.registerTextDocumentContentProvider(reportScheme, reports));
    own(configs.onDidLoad((loaded) => void diagnostics.checkIdentities(loaded)));
    own(vscode.workspace.onDidGrantWorkspaceTrust(() => configs.reload()));

    // The timeline's buttons reach the same commands as the tree and the palette.
    const timelines = own(
      new TimelinePanels(
        context.extensionUri,
        history,
        {
          showTrace: (run) => vscode.commands.executeCommand('mtlsProbe.showRun', run.id),
          lookAgain: (run) => vscode.commands.executeCommand('mtlsProbe.collectEvidence', run.id),
          exportRuns: (runs, format) => exportRuns(services, runs, format),
        },
        this.output,
      ),
    );
    const lab = own(new LocalLab(this.output));
    const services: CommandServices = { output: this.output, configs, runner, history, passphrases, tests, linter, reports, evidence, timelines, lab };
    const commands = commandTable(services);
    for (const [id, handler] of Object.entries(commands)) own(vscode.commands.registerCommand(id, reportErrors(handler)));

    // Only in the end-to-end suite's extension host: listener and disposable counts (proving load leaves none
    // behind) and the timeline panels' pages (their CSP audited); see test-hooks.ts.
    const testHooks = testHooksDirectory();
    if (testHooks !== undefined) {
      own(
        registerTestHooks(testHooks, {
          counts: () => ({
            ownedDisposables: this.#disposables.length,
            runHistory: history.counts(),
            workspaceConfigs: configs.counts(),
            timeline: timelines.counts(),
            treeViewChangeListeners: Object.fromEntries(Object.entries(views).map(([id, view]) => [id, view.changeListeners])),
            evidenceCollecting: evidence.collecting,
          }),
          timelinePages: () => timelines.pages(),
        }),
      );
    }

    // Documents that were open before activation get their diagnostics after it, not during it.
    const timer = setTimeout(() => diagnostics.checkOpenDocuments(), 0);
    own({ dispose: () => clearTimeout(timer) });
  }

  /**
   * The extension's own activation cost is evaluating its bundle plus running activate(); between the two, VS Code
   * prepares the extension context, which is logged apart because no extension code runs then.
   */
  logActivation(t: { bundleEvaluationMs: number; contextWaitMs: number; activateMs: number }): void {
    const own = t.bundleEvaluationMs + t.activateMs;
    this.output.info(
      `mTLS Probe ${version} activated in ${own.toFixed(1)} ms (bundle ${t.bundleEvaluationMs.toFixed(1)} ms + activate ${t.activateMs.toFixed(1)} ms; VS Code's context preparation in between: ${t.contextWaitMs.toFixed(1)} ms)`,
    );
  }

  dispose(): void {
    for (const d of this.#disposables.reverse()) d.dispose();
  }
}
