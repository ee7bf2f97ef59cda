import { Worker } from 'node:worker_threads';
import type { IdentityHandoff } from '../identity/client-identity';
import type { MatrixEndpoint, MatrixIdentity, MatrixRow } from './matrix-lanes';
import { ProbeAbortedError } from './probe-errors';

// The thread that runs a matrix, and its worker threads (matrix-worker.ts): what goes to a worker when it starts, and
// what comes back as its probes finish.

/** A worker's `workerData`: the matrix's cases in plain data, and the counter every thread takes cases from. */
export interface MatrixWorkerData {
  endpoints: MatrixEndpoint[];
  identities: Array<{ label: string; identity: IdentityHandoff | null }>;
  repeat: number;
  counter: SharedArrayBuffer;
  /** Probes this worker keeps in flight. */
  lanes: number;
}

/** What a worker posts: a finished probe's row (by case index), then `done`, or the error its lanes ended with. */
export type MatrixWorkerMessage =
  | { kind: 'row'; index: number; row: MatrixRow }
  | { kind: 'done' }
  | { kind: 'failed'; error: { name: string; message: string; stack?: string } };

/** What the matrix's thread posts to a worker: stop the probes in flight (the matrix was cancelled or failed). */
export const abortMessage = 'abort';

/** The worker threads of one matrix, started at once; each posts its rows back to `deliver` as they finish. */
export class MatrixWorkers {
  private readonly workers: Worker[];
  private readonly settled: Promise<void>;

  constructor(
    script: string,
    matrix: { endpoints: MatrixEndpoint[]; identities: MatrixIdentity[]; repeat: number; counter: SharedArrayBuffer },
    lanes: readonly number[],
    deliver: (index: number, row: MatrixRow) => void,
  ) {
    const identities = matrix.identities.map((i) => ({ label: i.label, identity: i.identity?.handoff() ?? null }));
    const base = { endpoints: matrix.endpoints, identities, repeat: matrix.repeat, counter: matrix.counter };
    this.workers = lanes.map((count) => new Worker(script, { workerData: { ...base, lanes: count } satisfies MatrixWorkerData }));
    this.settled = Promise.all(this.workers.map((worker) => settledWorker(worker, deliver))).then(() => undefined);
    // Until the matrix awaits `finished()`, a worker's failure is held there, not reported as unhandled.
    this.settled.catch(() => undefined);
  }

  /** Resolves when every worker has posted its last row; rejects with the first worker's failure. */
  finished(): Promise<void> {
    return this.settled;
  }

  /** The probes in flight stop (each ends as cancelled); the counter's stop flag keeps new ones from starting. */
  abort(): void {
    for (const worker of this.workers) worker.postMessage(abortMessage);
  }

  /** Ends the threads (done or not): once this resolves, none runs. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

function settledWorker(worker: Worker, deliver: (index: number, row: MatrixRow) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.on('message', (message: MatrixWorkerMessage) => {
      if (message.kind === 'row') deliver(message.index, message.row);
      else if (message.kind === 'done') resolve();
      else reject(workerFailure(message.error));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`A matrix worker thread exited (code ${code}) before its probes were done.`)));
  });
}

/** A worker's error, made again on this side: a cancellation stays a ProbeAbortedError, so callers recognise it. */
function workerFailure(error: { name: string; message: string; stack?: string }): Error {
  if (error.name === 'AbortError') return new ProbeAbortedError();
  const made = new Error(error.message);
  made.name = error.name;
  if (error.stack !== undefined) made.stack = error.stack;
  return made;
}
