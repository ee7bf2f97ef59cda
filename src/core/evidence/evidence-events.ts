// The evidence side of the progress events (../events.ts): each source says what it reads, how many of the probe's
// records it found there, and what could not be read. A collection is named by the probe's correlation id (the
// trace id its records carry) and its run, so a subscriber can put it next to the probe's own events.

import { publishEvent, type EventError, type EvidenceRef } from '../events';
import type { CorrelationKeys, EvidenceCollectOptions } from './types';

export function evidenceRef(keys: CorrelationKeys, options: Pick<EvidenceCollectOptions, 'runId'>): EvidenceRef {
  return { ...(keys.traceId !== undefined ? { correlationId: keys.traceId } : {}), ...(options.runId !== undefined ? { runId: options.runId } : {}) };
}

/**
 * An error as an event carries it: its own code (a string: DOMException's is a number), or ABORT_ERR for a
 * cancel, and its first line.
 */
export function eventError(error: unknown): EventError {
  const err = error as { code?: unknown; name?: unknown; message?: unknown } | null | undefined;
  const code = typeof err?.code === 'string' && err.code !== '' ? err.code : err?.name === 'AbortError' ? 'ABORT_ERR' : 'EUNKNOWN';
  const message = typeof err?.message === 'string' ? err.message : String(error);
  return { code, message: message.split('\n')[0]! };
}

/** One source's reads, as events. */
export class SourceProgress {
  private readonly collection: EvidenceRef;

  constructor(
    private readonly source: string,
    keys: CorrelationKeys,
    options: Pick<EvidenceCollectOptions, 'runId'>,
  ) {
    this.collection = evidenceRef(keys, options);
  }

  private item(item: string, look: number | undefined): { collection: EvidenceRef; source: string; item: string; look?: number } {
    return { collection: this.collection, source: this.source, item, ...(look !== undefined ? { look } : {}) };
  }

  started(item: string, look?: number): void {
    publishEvent('mtls-probe:evidence:sourceStart', () => this.item(item, look));
  }

  /** `records` is counted only when someone listens. */
  found(item: string, records: () => number, look?: number): void {
    publishEvent('mtls-probe:evidence:sourceEnd', () => ({ ...this.item(item, look), records: records() }));
  }

  failed(item: string, error: unknown, look?: number): void {
    publishEvent('mtls-probe:evidence:sourceError', () => ({ ...this.item(item, look), error: eventError(error) }));
  }

  waiting(pending: string[], nextLookAt: Date, until: Date): void {
    publishEvent('mtls-probe:evidence:waiting', () => ({ collection: this.collection, source: this.source, pending, nextLookAt: nextLookAt.toISOString(), until: until.toISOString() }));
  }
}
