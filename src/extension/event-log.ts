import type * as vscode from 'vscode';
import { subscribeEvents } from '../core/events';
import { eventLine } from '../core/events-text';

// The output channel as a subscriber of the probe and evidence events (src/core/events.ts): each phase, each log
// file or AWS lookup, as it happens. At the channel's default level (Info) only what went wrong shows (a source
// that could not be read, as a warning); "Developer: Set Log Level…" → Debug shows each source and verdict as it
// comes, Trace each phase too. The probe engine runs in a lazily loaded bundle, but diagnostics_channel channels are
// process-wide by name, so subscribing here does not load it.

/** Subscribes the output channel to the events until disposed. */
export function logEventsTo(output: vscode.LogOutputChannel): vscode.Disposable {
  const unsubscribe = subscribeEvents((event) => {
    const { level, text } = eventLine(event);
    output[level](text);
  });
  return { dispose: unsubscribe };
}
