import { setMaxListeners } from 'node:events';
import type { ClientIdentity } from '../identity/client-identity';
import { probe } from './probe';
import type { ProbeOptions, ProbeResult } from './types';

export interface MatrixEndpoint {
  label: string;
  options: Omit<ProbeOptions, 'identity' | 'signal'>;
}

export interface MatrixIdentity {
  label: string;
  identity: ClientIdentity | null;
}

export interface MatrixRow {
  endpoint: string;
  identity: string;
  iteration: number;
  result: ProbeResult;
}

export interface MatrixOptions {
  /** Probes in flight at once (default 16). */
  concurrency?: number;
  /** Each endpoint × identity pair is probed this many times (default 1). */
  repeat?: number;
  signal?: AbortSignal;
  /** Called for each probe that finished, in completion order, at the next idle moment (see RowReporter). */
  onRow?: (row: MatrixRow) => void;
}

/**
 * Probes every endpoint × identity pair with a bounded pool. Identities are loaded once by the caller
 * and shared; results come back in case order whatever the completion order.
 */
export async function runMatrix(endpoints: MatrixEndpoint[], identities: MatrixIdentity[], options: MatrixOptions = {}): Promise<MatrixRow[]> {
  const repeat = Math.max(1, options.repeat ?? 1);
  const cases: Array<{ endpoint: MatrixEndpoint; identity: MatrixIdentity; iteration: number }> = [];
  for (let iteration = 0; iteration < repeat; iteration++) {
    for (const endpoint of endpoints) for (const identity of identities) cases.push({ endpoint, identity, iteration });
  }
  const rows: MatrixRow[] = new Array(cases.length);
  const reporter = new RowReporter(options.onRow);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      if (options.signal?.aborted || reporter.failed) return;
      const index = next++;
      const c = cases[index]!;
      const { result } = await probe({ ...c.endpoint.options, identity: c.identity.identity, ...(options.signal ? { signal: options.signal } : {}) });
      const row: MatrixRow = { endpoint: c.endpoint.label, identity: c.identity.label, iteration: c.iteration, result };
      rows[index] = row;
      reporter.report(row);
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 16, cases.length));
  // Every probe in flight listens on the one signal: that is by design, not a leak.
  if (options.signal) setMaxListeners(concurrency * 2 + 10, options.signal);
  await Promise.all(Array.from({ length: concurrency }, worker));
  await reporter.flushed();
  return rows.filter((r) => r !== undefined);
}

/**
 * Hands each row to `onRow` at the next idle moment rather than at once: a row's output (the run JSON of a whole
 * trace, some 20 KB) is then written while the worker's next probe waits for its server, instead of before that probe
 * starts. Rows keep their completion order; what `onRow` throws ends the matrix as before, once the probes in flight
 * are done.
 */
class RowReporter {
  private failure: { error: unknown } | null = null;

  constructor(private readonly onRow: ((row: MatrixRow) => void) | undefined) {}

  /** `onRow` threw: no more probes are started. */
  get failed(): boolean {
    return this.failure !== null;
  }

  report(row: MatrixRow): void {
    const onRow = this.onRow;
    if (onRow === undefined) return;
    setImmediate(() => {
      if (this.failure !== null) return;
      try {
        onRow(row);
      } catch (error) {
        this.failure = { error };
      }
    });
  }

  /** Resolves once every row reported so far went out (immediates run in order); rejects with what `onRow` threw. */
  async flushed(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.failure !== null) throw this.failure.error;
  }
}
