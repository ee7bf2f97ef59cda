// Waiting in end-to-end tests: for a condition that proves what happened, never a fixed time in its place.

import assert from 'node:assert/strict';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until probe returns a value (not undefined); fails naming what was awaited and, when given, what was last seen. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, lastSeen?: () => unknown): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${lastSeen !== undefined ? `; last seen: ${JSON.stringify(lastSeen())}` : ''}`);
    await sleep(100);
  }
}
