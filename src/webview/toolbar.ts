// The toolbar: Lanes | Sequence, the axis controls, and — in the extension's panel only — the actions that need
// the extension: the run's text trace, export, and looking again for evidence that had not arrived.

import type { ExportFormat } from './protocol';
import { button, h, icon } from './dom';

export interface ToolbarActions {
  setMode(mode: 'lanes' | 'sequence'): void;
  fitAll(): void;
  probeWindow(): void;
  zoom(direction: 1 | -1): void;
  /** Present in the webview only. */
  host?: {
    showTrace(): void;
    exportAs(format: ExportFormat): void;
    lookAgain(): void;
  };
}

export interface ToolbarState {
  mode: 'lanes' | 'sequence';
  /** One run is shown: its trace can be opened. */
  singleRun: boolean;
  /** The run has evidence that is missing or not yet available. */
  canLookAgain: boolean;
}

const exportChoices: Array<[ExportFormat, string]> = [
  ['html', 'HTML report'],
  ['json', 'JSON'],
  ['otlp', 'OpenTelemetry JSON'],
];

export class Toolbar {
  readonly element: HTMLElement;
  private readonly modeButtons: Record<'lanes' | 'sequence', HTMLButtonElement>;
  private readonly axisButtons: HTMLElement;
  private readonly traceButton: HTMLButtonElement | null = null;
  private readonly lookAgainButton: HTMLButtonElement | null = null;

  constructor(actions: ToolbarActions) {
    this.modeButtons = {
      lanes: button('Lanes', () => actions.setMode('lanes'), { class: 'segment', 'aria-pressed': 'true' }),
      sequence: button('Sequence', () => actions.setMode('sequence'), { class: 'segment', 'aria-pressed': 'false' }),
    };
    this.axisButtons = h(
      'span',
      { class: 'toolbar-group', role: 'group', 'aria-label': 'Time axis' },
      button('Fit all', () => actions.fitAll(), { class: 'tool', title: 'Show everything (0)' }),
      button('Probe window', () => actions.probeWindow(), { class: 'tool', title: 'Zoom to the probe’s own time span' }),
      button('Zoom out', () => actions.zoom(-1), { class: 'tool icon-only', title: 'Zoom out (−)' }, h('span', { 'aria-hidden': 'true' }, '−')),
      button('Zoom in', () => actions.zoom(1), { class: 'tool icon-only', title: 'Zoom in (+)' }, h('span', { 'aria-hidden': 'true' }, '+')),
    );
    const groups: HTMLElement[] = [h('span', { class: 'toolbar-group segmented', role: 'group', 'aria-label': 'View' }, this.modeButtons.lanes, this.modeButtons.sequence), this.axisButtons];
    if (actions.host !== undefined) {
      const host = actions.host;
      this.traceButton = button('Show trace', () => host.showTrace(), { class: 'tool' });
      this.lookAgainButton = button('Look again for evidence', () => host.lookAgain(), { class: 'tool' }, icon('clock', 'inline-icon'), 'Look again for evidence');
      groups.push(h('span', { class: 'toolbar-group toolbar-end' }, this.traceButton, this.exportMenu(host.exportAs), this.lookAgainButton));
    }
    this.element = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Timeline' }, ...groups);
  }

  update(state: ToolbarState): void {
    for (const mode of ['lanes', 'sequence'] as const) this.modeButtons[mode].setAttribute('aria-pressed', String(state.mode === mode));
    this.axisButtons.hidden = state.mode !== 'lanes';
    if (this.traceButton !== null) this.traceButton.hidden = !state.singleRun;
    if (this.lookAgainButton !== null) this.lookAgainButton.hidden = !(state.singleRun && state.canLookAgain);
  }

  /** A menu button: the menu opens below it, arrows move, Escape or a choice closes it. */
  private exportMenu(exportAs: (format: ExportFormat) => void): HTMLElement {
    const items = exportChoices.map(([format, label]) => button(label, () => choose(format), { role: 'menuitem', tabindex: '-1', class: 'menu-item' }));
    const menu = h('div', { class: 'menu', role: 'menu', 'aria-label': 'Export as' }, ...items);
    menu.hidden = true;
    const trigger = button('Export…', () => (menu.hidden ? open() : close()), { class: 'tool', 'aria-haspopup': 'menu', 'aria-expanded': 'false' });
    const open = (): void => {
      menu.hidden = false;
      trigger.setAttribute('aria-expanded', 'true');
      items[0]?.focus();
    };
    const close = (): void => {
      menu.hidden = true;
      trigger.setAttribute('aria-expanded', 'false');
    };
    const choose = (format: ExportFormat): void => {
      close();
      trigger.focus();
      exportAs(format);
    };
    menu.addEventListener('keydown', (event) => {
      const index = items.indexOf(document.activeElement as HTMLButtonElement);
      const next = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: items.length - 1 }[event.key];
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        close();
        trigger.focus();
      } else if (next !== undefined) {
        event.preventDefault();
        items[(next + items.length) % items.length]?.focus();
      }
    });
    const wrapper = h('span', { class: 'menu-wrapper' }, trigger, menu);
    wrapper.addEventListener('focusout', (event) => {
      if (!wrapper.contains(event.relatedTarget as Node | null)) close();
    });
    return wrapper;
  }
}
