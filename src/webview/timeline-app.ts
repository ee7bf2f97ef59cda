// The whole screen: the model's title, the verdicts (read first by screen readers), the toolbar, the lanes or
// the sequence diagram, and the details pane. It owns the view state — mode, visible range, selection, collapsed
// runs — keeps it across live updates of the same runs, and hands it to the host to survive a reload.

import type { TimelineModel, TimelineRun } from '../core/timeline/model';
import { compactBanner, fullBanner, runCard } from './banner';
import { DetailsPane } from './details-pane';
import { button, h } from './dom';
import type { Host } from './host';
import { installIconSprite } from './icons';
import { LanesView } from './lanes-view';
import type { WebviewState } from './protocol';
import { SequenceView } from './sequence-view';
import { prepareTimeline, sameRuns, type MarkLocation, type PreparedTimeline } from './timeline-data';
import type { TimeRange } from './axis';
import { Toolbar } from './toolbar';
import { zoomStep } from './viewport';

interface ViewState {
  mode: 'lanes' | 'sequence';
  viewport: TimeRange | null;
  selectedMarkId: string | null;
  collapsed: Set<string>;
}

const saveDelayMs = 250;

function canLookAgain(run: TimelineRun): boolean {
  return run.evidence.coverage.some((c) => c.state === 'missing' || c.state === 'not-yet-available');
}

export class TimelineApp {
  private model: TimelineModel | null = null;
  private timeline: PreparedTimeline | null = null;
  private view: ViewState = { mode: 'lanes', viewport: null, selectedMarkId: null, collapsed: new Set() };
  private readonly title = h('h1', { class: 'app-title' });
  private readonly asOf = h('p', { class: 'app-as-of' });
  private readonly verdicts = h('section', { class: 'verdicts', role: 'status', 'aria-live': 'polite', 'aria-label': 'Verdict' });
  private readonly viewHost = h('div', { class: 'view-host' });
  private readonly toolbar: Toolbar;
  private readonly details: DetailsPane;
  private readonly lanes: LanesView;
  private sequence: SequenceView | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private renderedOnce = false;
  private settingModel = false;

