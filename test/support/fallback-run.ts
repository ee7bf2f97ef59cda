// A real probe with a TLS 1.2 fallback, recorded once from Apache httpd (`SSLVerifyClient require` inside
// `<Location /secure>`, TLS 1.2 and 1.3) probed with a valid client certificate and a made-up Authorization header:
// over TLS 1.3 a 403 without a certificate asked, then the retry over TLS 1.2 — the server renegotiates, asks, and
// answers 200. Regenerate with `node --import tsx scripts/capture-fallback-run.mts` (as root, Debian's apache2
// installed); the tests read facts from the file, not constants, so a new capture needs no test change.

import { readFileSync } from 'node:fs';
import type { ProbeResult } from '../../src/core/probe/types';
import type { CheckRun } from '../../src/core/runs/check-run';
import { runFromResult } from '../../src/core/runs/run-service';

export const fallbackFixture = new URL('../fixtures/runs/apache-secure-location-fallback.json', import.meta.url);

/** The made-up header value the capture sent with both attempts: no export may carry it. */
export const fallbackSecret = 'Bearer test-token-not-a-secret';

/** A fresh copy of the recorded probe result (the tests may change it). */
export function fallbackResult(): ProbeResult {
  return JSON.parse(readFileSync(fallbackFixture, 'utf8')) as ProbeResult;
}

export function fallbackRun(id = 'apache-fallback'): CheckRun {
  return runFromResult(fallbackResult(), { id, endpointName: 'apache /secure', identityName: 'valid' });
}
