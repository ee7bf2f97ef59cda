// A probe result as the probe writes it, for tests of what evidence makes of it: one client (192.0.2.7), one
// moment (2024-05-01T10:00:00Z, 1.5 s long), the verdict, answer, certificate and trace each test needs.

import type { Layer, ProbeResult, Verdict } from '../../src/core/probe/types';
import type { TraceEvent } from '../../src/core/trace';

export interface ProbeResultFixture {
  verdict: Partial<Verdict> & { stoppedAt: Layer | null; reason: string };
  /** The HTTP status the probe got; null: no answer. */
  status: number | null;
  /** The client certificate's serial (Node's form); null: probed without one. */
  serial: string | null;
  host?: string;
  serverAddress?: string;
  clientPort?: number;
  trace?: TraceEvent[];
}

export function probeResultFixture(f: ProbeResultFixture): ProbeResult {
  const host = f.host ?? 'api.example.com';
  const address = f.serverAddress ?? '203.0.113.10';
  return {
    target: { url: `https://${host}/`, host, port: 443, serverName: host, address, addresses: [address] },
    identity:
      f.serial !== null
        ? { label: 'partner', kind: 'pem', subject: 'CN=partner', issuer: 'CN=Partner CA', serialNumber: f.serial, notBefore: '2024-01-01T00:00:00.000Z', notAfter: '2030-01-01T00:00:00.000Z', sha256: 'ab', chainLength: 1 }
        : null,
    timings: { dns: 1, tcp: 2, tls: 10, firstByte: null, total: 1500 },
    tls: { version: 'TLSv1.2', cipher: null, alpn: null, serverCertificates: [], certificateRequest: null, clientCertificateSent: f.serial !== null, serverCertificateVerified: true },
    trace: f.trace ?? [],
    http: f.status === null ? null : { status: f.status, httpVersion: 'HTTP/1.1', headers: {}, bodyPreview: '', bodyBytes: 0 },
    correlationId: 'Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca',
    verdict: { summary: 'The probe alone says so.', confidence: 'probe', evidence: [], ...f.verdict },
    client: { address: '192.0.2.7', port: f.clientPort ?? 54321 },
    startedAt: '2024-05-01T10:00:00.000Z',
    error: null,
  };
}
