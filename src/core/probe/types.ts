import type { CertificateSummary } from '../certs/certificate-summary';
import type { ClientIdentity, IdentitySummary } from '../identity/client-identity';
import type { TraceEvent } from '../trace';
import type { WireChunk } from './tapped-socket';

export type Layer = 'dns' | 'tcp' | 'tls' | 'mtls' | 'http' | 'waf';

export interface Verdict {
  /** The layer where the request stopped; null when the application answered. */
  stoppedAt: Layer | null;
  /** A stable code, e.g. "alert_certificate_required", "reset_after_client_certificate", "target_responded". */
  reason: string;
  /** One sentence for people. */
  summary: string;
  /** "probe" from the probe alone; "confirmed" once server-side evidence agrees. */
  confidence: 'probe' | 'confirmed';
  /** A follow-up the person may want, e.g. "possibly WAF: fetch the WAF logs to confirm". */
  hint?: string;
  /** Server-side evidence that supports the verdict (filled in by evidence sources). */
  evidence: unknown[];
}

export type TlsVersionName = 'TLSv1.2' | 'TLSv1.3';

export interface PhaseTimeouts {
  dns: number;
  connect: number;
  tls: number;
  /** From the request being sent to the response headers. */
  http: number;
}

export interface ProbeOptions {
  url: string;
  /** The client identity; null or absent probes with no certificate. */
  identity?: ClientIdentity | null;
  /** PEM of the CA certificates to trust for the server; absent trusts the system store. */
  ca?: string | Buffer;
  /** Like curl -k: do not verify the server certificate. */
  insecure?: boolean;
  /** SNI to send (default: the URL host, none for an IP literal). */
  serverName?: string;
  /** Host header override (default: the URL host). */
  hostHeader?: string;
  /** Connect here instead of resolving the URL host (curl --connect-to / --resolve). */
  connectTo?: { host: string; port: number };
  tlsMinVersion?: TlsVersionName;
  tlsMaxVersion?: TlsVersionName;
  /** ALPN protocols to offer, default ['h2', 'http/1.1']. */
  alpn?: string[];
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Stop after the handshake, without an HTTP request. */
  handshakeOnly?: boolean;
  timeouts?: Partial<PhaseTimeouts>;
  signal?: AbortSignal;
  /** Bytes of the response body to keep (default 1024). */
  bodyPreviewBytes?: number;
  /** Use this correlation id instead of a fresh one. */
  correlationId?: string;
  /** The run this probe is part of: it names the probe in its progress events (src/core/events.ts). */
  runId?: string;
  /** Each phase as it begins (a progress line can name what the probe is waiting for). */
  onPhase?(phase: ProbePhase): void;
}

export type ProbePhase = 'dns' | 'tcp' | 'tls' | 'http';

/**
 * Milliseconds, each phase's own duration (not the time since the start); null for a phase that did not run or
 * did not finish.
 */
export interface Timings {
  /** The name lookup (null for an IP address). */
  dns: number | null;
  /** The TCP connect. */
  tcp: number | null;
  /** The TLS handshake. */
  tls: number | null;
  /** From sending the request to the response's status line and headers. */
  firstByte: number | null;
  /** The whole attempt, start to end. */
  total: number;
}

export interface CertificateRequestSummary {
  certificateTypes?: string[];
  signatureAlgorithms: string[];
  authorities: string[];
}

export interface TlsSummary {
  version: string | null;
  cipher: string | null;
  alpn: string | null;
  serverCertificates: CertificateSummary[];
  certificateRequest: CertificateRequestSummary | null;
  clientCertificateSent: boolean;
  /** True when Node verified the server's certificate chain and name. */
  serverCertificateVerified: boolean | null;
  serverCertificateError?: string;
  /**
   * A TLS 1.2 renegotiation the server started (a HelloRequest): after which request, and whether its new
   * handshake asked for a client certificate. `certificateRequest` and `clientCertificateSent` are then the new
   * handshake's.
   */
  renegotiation?: { t: number; after: string | null; askedForCertificate: boolean };
}

/** Decoded `X-Amzn-Mtls-Clientcert-*` (ALB) or `CloudFront-Viewer-Cert-*` headers a target echoed back. */
export interface MtlsHeaders {
  /** Which front wrote them; absent: ALB's X-Amzn-Mtls-Clientcert-*. */
  front?: 'cloudfront';
  /** In ALB's form (uppercase hex, no separators), whichever front sent it. */
  serialNumber?: string;
  issuer?: string;
  subject?: string;
  validity?: { notBefore?: string; notAfter?: string };
  leafPem?: string;
  chainPem?: string;
  /** CloudFront-Viewer-Cert-Present: whether the viewer sent a certificate. */
  present?: boolean;
  /** CloudFront-Viewer-Cert-Sha256, lowercase hex. */
  sha256?: string;
}

export interface HttpSummary {
  status: number;
  httpVersion: string;
  headers: Record<string, string | string[]>;
  /** The body's first bytes (bodyPreviewBytes, default 1024) as sent: a Content-Encoding is not decoded. */
  bodyPreview: string;
  /** Bytes of the body received (the probe stops reading once it has the preview). */
  bodyBytes: number;
  /**
   * True when the body was read to its end; false when the probe stopped reading once it had the preview (a long or
   * never-ending body), or the body stalled or broke off. Absent in results from before this field.
   */
  bodyComplete?: boolean;
  mtlsHeaders?: MtlsHeaders;
}

export interface ProbeTarget {
  url: string;
  host: string;
  port: number;
  serverName: string | null;
  /** Where the TCP connection went. */
  address: string | null;
  addresses: string[];
  connectTo?: string;
}

export interface ProbeResult {
  target: ProbeTarget;
  identity: IdentitySummary | null;
  timings: Timings;
  tls: TlsSummary;
  trace: TraceEvent[];
  http: HttpSummary | null;
  correlationId: string;
  verdict: Verdict;
  /** The local address and port of the connection, to find it in server-side logs. */
  client: { address: string | null; port: number | null };
  startedAt: string;
  /** The error that ended the attempt, if any (a stable code and Node's message). */
  error: { code: string; message: string } | null;
  /**
   * The same request made again over TLS 1.2, when the first attempt (over TLS 1.3) was refused after the request in
   * a way a server that asks for the client certificate only after the handshake would refuse it (see
   * post-handshake-auth.ts). The verdict above is the first attempt's, worded with what the retry showed.
   */
  fallback?: ProbeFallback;
}

/** Why the probe retried: over TLS 1.3 a certificate asked after the handshake needs post_handshake_auth, not offered. */
export type FallbackReason = 'post_handshake_auth_not_offered';

/** The retry over TLS 1.2, where a server asks for a certificate after the handshake by renegotiation. */
export interface ProbeFallback {
  reason: FallbackReason;
  /** What the retry changed: the highest TLS version offered. */
  tlsMaxVersion: 'TLSv1.2';
  /** The retry as a probe result of its own (its own correlation id, trace, timings and verdict; never a fallback). */
  result: ProbeResult;
}

/** Not part of the JSON result: the session's key log (only written when asked, e.g. --keylog). */
export interface ProbeOutcome {
  result: ProbeResult;
  keyLog: string;
  /** The raw bytes of both directions as the tap recorded them (for captures and re-decoding). */
  wire: WireChunk[];
  /** The TLS 1.2 retry's bytes, when there was one (result.fallback). */
  fallbackWire?: WireChunk[];
}
