import * as vscode from 'vscode';
import type { RunExportFormat } from '../core/report/run-exports';
import { cspNonce, timelinePageHtml } from '../core/report/timeline-html';
import type { TimelineModel } from '../core/timeline/model';
import { parseWebviewMessage, type HostMessage, type WebviewMessage, type WebviewState } from '../webview/protocol';
import { loadProbeEngine } from './lazy-modules';
import type { ProbeRun, RunHistory } from './run-history';

// The timeline webview: one panel per set of runs (one run, or several compared), redrawn as evidence arrives,
// restored after a window reload from the state the webview keeps (runs live in memory, so a restored panel shows
// what it last drew). The page runs the renderer bundle under a strict CSP; what it posts is untrusted input.

export const timelineViewType = 'mtlsProbe.timeline';

/** What the panel's buttons ask of the rest of the extension. */
export interface TimelineActions {
  showTrace(run: ProbeRun): Thenable<unknown> | Promise<unknown>;
  exportRuns(runs: ProbeRun[], format: RunExportFormat): Thenable<unknown> | Promise<unknown>;
  lookAgain(run: ProbeRun): Thenable<unknown> | Promise<unknown>;
}

/** Live updates arrive in bursts (several evidence looks in a row): redraw at most this often. */
const redrawDelayMs = 50;

/** What every panel adds to, for the test hooks: live message listeners, and the messages taken and refused. */
export interface TimelineMessageStats {
  messageListeners: number;
  accepted: number;
  rejected: number;
}

/** An open panel's page as the webview was given it, for the test hooks' audit of its CSP and resource roots. */
export interface TimelinePageSnapshot {
  title: string;
  runIds: string[];
  html: string;
  cspSource: string;
  enableScripts: boolean;
  enableCommandUris: boolean | readonly string[];
  localResourceRoots: string[];
  /** The same roots as the page addresses them (webview.asWebviewUri). */
  webviewResourceRoots: string[];
  extensionUri: string;
}

/** The message types a page may send: the only words of a refused message the log repeats. */
const knownTypes: ReadonlySet<unknown> = new Set(['ready', 'showTrace', 'export', 'lookAgain'] satisfies Array<WebviewMessage['type']>);

/** A refused message's type for the log when it is one of ours (of the wrong shape); nothing else the page sent. */
function loggableType(raw: unknown): string {
  const type = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? Object.getOwnPropertyDescriptor(raw, 'type')?.value : undefined;
  return knownTypes.has(type) ? ` (type "${String(type)}")` : '';
}

