import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { parseTarget } from './connection';
import { MatrixCounter, matrixCases, runLanes, type MatrixEndpoint, type MatrixIdentity, type MatrixRow } from './matrix-lanes';
import { MatrixWorkers } from './matrix-threads';

export type { MatrixEndpoint, MatrixIdentity, MatrixRow };

/** Worker threads for a matrix: `count` threads in all (this one among them), each running `script`. */
export interface MatrixThreads {
  /** At most one per CPU core and one per probe in flight are started (threadCount). */
  count: number;
  /** The built worker entry (src/core/probe/matrix-worker.ts), e.g. dist/cli/matrix-worker.js beside the CLI's code. */
  script: string;
}

export interface MatrixOptions {
  /** Probes in flight at once (default 16), across all threads. */
  concurrency?: number;
  /** Each endpoint × identity pair is probed this many times (default 1). */
  repeat?: number;
  signal?: AbortSignal;
  /** Called for each probe that finished, in completion order, at the next idle moment (see RowReporter). */
  onRow?: (row: MatrixRow) => void;
  /**
   * Spreads the probes over several threads (default: this one only). A probe's TLS, its trace's decode and its
   * verdict are CPU work: on a machine with cores to spare, a matrix at high concurrency is bound by one thread's CPU,
   * not by its servers. The probes in flight are shared out; each thread takes its next case from one counter.
   */
  threads?: MatrixThreads;
}

/**
 * Probes every endpoint × identity pair with a bounded pool. Identities are loaded once by the caller
 * and shared; results come back in case order whatever the completion order.
 */
export async function runMatrix(endpoints: MatrixEndpoint[], identities: MatrixIdentity[], options: MatrixOptions = {}): Promise<MatrixRow[]> {
  const repeat = Math.max(1, options.repeat ?? 1);
  const cases = matrixCases(endpoints, identities, repeat);
  const rows: MatrixRow[] = new Array(cases.length);
  const counter = new MatrixCounter(cases.length);
  const reporter = new RowReporter(options.onRow, () => counter.stop());
  const deliver = (index: number, row: MatrixRow): void => {
    rows[index] = row;
    reporter.report(row);
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 16, cases.length));
  const { signal } = options;
  // Every probe in flight listens on the one signal: that is by design, not a leak.
  if (signal) setMaxListeners(concurrency * 2 + 10, signal);
  // This thread's share of the probes in flight first, then each worker's.
  const [ownLanes, ...workerLanes] = lanesFor(concurrency, matrixThreadCount(options.threads?.count ?? 1, concurrency)) as [number, ...number[]];
  let workers: MatrixWorkers | null = null;
  if (workerLanes.length > 0 && options.threads) {
    // A URL a probe would refuse is refused here, before any thread starts, with the probe's own error.
    for (const endpoint of endpoints) parseTarget(endpoint.options);
    workers = new MatrixWorkers(options.threads.script, { endpoints, identities, repeat, counter: counter.buffer }, workerLanes, deliver);
  }
  const stop = (): void => {
    counter.stop();
    workers?.abort();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await Promise.all([runLanes(cases, ownLanes, counter, signal, deliver), workers?.finished()]);
  } catch (e) {
    stop();
    throw e;
  } finally {
    signal?.removeEventListener('abort', stop);
    await workers?.close();
  }
  await reporter.flushed();
  return rows.filter((r) => r !== undefined);
}

/**
 * The threads a matrix runs in: as asked, but no more than the probes in flight, nor than the CPU cores. A thread
 * beyond the cores only adds its start (~35 ms of CPU) and its own warm-up: on 2 cores, 16 threads took a 64-probe
 * matrix from 0.33 to 0.86 s and 273 MB.
 */
export function matrixThreadCount(asked: number, concurrency: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(asked, concurrency, cores));
}

/** `concurrency` probes in flight shared over `threads` threads, as evenly as they go: 8 over 3 is [2, 3, 3]. */
export function lanesFor(concurrency: number, threads: number): number[] {
  return Array.from({ length: threads }, (_, i) => Math.floor((concurrency + i) / threads));
}

/**
 * Hands each row to `onRow` at the next idle moment rather than at once: a row's output (the run JSON of a whole
 * trace, some 20 KB) is then written while the next probe waits for its server, instead of before that probe starts.
 * Rows keep their completion order; what `onRow` throws ends the matrix as before, once the probes in flight are
 * done (`onFailure` stops the others from starting).
 */
class RowReporter {
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly onRow: ((row: MatrixRow) => void) | undefined,
    private readonly onFailure: () => void,
  ) {}

  report(row: MatrixRow): void {
    const onRow = this.onRow;
    if (onRow === undefined) return;
    setImmediate(() => {
      if (this.failure !== null) return;
      try {
        onRow(row);
      } catch (error) {
        this.failure = { error };
        this.onFailure();
      }
    });
  }

  /** Resolves once every row reported so far went out (immediates run in order); rejects with what `onRow` threw. */
  async flushed(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.failure !== null) throw this.failure.error;
  }
}
