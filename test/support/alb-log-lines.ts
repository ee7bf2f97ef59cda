// Real ALB log lines and S3 object keys for tests: a connection-log line from what the ALB-like demo target
// decided about a connection (plus what the client presented), an access-log line per the documented field
// order, and the key ALB writes each 5-minute object under. Field order and formats: shared/aws-reference.md.

import { randomBytes } from 'node:crypto';

/** One entry of the ALB-like target's `connectionLog`. */
export interface ConnectionLogEntry {
  time: string;
  clientPort: number;
  tlsVerifyStatus: string;
}

export interface ConnectionLogFacts {
  /** The load balancer's CloudWatch dimension, `app/<name>/<id>` (the line's `elb` field). */
  loadBalancer: string;
  listenerPort: number;
  /** Default 127.0.0.1 (the probe's address on loopback). */
  clientIp?: string;
  /** The presented leaf's serial (hex, as ALB writes it); null when no certificate was presented. */
  serial: string | null;
  /** The presented leaf's subject; default a fixed test subject when a serial is given. */
  subject?: string | null;
  /** `NotBefore=…;NotAfter=…`; default a fixed validity when a serial is given. */
  validity?: string;
  /** Default a fresh `TID_<32 hex>`. */
  connTraceId?: string;
  /** The ALB node's address (the last field). */
  nodeIp?: string;
}

/** ALB writes microseconds: `2024-05-01T10:00:00.123456Z`. */
export function albTime(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1000Z').replace(/:(\d{2})Z$/, ':$1.000000Z');
}

export function newConnTraceId(): string {
  return `TID_${randomBytes(16).toString('hex')}`;
}

/** One line in ALB's connection-log format: space-separated, the subject quoted, `-` for absent fields. */
export function connectionLogLine(entry: ConnectionLogEntry, facts: ConnectionLogFacts): string {
  const ok = entry.tlsVerifyStatus === 'Success';
  const presented = facts.serial !== null;
  const subject = presented ? (facts.subject ?? 'CN=probe client,O=mTLS Probe Test PKI') : null;
  const validity = presented ? (facts.validity ?? 'NotBefore=2024-01-01T00:00:00Z;NotAfter=2030-01-01T00:00:00Z') : '-';
  return [
    albTime(entry.time),
    facts.clientIp ?? '127.0.0.1',
    entry.clientPort,
    facts.listenerPort,
    'TLSv1.2',
    'ECDHE-RSA-AES128-GCM-SHA256',
    ok ? '0.004' : '-',
    subject === null ? '-' : `"${subject}"`,
    validity,
    facts.serial ?? '-',
    entry.tlsVerifyStatus,
    facts.connTraceId ?? newConnTraceId(),
    'x25519',
    facts.loadBalancer,
    facts.nodeIp ?? '10.0.0.1',
  ].join(' ');
}

export interface AccessLogFacts {
  /** ISO 8601 (milliseconds are widened to ALB's microseconds). */
  time: string;
  /** `app/<name>/<id>`. */
  loadBalancer: string;
  clientIp: string;
  clientPort: number;
  /** `ip:port` of the target, or null when none was chosen (a WAF block, a fixed response). */
  target: string | null;
  elbStatus: number;
  targetStatus: number | null;
  /** e.g. `GET https://api.example.com:443/?q=1 HTTP/1.1`. */
  request: string;
  userAgent?: string;
  /** The X-Amzn-Trace-Id value, `Root=1-…`. */
  traceId: string;
  domain: string;
  /** e.g. ['waf', 'forward']; ['waf'] alone: WAF blocked the request. */
  actionsExecuted: string[];
  connTraceId: string;
  targetGroupArn?: string;
  chosenCertArn?: string;
  errorReason?: string;
}

function quoted(value: string | null | undefined): string {
  return `"${value === null || value === undefined || value === '' ? '-' : value.replace(/["\\]/g, '\\$&')}"`;
}

/** One access-log line, fields in the documented order (type … conn_trace_id). */
export function accessLogLine(f: AccessLogFacts): string {
  const forwarded = f.target !== null;
  return [
    'https',
    albTime(f.time),
    f.loadBalancer,
    `${f.clientIp}:${f.clientPort}`,
    f.target ?? '-',
    '0.001',
    forwarded ? '0.004' : '-1',
    forwarded ? '0.000' : '-1',
    f.elbStatus,
    f.targetStatus ?? '-',
    240,
    forwarded ? 612 : 337,
    quoted(f.request),
    quoted(f.userAgent ?? 'mtls-probe/0.1.0'),
    'ECDHE-RSA-AES128-GCM-SHA256',
    'TLSv1.2',
    forwarded ? (f.targetGroupArn ?? '-') : '-',
    quoted(f.traceId),
    quoted(f.domain),
    quoted(f.chosenCertArn ?? 'session-reused'),
    forwarded ? '0' : '-',
    albTime(f.time),
    quoted(f.actionsExecuted.join(',')),
    quoted(null),
    quoted(f.errorReason ?? null),
    quoted(f.target),
    quoted(f.targetStatus === null ? null : String(f.targetStatus)),
    quoted(null),
    quoted(null),
    f.connTraceId,
  ].join(' ');
}

const fiveMinutes = 5 * 60_000;

/** The end of the 5-minute interval whose log object holds a record of this time. */
export function albLogIntervalEnd(time: Date | string): Date {
  const t = typeof time === 'string' ? Date.parse(time) : time.getTime();
  return new Date(Math.floor(t / fiveMinutes) * fiveMinutes + fiveMinutes);
}

export interface AlbLogObjectKey {
  /** Without leading or trailing slash; empty for the bucket's root. */
  prefix?: string;
  account: string;
  region: string;
  /** `app/<name>/<id>`. */
  loadBalancer: string;
  intervalEnd: Date;
  kind: 'connection' | 'access';
  nodeIp?: string;
}

/**
 * `[prefix/]AWSLogs/<acct>/elasticloadbalancing/<region>/yyyy/mm/dd/[conn_log_]<acct>_elasticloadbalancing_<region>_app.<name>.<id>_<yyyymmddThhmmZ>_<node ip>_<random>.log.gz`
 */
export function albLogObjectKey(o: AlbLogObjectKey): string {
  const iso = o.intervalEnd.toISOString();
  const day = iso.slice(0, 10).replace(/-/g, '/');
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  const lb = o.loadBalancer.replace(/\//g, '.');
  const name = `${o.kind === 'connection' ? 'conn_log_' : ''}${o.account}_elasticloadbalancing_${o.region}_${lb}_${stamp}_${o.nodeIp ?? '10.0.0.1'}_${randomBytes(4).toString('hex')}.log.gz`;
  return `${o.prefix ? `${o.prefix}/` : ''}AWSLogs/${o.account}/elasticloadbalancing/${o.region}/${day}/${name}`;
}
