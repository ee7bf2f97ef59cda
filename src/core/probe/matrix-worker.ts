import { parentPort, workerData } from 'node:worker_threads';
import { ClientIdentity } from '../identity/client-identity';
import { MatrixCounter, matrixCases, runLanes, type MatrixRow } from './matrix-lanes';
import { abortMessage, type MatrixWorkerData, type MatrixWorkerMessage } from './matrix-threads';

// A matrix's worker thread (see matrix-threads.ts): the same cases as the matrix's own thread, its own lanes, the
// shared counter; each row posted back as its probe finishes. Built as its own entry (dist/cli/matrix-worker.js).

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as MatrixWorkerData;
  const post = (message: MatrixWorkerMessage): void => port.postMessage(message);
  const identities = data.identities.map((i) => ({ label: i.label, identity: i.identity === null ? null : ClientIdentity.fromHandoff(i.identity) }));
  const cases = matrixCases(data.endpoints, identities, data.repeat);
  const cancel = new AbortController();
  port.on('message', (message: unknown) => {
    if (message === abortMessage) cancel.abort();
  });
  try {
    await runLanes(cases, data.lanes, new MatrixCounter(0, data.counter), cancel.signal, (index: number, row: MatrixRow) => post({ kind: 'row', index, row }));
    post({ kind: 'done' });
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    post({ kind: 'failed', error: { name: error.name, message: error.message, ...(error.stack !== undefined ? { stack: error.stack } : {}) } });
  }
}

void main();
