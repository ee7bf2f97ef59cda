// The timeline as the renderer draws it (the webview panel and the self-contained HTML report): one or more runs,
// each with its verdict banner and its marks on lanes, on a time axis relative to the run's own start.
// Pure data, JSON-safe and import-free: the browser bundle type-checks against this file without Node's types,
// and a saved report carries exactly this.

export const timelineModelVersion = 1;

/** Lanes, top to bottom: the client's side first, then the wire, then what the servers recorded. */
export type LaneId = 'client' | 'tcp' | 'tls' | 'http' | 'load-balancer' | 'waf' | 'target';

export interface LaneInfo {
  id: LaneId;
  label: string;
  /** One sentence for the lane's tooltip and screen readers. */
  description: string;
}

export interface TimelineModel {
  version: typeof timelineModelVersion;
  /** e.g. "alb-like with no certificate", or "Compare 3 runs". */
  title: string;
  /** ISO 8601: when the model was built (a report's "as of"). */
  generatedAt: string;
  lanes: LaneInfo[];
  /** One run, or several to compare side by side (aligned at their connection start). */
  runs: TimelineRun[];
}

export type Layer = 'dns' | 'tcp' | 'tls' | 'mtls' | 'http' | 'waf';

export interface TimelineRun {
  /** Unique in the model; also the extension's run id when it came from one. */
  id: string;
  /** "alb-like · no certificate" */
  title: string;
  url: string;
  /** "no client certificate" or "valid — CN=valid client,O=…" */
  identity: string;
  /** ISO 8601 of t = 0 (the probe's start). */
  startedAt: string;
  /** Epoch milliseconds of t = 0: a server-side record at time T sits at T − originMs. */
  originMs: number;
  /** t (ms) at which the TCP connection attempt began: compare mode aligns runs here. */
  connectionStartMs: number;
  /** The probe's own time span (ms, relative to t = 0): the highlighted band on the axis. */
  probeWindow: { from: number; to: number };
  verdict: VerdictBanner;
  /** Facts about the run for the header: target, connected to, TLS, HTTP, correlation id. */
  facts: Array<{ label: string; value: string }>;
  /** Phases as bars on their lanes: DNS lookup, TCP connect, TLS handshake, HTTP exchange (each attempt's). */
  phases: TimelinePhase[];
  /**
   * When the probe made the request more than once (a TLS 1.2 retry after a TLS 1.3 refusal): each attempt in time
   * order, on the run's one axis. Absent for a run of one attempt.
   */
  attempts?: TimelineAttempt[];
  /** Every event, sorted by t (ties keep the order they happened in). */
  marks: TimelineMark[];
  /** Clock-skew and granularity notes, e.g. "CloudWatch datapoints cover whole minutes". */
  notes: TimelineNote[];
  evidence: EvidenceStatus;
  /** True while server-side evidence may still arrive (the panel updates live). */
  collectingEvidence: boolean;
}

/** One attempt of a run, drawn as a bar over the lanes (like a parent span) that its marks and phases sit under. */
export interface TimelineAttempt {
  /** 0 for the first attempt, 1 for the retry: marks and phases name theirs by it. */
  index: number;
  /** "TLS 1.3 attempt", "TLS 1.2 retry". */
  label: string;
  /** The attempt's own span on the run's axis (ms since the run's t = 0). */
  from: number;
  to: number;
  /** ISO 8601 of the attempt's own start. */
  startedAt: string;
  /** The X-Amzn-Trace-Id the attempt sent (each attempt has its own). */
  correlationId: string;
  /** Why it was made, in words (the retry's); absent for the first attempt. */
  why?: string;
  /** The mark that says why it was made (the attempt's bar opens it); absent for the first attempt. */
  markId?: string;
  /** The attempt's own outcome, short: "HTTP 403", "passed (HTTP 200)", "stopped at mtls · alert_unknown_ca". */
  outcome: string;
  tone: MarkTone;
}

export interface VerdictBanner {
  stoppedAt: Layer | null;
  /** The stable reason code, e.g. "reset_after_client_certificate". */
  reason: string;
  /** "Stopped at mTLS (client certificate)", "Passed: the application answered (HTTP 200)". */
  headline: string;
  /** The verdict's sentence(s). */
  summary: string;
  /** "The request never reached the WAF." when that follows from the verdict; absent when it does not. */
  wafReach?: string;
  confidence: 'probe' | 'confirmed';
  /** "From the probe alone" / "Confirmed by the ALB connection log (Failed:ClientCertUntrusted)". */
  confidenceText: string;
  hint?: string;
  /** When the run was a check against an expectation; `got`: what the judged attempt got, when the probe retried. */
  expectation?: { expected: string; passed: boolean; message: string; got?: string };
  /** The retry's own verdict, one line under the run's (which is the first attempt's, worded with the retry). */
  retry?: { label: string; stoppedAt: Layer | null; reason: string; headline: string; summary: string };
}

