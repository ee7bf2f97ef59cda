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
}

/** Timeline lanes, in the order the design draws them. */
export type EvidenceLane = 'client' | 'tcp' | 'tls' | 'load-balancer' | 'waf' | 'target';

/** Log formats read line by line (local files, S3 objects, Logs Insights rows). */
export type LogFormat = 'alb-connection-log' | 'alb-access-log' | 'waf-log' | 'modsecurity-audit-log';

export type EvidenceKind = LogFormat;

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

export interface EvidenceReport {
  events: EvidenceEvent[];
  stats: EvidenceStats;
  /** Problems with whole inputs (unreadable file, not a log format): named, never thrown. */
  problems: Array<{ file?: string; message: string }>;
}

export interface EvidenceCollectOptions {
  signal?: AbortSignal;
  onProgress?(message: string): void;
}

export interface EvidenceSource {
  readonly name: string;
  collect(window: TimeWindow, keys: CorrelationKeys, options?: EvidenceCollectOptions): Promise<EvidenceReport>;
}
