// The experiment the product was born from, against the lab: no client certificate, a valid one, a valid one with
// a malicious query, then expired, untrusted and revoked certificates — each probed, confirmed from the lab's own
// AWS-format logs, and compared with what an ALB in mTLS verify mode with AWS WAF must answer.

import { readFile } from 'node:fs/promises';
import type { EvidenceEvent } from '../evidence/types';
import { loadPemIdentity } from '../identity/client-identity';
import type { CheckRun } from '../runs/check-run';
import { collectRunEvidence, probeCheck } from '../runs/run-service';
import { evidenceKindWords } from '../timeline/evidence-marks';
import type { Lab } from './lab';

export interface SeedCase {
  /** "no certificate", "valid + malicious query"… */
  name: string;
  /** A lab identity, or null for no certificate. */
  identity: string | null;
  /** Appended to the lab's URL. */
  query: string;
  expected: { stoppedAt: string | null; reason: string };
}

export interface SeedResult {
  case: SeedCase;
  run: CheckRun;
  /** The verdict's layer and reason are the expected ones, and the lab's logs confirmed it. */
  passed: boolean;
  /** "ALB connection log (Failed:ClientCertMissing)", "AWS WAF log, ALB access log"; empty when nothing confirmed it. */
  confirmedBy: string;
}

export const maliciousQuery = '?q=<script>alert(1)</script>';

/** The seed experiment's cases, expectations from the lab's PKI manifest (verify mode). */
export function seedCases(lab: Lab): SeedCase[] {
  const expectationOf = (identity: string): SeedCase['expected'] => {
    const expected = lab.details[identity]?.expected;
    if (expected === undefined) throw new Error(`the lab has no identity "${identity}"`);
    return { stoppedAt: expected.stoppedAt, reason: expected.reason };
  };
  return [
    { name: 'no certificate', identity: null, query: '', expected: { stoppedAt: 'mtls', reason: 'alb_client_cert_missing' } },
    { name: 'valid', identity: 'valid', query: '', expected: expectationOf('valid') },
    { name: 'valid + malicious query', identity: 'valid', query: maliciousQuery, expected: { stoppedAt: 'waf', reason: 'aws_waf_block' } },
    { name: 'expired', identity: 'expired', query: '', expected: expectationOf('expired') },
    { name: 'untrusted', identity: 'untrusted', query: '', expected: expectationOf('untrusted') },
    { name: 'revoked', identity: 'revoked', query: '', expected: expectationOf('revoked') },
  ];
}

/** "ALB connection log (Failed:ClientCertUntrusted)" or "AWS WAF log, ALB access log": the records the verdict rests on. */
export function confirmedByWords(run: CheckRun): string {
  if (run.verdict.confidence !== 'confirmed') return '';
  const used = run.verdict.evidence as EvidenceEvent[];
  return [
    ...new Set(
      used.map((e) => {
        const status = e.record.tls_verify_status;
        return e.kind === 'alb-connection-log' && typeof status === 'string' ? `${evidenceKindWords(e.kind)} (${status})` : evidenceKindWords(e.kind);
      }),
    ),
  ].join(', ');
}

export interface SeedOptions {
  signal?: AbortSignal;
  /** Each case once its evidence is in. */
  onResult?(result: SeedResult): void;
}

/** Probes every case one after another (each its own connection), then reads the lab's logs for all of them. */
export async function runSeedExperiment(lab: Lab, options: SeedOptions = {}): Promise<SeedResult[]> {
  const ca = await readFile(lab.ca, 'utf8');
  const cases = seedCases(lab);
  const runs: CheckRun[] = [];
  for (const seed of cases) {
    const files = seed.identity === null ? null : lab.identities[seed.identity]!;
    const identity = files === null ? null : await loadPemIdentity({ certFile: files.cert, keyFile: files.key, label: seed.identity! });
    const run = await probeCheck({ kind: 'url', name: seed.name, options: { url: `${lab.url.replace(/\/$/, '')}/${seed.query}`, ca } }, identity, options.signal !== undefined ? { signal: options.signal } : {});
    runs.push(run);
  }
  // The minute's CloudWatch counts go out with the logs, so the timeline shows them beside each verdict.
  await lab.flushMetrics();
  return Promise.all(
    runs.map(async (probed, i) => {
      const run = await collectRunEvidence(probed, { logs: [lab.logs] }, options.signal !== undefined ? { signal: options.signal } : {});
      const seed = cases[i]!;
      const result: SeedResult = {
        case: seed,
        run,
        passed: run.verdict.stoppedAt === seed.expected.stoppedAt && run.verdict.reason === seed.expected.reason && run.verdict.confidence === 'confirmed',
        confirmedBy: confirmedByWords(run),
      };
      options.onResult?.(result);
      return result;
    }),
  );
}