  constructor(
    root: HTMLElement,
    private readonly host: Host,
  ) {
    installIconSprite(document);
    this.toolbar = new Toolbar({
      setMode: (mode) => this.setMode(mode),
      fitAll: () => this.lanes.fitAll(),
      probeWindow: () => this.lanes.showProbeWindow(),
      zoom: (direction) => this.lanes.zoomAtCentre(direction > 0 ? zoomStep : 1 / zoomStep),
      ...(host.inWebview
        ? {
            host: {
              showTrace: () => this.postForFirstRun('showTrace'),
              exportAs: (format) => host.post({ type: 'export', runId: this.model?.runs.length === 1 ? this.model.runs[0]!.id : null, format }),
              lookAgain: () => this.postForFirstRun('lookAgain'),
            },
          }
        : {}),
    });
    this.details = new DetailsPane({ onClose: () => this.closeDetails(), onSelectMark: (id) => this.select(id, true) });
    this.lanes = new LanesView({
      onSelect: (id) => this.select(id, false),
      onViewportChange: (range) => {
        this.view.viewport = range;
        this.saveSoon();
      },
      onToggleRun: (runId) => this.toggleRun(runId),
      onShowCluster: (ids) => this.showCluster(ids),
      runActions: (run) => this.runActions(run),
      compactBanner,
      onDrawn: () => this.markRendered(),
    });
    const header = h('header', { class: 'app-header' }, this.title, this.asOf);
    root.classList.add('timeline-app');
    root.replaceChildren(header, this.verdicts, this.toolbar.element, h('div', { class: 'workspace' }, this.viewHost, this.details.element));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.details.isOpen) {
        e.preventDefault();
        this.closeDetails();
      }
    });
  }

  /** The first draw, and every live update; `restored` is the view saved before a window reload. */
  setModel(model: TimelineModel, restored?: WebviewState['view']): void {
    this.settingModel = true;
    if (restored !== undefined) {
      this.view = { mode: restored.mode, viewport: restored.viewport ?? null, selectedMarkId: restored.selectedMarkId ?? null, collapsed: new Set(restored.collapsedRunIds ?? []) };
    } else if (this.model === null || !sameRuns(this.model, model)) {
      this.view = { mode: this.view.mode, viewport: null, selectedMarkId: null, collapsed: new Set() };
    }
    this.model = model;
    this.timeline = prepareTimeline(model);
    if (this.view.selectedMarkId !== null && !this.timeline.marks.has(this.view.selectedMarkId)) this.view.selectedMarkId = null;
    this.title.textContent = model.title;
    this.asOf.textContent = `mTLS Probe timeline · as of ${model.generatedAt}`;
    document.title = model.title;
    this.verdicts.classList.toggle('is-compare', model.runs.length > 1);
    this.verdicts.replaceChildren(...(model.runs.length === 1 ? [fullBanner(model.runs[0]!)] : model.runs.map((run, i) => runCard(run, i))));
    this.showView();
    const selected = this.view.selectedMarkId === null ? undefined : this.timeline.marks.get(this.view.selectedMarkId);
    if (selected !== undefined) this.details.showMark(selected, model.runs.length > 1);
    else this.details.close();
    this.saveSoon();
    this.settingModel = false;
    this.markRendered();
  }

  private showView(): void {
    const timeline = this.timeline;
    if (timeline === null) return;
    const first = timeline.model.runs[0];
    this.toolbar.update({ mode: this.view.mode, singleRun: timeline.model.runs.length === 1, canLookAgain: first !== undefined && canLookAgain(first) });
    if (this.view.mode === 'lanes') {
      if (this.viewHost.firstChild !== this.lanes.element) this.viewHost.replaceChildren(this.lanes.element);
      this.lanes.setTimeline(timeline, { viewport: this.view.viewport, collapsedRunIds: this.view.collapsed, selectedMarkId: this.view.selectedMarkId });
    } else {
      this.sequence ??= new SequenceView({ onSelect: (id) => this.select(id, false), onToggleRun: (runId) => this.toggleRun(runId), compactBanner });
      if (this.viewHost.firstChild !== this.sequence.element) this.viewHost.replaceChildren(this.sequence.element);
      this.sequence.setTimeline(timeline, this.view.collapsed, this.view.selectedMarkId);
    }
  }

  /** Tells tests and the benchmark that the first complete picture (verdicts, view, restored details) is there. */
  private markRendered(): void {
    if (this.renderedOnce || this.settingModel || (this.view.mode === 'lanes' && !this.lanes.hasDrawn)) return;
    this.renderedOnce = true;
    performance.mark('mtls-probe-timeline-rendered');
    document.body.dataset.rendered = 'true';
  }

  private setMode(mode: 'lanes' | 'sequence'): void {
    if (this.view.mode === mode) return;
    if (mode === 'sequence') this.view.viewport = this.lanes.viewportRange;
    this.view.mode = mode;
    this.showView();
    this.saveSoon();
  }

  private toggleRun(runId: string): void {
    // A new set: the lanes view compares it with the one it was given to know whether to rebuild.
    const collapsed = new Set(this.view.collapsed);
    if (collapsed.has(runId)) collapsed.delete(runId);
    else collapsed.add(runId);
    this.view.collapsed = collapsed;
    this.view.viewport = this.lanes.viewportRange ?? this.view.viewport;
    this.showView();
    const toggle = this.viewHost.querySelector<HTMLElement>(`[data-run-id="${CSS.escape(runId)}"] .run-toggle, .seq-run[data-run-id="${CSS.escape(runId)}"]`);
    toggle?.focus();
    this.saveSoon();
  }

  private select(markId: string, focusMark: boolean): void {
    const location = this.timeline?.marks.get(markId);
    if (location === undefined) return;
    this.view.selectedMarkId = markId;
    this.details.showMark(location, (this.model?.runs.length ?? 0) > 1);
    this.lanes.setSelected(markId);
    this.sequence?.setSelected(markId);
    if (focusMark) this.focusMark(markId);
    this.saveSoon();
  }

  private showCluster(markIds: string[]): void {
    const locations = markIds.map((id) => this.timeline?.marks.get(id)).filter((l): l is MarkLocation => l !== undefined);
    this.details.showCluster(locations);
  }

  private closeDetails(): void {
    const markId = this.view.selectedMarkId;
    this.details.close();
    this.view.selectedMarkId = null;
    this.lanes.setSelected(null);
    this.sequence?.setSelected(null);
    if (markId !== null) this.focusMark(markId);
    this.saveSoon();
  }

  private focusMark(markId: string): void {
    if (this.view.mode === 'lanes') this.lanes.focusMark(markId);
    else this.sequence?.focusMark(markId);
  }

  private postForFirstRun(type: 'showTrace' | 'lookAgain'): void {
    const run = this.model?.runs[0];
    if (run !== undefined) this.host.post({ type, runId: run.id });
  }

  private runActions(run: TimelineRun): HTMLElement | null {
    if (!this.host.inWebview) return null;
    const actions = h('span', { class: 'run-actions' }, button(`Show trace of ${run.title}`, () => this.host.post({ type: 'showTrace', runId: run.id }), { class: 'tool small' }, 'Show trace'));
    if (canLookAgain(run)) actions.append(button(`Look again for evidence of ${run.title}`, () => this.host.post({ type: 'lookAgain', runId: run.id }), { class: 'tool small' }, 'Look again'));
    return actions;
  }

  /** View changes are saved at most every quarter second, with the model as it is (never copied). */
  private saveSoon(): void {
    if (!this.host.inWebview || this.saveTimer !== null) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saveNow();
    }, saveDelayMs);
  }

  /**
   * A new model is saved at once: VS Code restores after a window reload only the panels that have saved state, so
   * a reload right after the panel opened must still find it.
   */
  private saveNow(): void {
    if (!this.host.inWebview) return;
    const viewport = this.view.mode === 'lanes' ? this.lanes.viewportRange : this.view.viewport;
    const view: WebviewState['view'] = { mode: this.view.mode };
    if (viewport !== null) view.viewport = viewport;
    if (this.view.selectedMarkId !== null) view.selectedMarkId = this.view.selectedMarkId;
    if (this.view.collapsed.size > 0) view.collapsedRunIds = [...this.view.collapsed];
    this.host.saveState({ model: this.model, view });
  }
}