export interface TimelinePhase {
  lane: LaneId;
  name: 'dns' | 'tcp' | 'tls' | 'http';
  /** "DNS lookup 1.4 ms", "TLS handshake (ended by a reset) 12.0 ms" */
  label: string;
  from: number;
  to: number;
  outcome: 'ok' | 'failed' | 'unfinished';
  /** The attempt it belongs to (TimelineRun.attempts); absent in a run of one attempt. */
  attempt?: number;
}

export type MarkTone = 'neutral' | 'ok' | 'warning' | 'error';

export type MarkKind =
  | 'dns'
  | 'tcp'
  | 'handshake'
  | 'alert'
  | 'change-cipher-spec'
  | 'application-data'
  | 'record'
  | 'http'
  | 'log-record'
  | 'metric'
  | 'sampled-request'
  | 'attempt'
  | 'verdict';

/**
 * out: client → server; in: server → client; local: at the client (DNS, timeouts, errors);
 * server: a record the server side wrote (logs, metrics).
 */
export type MarkDirection = 'out' | 'in' | 'local' | 'server';

export interface TimelineMark {
  /** Unique in the model: `${runId}:${index}`. */
  id: string;
  lane: LaneId;
  /** Milliseconds since the run's t = 0 (three decimals: microseconds). Negative for a record stamped before it. */
  t: number;
  /** For marks that cover time (a metric's minute): its length in ms. */
  duration?: number;
  /** ISO 8601 of the mark (for tooltips and the details pane). */
  time: string;
  dir: MarkDirection;
  kind: MarkKind;
  /** Short, for the mark itself: "ClientHello", "Alert 40", "RST", "Failed:ClientCertUntrusted". */
  label: string;
  /** One line for lists, tooltips and screen readers: "TLS 1.2, client → server: Certificate (empty: no client certificate sent)". */
  summary: string;
  tone: MarkTone;
  /** The TLS version the message belongs to, e.g. "TLSv1.3". */
  version?: string;
  /** Arrived inside a protected record. */
  encrypted?: boolean;
  /** Protected and decrypted from the session's key log. */
  decrypted?: boolean;
  /** The attempt it belongs to (TimelineRun.attempts); absent in a run of one attempt and for server-side records. */
  attempt?: number;
  detail: MarkDetail;
}

export interface MarkDetail {
  title: string;
  /** Decoded fields as a tree. `path` ties a field to its byte span in `bytes`. */
  fields: DetailField[];
  /** The message's bytes as they were on the wire (decrypted when it was protected), with each field's span. */
  bytes?: { hex: string; spans: ByteSpan[]; truncated?: boolean };
  /** What an alert (or a reset) means, in words. */
  meaning?: string;
  certificates?: CertificateCard[];
  /** A server-side record as a table; `matched` marks the keys that tied it to this probe. */
  record?: { origin: string; rows: Array<{ key: string; value: string; matched: boolean }>; matchedBy: string[] };
}

export interface DetailField {
  name: string;
  value?: string;
  /** Names a span in MarkDetail.bytes.spans. */
  path?: string;
  children?: DetailField[];
}

export interface ByteSpan {
  /** e.g. "header", "random", "cipher_suites", "extensions.server_name". */
  path: string;
  label: string;
  /** Byte offsets into MarkDetail.bytes.hex (two hex digits a byte); end is exclusive. */
  start: number;
  end: number;
}

export interface CertificateCard {
  /** "server certificate 1 of 2", "client certificate", "acceptable CA". */
  role: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** Validity in words at the run's time: "valid for 364 more days", "expired 3 days before the probe". */
  validity: string;
  subjectAltNames: string[];
  publicKey: string;
  sha256: string;
  isCA: boolean;
}

export interface TimelineNote {
  kind: 'clock-skew' | 'granularity' | 'late-evidence';
  text: string;
  /** Marks the note is about. */
  markIds: string[];
}

export interface EvidenceStatus {
  /** "local logs", "AWS", "local logs and AWS"; absent when no evidence was asked for. */
  sourceLabel?: string;
  coverage: Array<{ evidence: string; state: 'found' | 'missing' | 'not-yet-available' | 'not-configured' | 'failed'; detail: string; expectedBy?: string }>;
  /** Facts about the setup (a listener's mTLS mode), shown beside the verdict. */
  context: Array<{ title: string; summary: string; resource: string }>;
  problems: string[];
}
