import type { ClientIdentity } from '../identity/client-identity';
import { probe } from './probe';
import type { ProbeOptions, ProbeResult } from './types';

// A matrix's cases and the lanes that probe them: what the thread that runs the matrix and each of its worker
// threads (matrix-worker.ts) do alike.

export interface MatrixEndpoint {
  label: string;
  /** What every probe of this endpoint is given: plain data, since a matrix's worker threads receive a copy. */
  options: Omit<ProbeOptions, 'identity' | 'signal' | 'onPhase'>;
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

export interface MatrixCase {
  endpoint: MatrixEndpoint;
  identity: MatrixIdentity;
  iteration: number;
}

/** Every endpoint × identity pair, `repeat` times, in the order rows are returned. */
export function matrixCases(endpoints: readonly MatrixEndpoint[], identities: readonly MatrixIdentity[], repeat: number): MatrixCase[] {
  const cases: MatrixCase[] = [];
  for (let iteration = 0; iteration < repeat; iteration++) {
    for (const endpoint of endpoints) for (const identity of identities) cases.push({ endpoint, identity, iteration });
  }
  return cases;
}

/**
 * Which case comes next, for every thread of a matrix: an index in shared memory that each lane takes with one atomic
 * add, so no thread waits on another to hand out work, and a stop flag that every thread sees at once.
 */
export class MatrixCounter {
  private readonly cells: Int32Array;

  /** A new counter over `total` cases, or (`buffer` given) another thread's view of an existing one. */
  constructor(total: number, buffer?: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer ?? new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
    if (buffer === undefined) this.cells[2] = total;
  }

  /** What another thread's `new MatrixCounter(0, buffer)` shares. */
  get buffer(): SharedArrayBuffer {
    return this.cells.buffer as SharedArrayBuffer;
  }

  /** The next case's index, or -1 once every case is taken or the matrix stopped. */
  take(): number {
    if (Atomics.load(this.cells, 1) !== 0) return -1;
    const index = Atomics.add(this.cells, 0, 1);
    return index < this.cells[2]! ? index : -1;
  }

  /** No lane in any thread starts another probe; those in flight finish. */
  stop(): void {
    Atomics.store(this.cells, 1, 1);
  }
}

/** `lanes` probes in flight, each lane taking its next case from `counter` until none is left. */
export async function runLanes(
  cases: readonly MatrixCase[],
  lanes: number,
  counter: MatrixCounter,
  signal: AbortSignal | undefined,
  deliver: (index: number, row: MatrixRow) => void,
): Promise<void> {
  const lane = async (): Promise<void> => {
    for (let index = counter.take(); index >= 0 && signal?.aborted !== true; index = counter.take()) {
      const c = cases[index]!;
      const { result } = await probe({ ...c.endpoint.options, identity: c.identity.identity, ...(signal ? { signal } : {}) });
      deliver(index, { endpoint: c.endpoint.label, identity: c.identity.label, iteration: c.iteration, result });
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