class TimelinePanel implements vscode.Disposable {
  readonly #subscriptions: vscode.Disposable[] = [];
  #redraw: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;
  /** True once a run changed after the page was given its model: 'ready' then asks for a fresh one. */
  #stale: boolean;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly runIds: readonly string[],
    private readonly history: RunHistory,
    private readonly actions: TimelineActions,
    private readonly output: vscode.LogOutputChannel,
    private readonly onDispose: (panel: TimelinePanel) => void,
    pageHasModel: boolean,
    private readonly stats: TimelineMessageStats,
  ) {
    this.#stale = !pageHasModel;
    const messages = panel.webview.onDidReceiveMessage((message: unknown) => this.#receive(message));
    stats.messageListeners++;
    this.#subscriptions.push(
      {
        dispose: () => {
          messages.dispose();
          stats.messageListeners--;
        },
      },
      history.onDidChangeRun((run) => {
        if (!this.runIds.includes(run.id)) return;
        this.#stale = true;
        this.#scheduleRedraw();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** The runs still in the history (after a window reload there are none: the webview shows its saved state). */
  runs(): ProbeRun[] {
    return this.runIds.map((id) => this.history.get(id)).filter((r): r is ProbeRun => r !== undefined);
  }

  async post(): Promise<void> {
    const runs = this.runs();
    if (runs.length === 0 || this.#disposed) return;
    this.#stale = false;
    const engine = await loadProbeEngine();
    const model: TimelineModel = engine.buildTimeline(runs);
    const message: HostMessage = { type: 'model', model };
    if (!this.#disposed) await this.panel.webview.postMessage(message);
  }

  #scheduleRedraw(): void {
    if (this.#redraw !== undefined) return;
    this.#redraw = setTimeout(() => {
      this.#redraw = undefined;
      void this.post();
    }, redrawDelayMs);
  }

  #receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    // A run the panel does not show is no run the page may act on, whatever the history holds.
    if (message === null || (message.type !== 'ready' && message.runId !== null && !this.runIds.includes(message.runId))) {
      this.stats.rejected++;
      // One line, naming at most the message's type: nothing else the page sent is repeated anywhere.
      this.output.warn(`Timeline: ignored a message from the webview that is not one it may send${loggableType(raw)}.`);
      return;
    }
    this.stats.accepted++;
    void this.#handle(message).catch((error: unknown) => void vscode.window.showErrorMessage(`mTLS Probe: ${(error as Error).message}`));
  }

  async #handle(message: WebviewMessage): Promise<void> {
    // The page was created with its model: answer 'ready' only when a run changed since.
    if (message.type === 'ready') return this.#stale ? this.post() : undefined;
    const runs = this.runs();
    const pick = (id: string | null): ProbeRun[] => (id === null ? runs : runs.filter((r) => r.id === id));
    const chosen = pick(message.runId);
    if (chosen.length === 0) {
      void vscode.window.showInformationMessage('mTLS Probe: this run is from an earlier window; only its timeline is kept. Probe again to export it or look for its evidence.');
      return;
    }
    if (message.type === 'showTrace') await this.actions.showTrace(chosen[0]!);
    else if (message.type === 'lookAgain') await this.actions.lookAgain(chosen[0]!);
    else await this.actions.exportRuns(chosen, message.format);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#redraw !== undefined) clearTimeout(this.#redraw);
    for (const s of this.#subscriptions) s.dispose();
    this.#subscriptions.length = 0;
    this.panel.dispose();
    this.onDispose(this);
  }
}

export class TimelinePanels implements vscode.Disposable, vscode.WebviewPanelSerializer<WebviewState> {
  readonly #panels = new Set<TimelinePanel>();
  readonly #registration: vscode.Disposable;
  readonly #stats: TimelineMessageStats = { messageListeners: 0, accepted: 0, rejected: 0 };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly history: RunHistory,
    private readonly actions: TimelineActions,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.#registration = vscode.window.registerWebviewPanelSerializer(timelineViewType, this);
  }

  /** Shows these runs: the panel that already shows exactly them comes to the front, else a new one opens. */
  async show(runIds: readonly string[]): Promise<void> {
    const same = [...this.#panels].find((p) => p.runIds.length === runIds.length && p.runIds.every((id, i) => id === runIds[i]));
    if (same !== undefined) {
      same.panel.reveal();
      await same.post();
      return;
    }
    // The model goes into the first page itself: the verdict is drawn without waiting for a message round trip.
    const runs = runIds.map((id) => this.history.get(id)).filter((r): r is ProbeRun => r !== undefined);
    const model = runs.length > 0 ? (await loadProbeEngine()).buildTimeline(runs) : null;
    const panel = vscode.window.createWebviewPanel(timelineViewType, this.#title(runIds), vscode.ViewColumn.Active, this.#options());
    this.#attach(panel, runIds, model);
  }

  /** After a window reload: the webview draws its saved model at once; the runs, if still here, redraw it live. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: WebviewState | undefined): Promise<void> {
    const ids = state?.model?.runs.map((r) => r.id) ?? [];
    panel.webview.options = this.#options();
    this.#attach(panel, ids, null);
  }

  #attach(panel: vscode.WebviewPanel, runIds: readonly string[], model: TimelineModel | null): void {
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'mtls-probe.svg');
    panel.webview.html = this.#html(panel.webview, model);
    const timeline = new TimelinePanel(panel, [...runIds], this.history, this.actions, this.output, (p) => this.#panels.delete(p), model !== null, this.#stats);
    this.#panels.add(timeline);
  }

  /** The open panels' pages and webview options, for the test hooks. */
  pages(): TimelinePageSnapshot[] {
    return [...this.#panels].map(({ panel, runIds }) => ({
      title: panel.title,
      runIds: [...runIds],
      html: panel.webview.html,
      cspSource: panel.webview.cspSource,
      enableScripts: panel.webview.options.enableScripts ?? false,
      enableCommandUris: panel.webview.options.enableCommandUris ?? false,
      localResourceRoots: (panel.webview.options.localResourceRoots ?? []).map((uri) => uri.toString()),
      webviewResourceRoots: (panel.webview.options.localResourceRoots ?? []).map((uri) => panel.webview.asWebviewUri(uri).toString()),
      extensionUri: this.extensionUri.toString(),
    }));
  }

  /** What the test hooks report: open panels, their live message listeners, messages taken and refused so far. */
  counts(): { panels: number } & TimelineMessageStats {
    return { panels: this.#panels.size, ...this.#stats };
  }

  #title(runIds: readonly string[]): string {
    if (runIds.length !== 1) return `Timeline: compare ${runIds.length} runs`;
    const run = this.history.get(runIds[0]!);
    return run !== undefined ? `Timeline: ${run.endpointName} · ${run.identityName === 'none' ? 'no certificate' : run.identityName}` : 'Timeline';
  }

  #options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      // The renderer bundle and the stylesheet, nothing else: no workspace file is reachable from the page.
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.extensionUri, 'media')],
      enableFindWidget: true,
    };
  }

  #html(webview: vscode.Webview, model: TimelineModel | null): string {
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'timeline.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'timeline.css'));
    const nonce = cspNonce();
    return timelinePageHtml({
      csp: [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; '),
      title: 'mTLS Probe timeline',
      head: `<link rel="stylesheet" href="${style.toString()}">`,
      model,
      script: `<script nonce="${nonce}" src="${script.toString()}"></script>`,
    });
  }

  dispose(): void {
    for (const panel of [...this.#panels]) panel.dispose();
    this.#registration.dispose();
  }
}
