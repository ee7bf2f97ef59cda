// The messages between the timeline webview and the extension host, and the state the webview keeps across a
// window reload. Both sides import this one module, so it compiles with and without DOM types and uses neither
// DOM nor Node APIs. The webview is a browser page: whatever it posts is untrusted input for the host.

import { timelineModelVersion, type TimelineModel } from '../core/timeline/model';

/** Initial and every live update (evidence arriving). */
export type HostMessage = { type: 'model'; model: TimelineModel };

export type ExportFormat = 'html' | 'json' | 'otlp';

export type WebviewMessage =
  /** Loaded; the host answers with 'model'. */
  | { type: 'ready' }
  /** Open the run's text trace. */
  | { type: 'showTrace'; runId: string }
  /** null: all runs shown. */
  | { type: 'export'; runId: string | null; format: ExportFormat }
  /** Collect the run's evidence again. */
  | { type: 'lookAgain'; runId: string };

export interface WebviewState {
  model: TimelineModel | null;
  view: {
    mode: 'lanes' | 'sequence';
    /** The visible range of the time axis, in ms on the axis (the first run's clock). */
    viewport?: { from: number; to: number };
    selectedMarkId?: string;
    collapsedRunIds?: string[];
  };
}

/** The report embeds its model in `<script type="application/json" id=…>`; the renderer reads it from there. */
export const embeddedModelElementId = 'mtls-probe-timeline-model';

const maxStringLength = 200;
const exportFormats: readonly string[] = ['html', 'json', 'otlp'] satisfies ExportFormat[];

/** A plain object from JSON or structured clone: anything with another prototype (or getters) is not a message. */
function plainRecord(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return null;
  return value as Record<string, unknown>;
}

function hasExactly(record: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Reflect.ownKeys(record);
  return own.length === keys.length && own.every((key) => typeof key === 'string' && keys.includes(key) && Object.getOwnPropertyDescriptor(record, key)?.get === undefined);
}

function boundedString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxStringLength;
}

/** Validates what a webview posted: exact shapes only, and a fresh object so nothing of the input is kept. */
export function parseWebviewMessage(value: unknown): WebviewMessage | null {
  const record = plainRecord(value);
  if (record === null) return null;
  switch (record.type) {
    case 'ready':
      return hasExactly(record, ['type']) ? { type: 'ready' } : null;
    case 'showTrace':
    case 'lookAgain': {
      if (!hasExactly(record, ['type', 'runId']) || !boundedString(record.runId)) return null;
      return { type: record.type, runId: record.runId };
    }
    case 'export': {
      if (!hasExactly(record, ['type', 'runId', 'format'])) return null;
      const { runId, format } = record;
      if (runId !== null && !boundedString(runId)) return null;
      if (typeof format !== 'string' || !exportFormats.includes(format)) return null;
      return { type: 'export', runId, format: format as ExportFormat };
    }
    default:
      return null;
  }
}

/** The envelope and the model's version; the model itself comes from the extension's own code. */
export function isHostMessage(value: unknown): value is HostMessage {
  const record = plainRecord(value);
  if (record === null || record.type !== 'model') return false;
  const model = plainRecord(record.model);
  return (
    model !== null &&
    model.version === timelineModelVersion &&
    typeof model.title === 'string' &&
    typeof model.generatedAt === 'string' &&
    Array.isArray(model.lanes) &&
    Array.isArray(model.runs)
  );
}
