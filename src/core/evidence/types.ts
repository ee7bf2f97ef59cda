// The evidence side's contract: every source (local log files, AWS) takes a time window and the probe's
// correlation keys and returns timeline events, each saying why it was matched to the probe.

/** The probe's minutes, widened by the caller for clock skew and log delivery. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

/** What ties a server-side record to one probe. Every key is optional: a source uses those its records carry. */
export interface CorrelationKeys {
  /** The X-Amzn-Trace-Id value the probe sent, e.g. `Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca`. */
  traceId?: string;
  /** The probe's source address as the server saw it (may differ behind NAT). */
  clientIp?: string;
  clientPort?: number;
  /** The client certificate's serial in ALB's form: uppercase hex, no separators. */
  clientCertSerial?: string;
  /** ALB's connection trace id (`TID_…`), once a connection-log record gave it. */
  connTraceId?: string;
  /** API Gateway's id of the probe's request, from its answer (`x-amzn-RequestId`, HTTP APIs `apigw-requestid`): $context.requestId. */
  requestId?: string;
  /** API Gateway's extended id of the probe's request (`x-amz-apigw-id`): $context.extendedRequestId. */
  extendedRequestId?: string;
  /**
   * When the probe's connection was open (ISO 8601). Behind NAT the load balancer sees another address and
   * port, so a connection-log record is tied to the probe by this time (± clock skew) and its certificate.
   */
  probeTime?: { from: string; to: string };
}

/** Timeline lanes, in the order the design draws them. */
export type EvidenceLane = 'client' | 'tcp' | 'tls' | 'load-balancer' | 'waf' | 'target';

/** Logs whose every line is one connection's or one request's record: each is a kind of evidence of its own. */
export type RecordLogFormat =
  | 'alb-connection-log'
  | 'alb-access-log'
  | 'waf-log'
  | 'modsecurity-audit-log'
  /** CloudFront viewer mTLS: one record per TLS connection at the edge (JSON, plain or w3c). */
  | 'cloudfront-connection-log'
  /** API Gateway: one record per request, in the JSON access-log format the stage's owner wrote. */
  | 'apigateway-access-log';

/**
 * Log formats read line by line (local files, S3 objects, Logs Insights rows). A CloudWatch metric stream's JSON
 * lines (its Firehose delivery to S3) are per-minute datapoints: they become `cloudwatch-metric` evidence, the
 * same as the datapoints GetMetricData returns.
 */
export type LogFormat = RecordLogFormat | 'cloudwatch-metric-stream';

export type EvidenceKind =
  | RecordLogFormat
  /** A request AWS WAF sampled (GetSampledRequests): the fallback when no WAF log group is configured. */
  | 'waf-sampled-request'
  /** One minute of a CloudWatch metric: an aggregate, never tied to one probe. */
  | 'cloudwatch-metric';

export interface EvidenceMatch {
  key: keyof CorrelationKeys | 'time';
  value: string;
}

export interface EvidenceEvent {
  /** ISO 8601 time of the record. */
  time: string;
  lane: EvidenceLane;
  kind: EvidenceKind;
  /** One sentence for people, e.g. "ALB rejected the client certificate: Failed:ClientCertUntrusted". */
  summary: string;
  /** Why this record was matched to the probe: each key and the value that matched. */
  matchedBy: EvidenceMatch[];
  /** Where the record came from (a file and 1-based line, or an AWS resource). */
  origin: { file?: string; line?: number; resource?: string };
  /** The parsed record, field names as the format documents them. */
  record: Record<string, unknown>;
}

export interface EvidenceStats {
  files: number;
  lines: number;
  /** Lines that could not be parsed (truncated, corrupt): skipped and counted, never fatal. */
  skippedLines: number;
}

/**
 * Whether one kind of evidence could be had: `found` (records for this probe), `missing` (looked where it must
 * be, after it should have arrived: not there), `not-yet-available` (AWS delivers it later: metrics ≈ 1 min,
 * logs ≈ 5–10 min), `not-configured` (nothing says where to look), `failed` (the lookup itself failed).
 */
export type EvidenceAvailability = 'found' | 'missing' | 'not-yet-available' | 'not-configured' | 'failed';

export interface EvidenceCoverage {
  /** e.g. "ALB connection log", "WAF log (CloudWatch Logs Insights)". */
  evidence: string;
  state: EvidenceAvailability;
  /** What was looked at and what to do, e.g. "s3://logs/AWSLogs/…/2026/11/24/: 3 objects, no record of this probe". */
  detail: string;
  /** For not-yet-available: when it is expected (ISO 8601). */
  expectedBy?: string;
}

/** A fact about the setup that explains the probe (a listener's mTLS mode), shown beside the verdict. */
export interface EvidenceContext {
  title: string;
  summary: string;
  /** Where it came from, e.g. a listener ARN. */
  resource: string;
  record: Record<string, unknown>;
}

export interface EvidenceReport {
  events: EvidenceEvent[];
  stats: EvidenceStats;
  /** Problems with whole inputs (unreadable file, not a log format, an AWS call that failed): named, never thrown. */
  problems: Array<{ file?: string; message: string }>;
  /** Per kind of evidence, whether it was found (sources that deliver late fill this in). */
  coverage?: EvidenceCoverage[];
  context?: EvidenceContext[];
}

export interface EvidenceCollectOptions {
  signal?: AbortSignal;
  /** The run the evidence is for: it names the collection in its progress events (src/core/events.ts). */
  runId?: string;
  onProgress?(message: string): void;
  /**
   * For sources whose evidence arrives late (AWS): keep polling for what is not yet available until this
   * time. Absent: one look.
   */
  waitUntil?: Date;
  /** When the probe ended: what "not yet available" is measured from. Default: the window's start. */
  probeEndedAt?: Date;
  /** Each intermediate report while waiting, so a view can update as evidence arrives. */
  onUpdate?(report: EvidenceReport): void;
  /** Before each pause while waiting for late evidence: what is awaited and until when (also sent to onProgress). */
  onWaiting?(message: string): void;
}

export interface EvidenceSource {
  readonly name: string;
  collect(window: TimeWindow, keys: CorrelationKeys, options?: EvidenceCollectOptions): Promise<EvidenceReport>;
}
