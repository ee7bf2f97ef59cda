// ALB connection-log and access-log lines, field by field in the documented order: space-separated, `-` for an
// absent value, the documented fields double-quoted (a quote or backslash inside escaped with a backslash).

import { randomBytes } from 'node:crypto';
import { albSerial } from '../evidence/correlate';
import { plainIp } from './ip-set';

/** One TLS connection attempt, as the listener saw it. */
export interface ConnectionLogEntry {
  /** When the handshake ended, successfully or not. */
  time: Date;
  clientIp: string;
  clientPort: number;
  listenerPort: number;
  /** `TLSv1.2`, `TLSv1.3`; absent when the handshake never got that far. */
  tlsProtocol?: string | null;
  /** OpenSSL cipher name, e.g. `ECDHE-RSA-AES128-GCM-SHA256`, `TLS_AES_128_GCM_SHA256`. */
  tlsCipher?: string | null;
  /** Seconds; absent when the handshake failed (written `-`). */
  handshakeLatencySeconds?: number | null;
  /** The client's leaf certificate, when it sent one. */
  leafCertificate?: {
    /** RFC 2253 distinguished name, e.g. `CN=partner,O=Example Corp`. */
    subject: string;
    notBefore: Date;
    notAfter: Date;
    /** Hex in any form (`0a:1b`, `0A1B`): written as ALB writes serials. */
    serialNumber: string;
  } | null;
  /** `Success` or `Failed:<code>` (e.g. `Failed:ClientCertUntrusted`). */
  verifyStatus: string;
  /** `TID_<hex>`, shared with the access-log lines of the same connection (see newConnTraceId). */
  connTraceId: string;
  /** The key exchange, e.g. `X25519`, `ECDHE`. */
  tlsKeyExchange?: string | null;
}

/** One request, as the load balancer logged it once it answered. */
export interface AccessLogEntry {
  /** `https` for HTTP/1.x over TLS, `h2` for HTTP/2. Default `https`. */
  type?: 'http' | 'https' | 'h2' | 'grpcs' | 'ws' | 'wss';
  /** When the load balancer sent its response. */
  time: Date;
  /** When the load balancer received the request. */
  requestCreationTime: Date;
  clientIp: string;
  clientPort: number;
  /** Where the request was forwarded; null when it never reached a target (a WAF block). */
  target: { ip: string; port: number } | null;
  /** Seconds, from receiving the request to sending it on (or deciding not to). */
  requestProcessingTime: number;
  /** Seconds; default 0, and -1 when there was no target (ALB's value when it could not dispatch the request). */
  targetProcessingTime?: number;
  /** Seconds; default 0, and -1 when there was no target. */
  responseProcessingTime?: number;
  elbStatusCode: number;
  /** Absent when there was no target. */
  targetStatusCode?: number | null;
  receivedBytes: number;
  sentBytes: number;
  /** The request line's parts: `GET https://host:443/path?query HTTP/1.1`. */
  request: { method: string; url: string; protocol: string };
  userAgent?: string | null;
  sslCipher?: string | null;
  sslProtocol?: string | null;
  targetGroupArn?: string | null;
  /** The X-Amzn-Trace-Id value (`Root=1-…`). */
  traceId: string;
  /** The SNI host name. */
  domainName?: string | null;
  chosenCertArn?: string | null;
  /** 0 when the listener's default action was taken. */
  matchedRulePriority?: number;
  /** In order, e.g. ['waf', 'forward']; ['waf'] alone when WAF blocked the request. */
  actionsExecuted: string[];
  redirectUrl?: string | null;
  errorReason?: string | null;
  classification?: string | null;
  classificationReason?: string | null;
  connTraceId: string;
}

/** A connection trace id in ALB's form. */
export function newConnTraceId(): string {
  return `TID_${randomBytes(16).toString('hex')}`;
}

/** ISO 8601 with microseconds, as ALB stamps its records. */
export function albTimestamp(time: Date): string {
  return time.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The documented time form of certificate validity: whole seconds. */
function certificateTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An unquoted field: `-` when absent. Spaces would shift every later field, so they never reach one. */
function bare(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/\s+/g, '_');
}

/** A quoted field: `"-"` when absent; a quote or backslash escaped, control characters (a line break) as spaces. */
function quoted(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '"-"';
  // eslint-disable-next-line no-control-regex
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, ' ')}"`;
}

function seconds(value: number): string {
  return value === -1 ? '-1' : value.toFixed(3);
}

/** The documented fields: timestamp … ip_address (15). */
export function connectionLogLine(entry: ConnectionLogEntry, elb: string, nodeIp: string): string {
  const cert = entry.leafCertificate ?? null;
  const latency = entry.handshakeLatencySeconds;
  return [
    albTimestamp(entry.time),
    bare(plainIp(entry.clientIp)),
    bare(entry.clientPort),
    bare(entry.listenerPort),
    bare(entry.tlsProtocol),
    bare(entry.tlsCipher),
    latency === null || latency === undefined ? '-' : seconds(latency),
    quoted(cert?.subject),
    cert === null ? '-' : `NotBefore=${certificateTime(cert.notBefore)};NotAfter=${certificateTime(cert.notAfter)}`,
    cert === null ? '-' : albSerial(cert.serialNumber),
    bare(entry.verifyStatus),
    bare(entry.connTraceId),
    bare(entry.tlsKeyExchange),
    bare(elb),
    bare(nodeIp),
  ].join(' ');
}

/** The documented fields: type … conn_trace_id (30). */
export function accessLogLine(entry: AccessLogEntry, elb: string): string {
  const target = entry.target === null ? null : `${plainIp(entry.target.ip)}:${entry.target.port}`;
  const targetStatus = entry.target === null ? null : (entry.targetStatusCode ?? null);
  const { method, url, protocol } = entry.request;
  return [
    entry.type ?? 'https',
    albTimestamp(entry.time),
    bare(elb),
    `${plainIp(entry.clientIp)}:${entry.clientPort}`,
    bare(target),
    seconds(entry.requestProcessingTime),
    seconds(entry.targetProcessingTime ?? (entry.target === null ? -1 : 0)),
    seconds(entry.responseProcessingTime ?? (entry.target === null ? -1 : 0)),
    bare(entry.elbStatusCode),
    bare(targetStatus),
    bare(entry.receivedBytes),
    bare(entry.sentBytes),
    quoted(`${method} ${url} ${protocol}`),
    quoted(entry.userAgent),
    bare(entry.sslCipher),
    bare(entry.sslProtocol),
    bare(entry.targetGroupArn),
    quoted(entry.traceId),
    quoted(entry.domainName),
    quoted(entry.chosenCertArn),
    bare(entry.matchedRulePriority ?? 0),
    albTimestamp(entry.requestCreationTime),
    quoted(entry.actionsExecuted.join(',')),
    quoted(entry.redirectUrl),
    quoted(entry.errorReason),
    quoted(target),
    quoted(targetStatus === null ? null : String(targetStatus)),
    quoted(entry.classification),
    quoted(entry.classificationReason),
    bare(entry.connTraceId),
  ].join(' ');
}
