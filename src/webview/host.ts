// The page's link to the extension host. Inside a VS Code webview `acquireVsCodeApi` exists (and may be called
// once); in the standalone report it does not, and nothing is ever posted anywhere.

import type { WebviewMessage, WebviewState } from './protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

export interface Host {
  /** False in the standalone report: actions that need the extension are not offered there. */
  readonly inWebview: boolean;
  post(message: WebviewMessage): void;
  restoreState(): WebviewState | null;
  saveState(state: WebviewState): void;
}

function isWebviewState(value: unknown): value is WebviewState {
  if (typeof value !== 'object' || value === null) return false;
  const view = (value as { view?: unknown }).view;
  return typeof view === 'object' && view !== null && ((view as { mode?: unknown }).mode === 'lanes' || (view as { mode?: unknown }).mode === 'sequence');
}

export function connectHost(): Host {
  if (typeof acquireVsCodeApi !== 'function') {
    return { inWebview: false, post: () => undefined, restoreState: () => null, saveState: () => undefined };
  }
  const api = acquireVsCodeApi();
  return {
    inWebview: true,
    post: (message) => api.postMessage(message),
    restoreState: () => {
      const state = api.getState();
      return isWebviewState(state) ? state : null;
    },
    saveState: (state) => api.setState(state),
  };
}
