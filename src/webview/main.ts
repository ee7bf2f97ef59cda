// The timeline's entry point, the same bundle in the extension's webview panel and in the self-contained report.
// In the panel the model comes from the extension (and from the saved state after a window reload); in the
// report it is embedded in the page as JSON.

import { h } from './dom';
import { connectHost } from './host';
import { embeddedModelElementId, isHostMessage } from './protocol';
import { TimelineApp } from './timeline-app';

function showProblem(root: HTMLElement, text: string): void {
  root.replaceChildren(h('p', { class: 'load-problem', role: 'alert' }, text));
}

function start(): void {
  const root = document.getElementById('timeline-root') ?? document.body.appendChild(h('div', { id: 'timeline-root' }));
  const host = connectHost();
  const app = new TimelineApp(root, host);
  if (host.inWebview) {
    const state = host.restoreState();
    if (state?.model !== null && state?.model !== undefined && isHostMessage({ type: 'model', model: state.model })) app.setModel(state.model, state.view);
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isHostMessage(event.data)) app.setModel(event.data.model);
    });
    host.post({ type: 'ready' });
    return;
  }
  const embedded = document.getElementById(embeddedModelElementId)?.textContent;
  if (embedded === undefined || embedded === null) return showProblem(root, 'This report holds no timeline.');
  let model: unknown;
  try {
    model = JSON.parse(embedded);
  } catch {
    return showProblem(root, 'The timeline in this report is not valid JSON.');
  }
  const message = { type: 'model', model };
  if (!isHostMessage(message)) return showProblem(root, 'The timeline in this report was written by another version of mTLS Probe.');
  app.setModel(message.model);
}

// The report puts this script after the root and the model: it can start at once rather than after the parser.
if (document.readyState !== 'loading' || document.getElementById('timeline-root') !== null) start();
else document.addEventListener('DOMContentLoaded', start, { once: true });
