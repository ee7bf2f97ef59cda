// The timeline's entry point, the same bundle in the extension's webview panel and in the self-contained report.
// In the panel the model comes from the extension (and from the saved state after a window reload); in the
// report it is embedded in the page as JSON.

import { h } from './dom';
import { connectHost } from './host';
import { embeddedModelElementId, isHostMessage } from './protocol';
import { TimelineApp } from './timeline-app';
import type { TimelineModel } from '../core/timeline/model';

function showProblem(root: HTMLElement, text: string): void {
  root.replaceChildren(h('p', { class: 'load-problem', role: 'alert' }, text));
}

/** The model the page carries (the report's, or the panel's first), or why it cannot be drawn. */
function embeddedModel(): { model: TimelineModel } | { problem: string } | null {
  const embedded = document.getElementById(embeddedModelElementId)?.textContent;
  if (embedded === undefined || embedded === null) return null;
  let model: unknown;
  try {
    model = JSON.parse(embedded);
  } catch {
    return { problem: 'The timeline in this report is not valid JSON.' };
  }
  const message = { type: 'model', model };
  return isHostMessage(message) ? { model: message.model } : { problem: 'The timeline in this report was written by another version of mTLS Probe.' };
}

function start(): void {
  const root = document.getElementById('timeline-root') ?? document.body.appendChild(h('div', { id: 'timeline-root' }));
  const host = connectHost();
  const app = new TimelineApp(root, host);
  const embedded = embeddedModel();
  if (host.inWebview) {
    // After a window reload the saved state is the picture; a new panel's page carries its first model itself.
    const state = host.restoreState();
    if (state?.model !== null && state?.model !== undefined && isHostMessage({ type: 'model', model: state.model })) app.setModel(state.model, state.view);
    else if (embedded !== null && 'model' in embedded) app.setModel(embedded.model);
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isHostMessage(event.data)) app.setModel(event.data.model);
    });
    host.post({ type: 'ready' });
    return;
  }
  if (embedded === null) return showProblem(root, 'This report holds no timeline.');
  if ('problem' in embedded) return showProblem(root, embedded.problem);
  app.setModel(embedded.model);
}

// The report puts this script after the root and the model: it can start at once rather than after the parser.
if (document.readyState !== 'loading' || document.getElementById('timeline-root') !== null) start();
else document.addEventListener('DOMContentLoaded', start, { once: true });
