// ALB connection logs: one space-separated line per TLS connection attempt, the only per-connection record
// of an mTLS rejection. Fields by position; newer fields are appended, so extra trailing fields are kept aside.

import { isoTime, looksLikeIp, numberField, present, splitLogFields } from './log-fields';

export type AlbConnectionLogRecord = {
  timestamp: string;
  client_ip: string;
  client_port: number;
  listener_port: number;
  tls_protocol: string | null;
  tls_cipher: string | null;
  /** Seconds; null (`-`) when the handshake failed. */
  tls_handshake_latency: number | null;
  leaf_client_cert_subject: string | null;
  /** `NotBefore=…;NotAfter=…` as logged. */
  leaf_client_cert_validity: string | null;
  leaf_client_cert_not_before?: string;
  leaf_client_cert_not_after?: string;
  /** Hex, as ALB writes it. */
  leaf_client_cert_serial_number: string | null;
  /** `Success` or `Failed:<code>`. */
  tls_verify_status: string | null;
  conn_trace_id: string | null;
  tls_keyexchange: string | null;
  elb: string | null;
  ip_address: string | null;
  /** Fields after the documented ones (formats grow at the end). */
  extra_fields: string[];
};

/** The fields present since the format's first release (through tls_verify_status). */
const minimumFields = 11;
const verifyStatus = /^(?:Success|Failed:[A-Za-z]+)$/;

/**
 * The fields by name, in log order: the names AWS's Athena table and the CloudWatch Logs delivery's record fields
 * give them. A record read by name (an Athena row, a JSON record) is put back in log order and read like a line.
 */
export const albConnectionLogColumns = [
  'time',
  'client_ip',
  'client_port',
  'listener_port',
  'tls_protocol',
  'tls_cipher',
  'tls_handshake_latency',
  'leaf_client_cert_subject',
  'leaf_client_cert_validity',
  'leaf_client_cert_serial_number',
  'tls_verify_status',
  'conn_trace_id',
  'tls_keyexchange',
  'elb',
  'ip_address',
] as const;

export function parseAlbConnectionLogLine(line: string): AlbConnectionLogRecord | null {
  const f = splitLogFields(line);
  return f === null ? null : albConnectionLogRecord(f);
}

/** A record given by name (absent and null values are `-`), read as its line would be. */
export function albConnectionLogRecordByName(value: (column: string) => string | null | undefined): AlbConnectionLogRecord | null {
  return albConnectionLogRecord(albConnectionLogColumns.map((column) => value(column) ?? '-'));
}

/** A record from its fields in log order; null when they are not a connection-log record. */
export function albConnectionLogRecord(f: readonly string[]): AlbConnectionLogRecord | null {
  if (f.length < minimumFields) return null;
  const timestamp = isoTime(f[0]);
  const clientIp = f[1] ?? '';
  const clientPort = numberField(f[2]);
  const listenerPort = numberField(f[3]);
  const latency = numberField(f[6]);
  const status = present(f[10]);
  if (timestamp === null || !looksLikeIp(clientIp) || typeof clientPort !== 'number' || typeof listenerPort !== 'number' || latency === undefined) return null;
  if (status !== null && !verifyStatus.test(status)) return null;
  const connTraceId = present(f[11]);
  if (connTraceId !== null && !connTraceId.startsWith('TID_')) return null;
  const validity = present(f[8]);
  const record: AlbConnectionLogRecord = {
    timestamp,
    client_ip: clientIp,
    client_port: clientPort,
    listener_port: listenerPort,
    tls_protocol: present(f[4]),
    tls_cipher: present(f[5]),
    tls_handshake_latency: latency,
    leaf_client_cert_subject: present(f[7]),
    leaf_client_cert_validity: validity,
    leaf_client_cert_serial_number: present(f[9]),
    tls_verify_status: status,
    conn_trace_id: connTraceId,
    tls_keyexchange: present(f[12]),
    elb: present(f[13]),
    ip_address: present(f[14]),
    extra_fields: f.slice(15),
  };
  const notBefore = validity !== null ? /NotBefore=([^;]+)/.exec(validity)?.[1] : undefined;
  const notAfter = validity !== null ? /NotAfter=([^;]+)/.exec(validity)?.[1] : undefined;
  if (notBefore !== undefined) record.leaf_client_cert_not_before = notBefore;
  if (notAfter !== undefined) record.leaf_client_cert_not_after = notAfter;
  return record;
}

/**
 * Connection-log object names: `conn_log_<account>_elasticloadbalancing_…` in current documentation,
 * `conn_log.<account>_…` in older copies; a path or a .log/.log.gz suffix is fine.
 */
export function isAlbConnectionLogFileName(name: string): boolean {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  return /^conn_log[._]\S/.test(base);
}
