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
  /** Called as each probe finishes, in completion order. */
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
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      if (options.signal?.aborted) return;
      const index = next++;
      const c = cases[index]!;
      const { result } = await probe({ ...c.endpoint.options, identity: c.identity.identity, ...(options.signal ? { signal: options.signal } : {}) });
      const row: MatrixRow = { endpoint: c.endpoint.label, identity: c.identity.label, iteration: c.iteration, result };
      rows[index] = row;
      options.onRow?.(row);
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 16, cases.length));
  // Every probe in flight listens on the one signal: that is by design, not a leak.
  if (options.signal) setMaxListeners(concurrency * 2 + 10, options.signal);
  await Promise.all(Array.from({ length: concurrency }, worker));
  return rows.filter((r) => r !== undefined);
}
