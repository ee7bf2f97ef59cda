// API Gateway access logs (REST and HTTP APIs): one record per request, in the format the stage's owner wrote with
// $context variables. Only JSON formats are read (one object per line, as CloudWatch Logs stores them); CLF, CSV and
// XML formats are not, and their lines count as skipped.
//
// The field names are the owner's choice, so each field is found by the names people give it. A name is compared
// without case, separators or a leading `$context.`/`context.` (`client_cert_subject_dn`, `clientCertSubjectDN`,
// `identity.clientCert.subjectDN` and `$context.identity.clientCert.subjectDN` are the same name), nested objects
// flattened to dotted names first. The names mapped, per variable:
//   $context.requestId                              requestId, request_id, reqId, apigwRequestId
//   $context.extendedRequestId                      extendedRequestId, apigwId
//   $context.identity.sourceIp                      ip, sourceIp, identity.sourceIp, clientIp, remoteIp
//   $context.requestTimeEpoch (ms)                  requestTimeEpoch, epoch, timeEpoch
//   $context.requestTime (26/Nov/2026:10:11:12 +0000), or ISO 8601
//                                                   requestTime, time, timestamp, @timestamp (Logs Insights)
//   $context.status                                 status, statusCode, httpStatus
//   $context.error.message / .messageString         errorMessage, error, errorMsg, error.messageString
//   $context.error.responseType                     errorResponseType, responseType, gatewayResponseType
//   $context.xrayTraceId                            xrayTraceId, traceId, amznTraceId
//   $context.waf.status, $context.wafResponseCode   wafStatus, wafResponseCode, waf
//   $context.identity.clientCert.subjectDN          clientCertSubjectDN, clientCertSubject, subjectDN, certSubject
//   $context.identity.clientCert.issuerDN           clientCertIssuerDN, clientCertIssuer, issuerDN, certIssuer
//   $context.identity.clientCert.serialNumber       clientCertSerialNumber, clientCertSerial, serialNumber, certSerial
//   $context.identity.clientCert.validity.notBefore clientCertNotBefore, clientCertValidityNotBefore, notBefore
//   $context.identity.clientCert.validity.notAfter  clientCertNotAfter, clientCertValidityNotAfter, notAfter
//   $context.identity.clientCert.clientCertPem      clientCertPem, certPem
//   $context.httpMethod, .path/.resourcePath/.routeKey, .protocol, .domainName   by those names (and method)
// Each also by its full variable path. AWS documents that the clientCert variables are "present only in access logs if
// mutual TLS authentication fails" (REST and HTTP API logging variables); a variable with no value is written `-`.

import type { EvidenceLane, EvidenceMatch, TimeWindow } from '../types';
import { isObject, normaliseSerial, parseJsonLogLine, traceRoot } from './log-fields';

export interface ApiGatewayClientCert {
  subjectDN: string | null;
  issuerDN: string | null;
  /** As API Gateway writes it (colon-separated hex, e.g. `a1:b2:…`); certs/serial-number.ts compares it with others. */
  serialNumber: string | null;
  notBefore: string | null;
  notAfter: string | null;
  pem: string | null;
}

export interface ApiGatewayAccessLogRecord {
  /** When API Gateway received the request, ISO 8601 UTC. */
  time: string;
  /** 999 when the time has whole seconds only ($context.requestTime), 0 from $context.requestTimeEpoch. */
  resolutionMs: number;
  requestId: string | null;
  extendedRequestId: string | null;
  sourceIp: string | null;
  status: number | null;
  errorMessage: string | null;
  errorResponseType: string | null;
  xrayTraceId: string | null;
  wafStatus: string | null;
  /** Null when the record has no clientCert field with a value (mutual TLS did not fail, or the format logs none). */
  clientCert: ApiGatewayClientCert | null;
  httpMethod: string | null;
  path: string | null;
  /**
   * The record as evidence shows it: the fields mapped under their $context names without `$context.` (flat dotted
   * keys, e.g. `identity.clientCert.serialNumber`), the others under the owner's names.
   */
  fields: Record<string, unknown>;
}

type Canonical =
  | 'requestId'
  | 'extendedRequestId'
  | 'identity.sourceIp'
  | 'requestTimeEpoch'
  | 'requestTime'
  | 'status'
  | 'error.message'
  | 'error.responseType'
  | 'xrayTraceId'
  | 'waf.status'
  | 'identity.clientCert.subjectDN'
  | 'identity.clientCert.issuerDN'
  | 'identity.clientCert.serialNumber'
  | 'identity.clientCert.validity.notBefore'
  | 'identity.clientCert.validity.notAfter'
  | 'identity.clientCert.clientCertPem'
  | 'httpMethod'
  | 'path'
  | 'protocol'
  | 'domainName';

/** The names each field goes by (compared as nameKey makes them), the variable's own path first. */
const aliases: Record<Canonical, string[]> = {
  requestId: ['requestId', 'request_id', 'reqId', 'apigwRequestId'],
  extendedRequestId: ['extendedRequestId', 'apigwId', 'extRequestId'],
  'identity.sourceIp': ['identity.sourceIp', 'ip', 'sourceIp', 'clientIp', 'remoteIp'],
  requestTimeEpoch: ['requestTimeEpoch', 'epoch', 'timeEpoch'],
  requestTime: ['requestTime', 'time', 'timestamp'],
  status: ['status', 'statusCode', 'httpStatus'],
  'error.message': ['error.message', 'error.messageString', 'errorMessage', 'error', 'errorMsg'],
  'error.responseType': ['error.responseType', 'errorResponseType', 'responseType', 'gatewayResponseType'],
  xrayTraceId: ['xrayTraceId', 'traceId', 'amznTraceId', 'xAmznTraceId'],
  'waf.status': ['waf.status', 'wafResponseCode', 'wafStatus', 'waf'],
  'identity.clientCert.subjectDN': ['identity.clientCert.subjectDN', 'clientCertSubjectDN', 'clientCert.subjectDN', 'clientCertSubject', 'subjectDN', 'certSubject', 'certSubjectDN'],
  'identity.clientCert.issuerDN': ['identity.clientCert.issuerDN', 'clientCertIssuerDN', 'clientCert.issuerDN', 'clientCertIssuer', 'issuerDN', 'certIssuer', 'certIssuerDN'],
  'identity.clientCert.serialNumber': ['identity.clientCert.serialNumber', 'clientCertSerialNumber', 'clientCert.serialNumber', 'clientCertSerial', 'serialNumber', 'certSerial', 'certSerialNumber'],
  'identity.clientCert.validity.notBefore': ['identity.clientCert.validity.notBefore', 'clientCertNotBefore', 'clientCertValidityNotBefore', 'clientCert.validity.notBefore', 'validity.notBefore', 'notBefore', 'certNotBefore'],
  'identity.clientCert.validity.notAfter': ['identity.clientCert.validity.notAfter', 'clientCertNotAfter', 'clientCertValidityNotAfter', 'clientCert.validity.notAfter', 'validity.notAfter', 'notAfter', 'certNotAfter'],
  'identity.clientCert.clientCertPem': ['identity.clientCert.clientCertPem', 'clientCertPem', 'clientCert.clientCertPem', 'certPem'],
  httpMethod: ['httpMethod', 'method'],
  path: ['path', 'resourcePath', 'routeKey', 'requestPath'],
  protocol: ['protocol'],
  domainName: ['domainName', 'domain'],
};

/** A field name as names are compared: no case, no separators, no `$context.` or `context.` in front. */
function nameKey(name: string): string {
  return name.replace(/^\$?context\./i, '').replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}

const canonicalByKey = new Map<string, Canonical>();
for (const [canonical, names] of Object.entries(aliases) as Array<[Canonical, string[]]>) {
  for (const name of names) if (!canonicalByKey.has(nameKey(name))) canonicalByKey.set(nameKey(name), canonical);
}

/** Nested objects as dotted names (`{"error":{"message":…}}` → `error.message`), at most a few levels deep. */
function flatten(value: Record<string, unknown>, prefix = '', depth = 0, into: Array<[string, unknown]> = []): Array<[string, unknown]> {
  for (const [k, v] of Object.entries(value)) {
    const name = prefix === '' ? k : `${prefix}.${k}`;
    if (isObject(v) && depth < 4) flatten(v, name, depth + 1, into);
    else into.push([name, v]);
  }
  return into;
}

/** A value as text: `-` and empty as null, numbers written out, anything else null. */
function textOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const v = value.trim();
  return v === '' || v === '-' ? null : v;
}

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** `26/Nov/2026:10:11:12 +0000` ($context.requestTime) as epoch ms; null when it is not that shape. */
function clfTime(value: string): number | null {
  const m = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ?([+-])(\d{2}):?(\d{2})$/.exec(value);
  if (m === null) return null;
  const month = months.indexOf(m[2]!.toLowerCase());
  if (month === -1) return null;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  const t = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset;
  return Number.isFinite(t) ? t : null;
}

/** ISO 8601 with a zone, or Logs Insights' `2026-11-26 10:11:12.345` (UTC); null otherwise. */
function isoOrInsightsTime(value: string): number | null {
  const insights = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?$/.test(value) ? `${value.replace(' ', 'T')}Z` : null;
  const iso = insights ?? (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : null);
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/** Epoch milliseconds (or seconds, for a value too small to be milliseconds). */
function epochTime(value: string): number | null {
  if (!/^\d{9,13}(?:\.\d+)?$/.test(value)) return null;
  const n = Number(value);
  return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
}

/** When the request arrived: $context.requestTimeEpoch if logged (ms), else $context.requestTime (whole seconds). */
function requestTime(mapped: Map<Canonical, string>): { t: number; resolutionMs: number } | null {
  const epoch = mapped.get('requestTimeEpoch');
  const fromEpoch = epoch !== undefined ? epochTime(epoch) : null;
  if (fromEpoch !== null) return { t: fromEpoch, resolutionMs: 0 };
  const text = mapped.get('requestTime');
  if (text === undefined) return null;
  const epochInTime = epochTime(text);
  if (epochInTime !== null) return { t: epochInTime, resolutionMs: 0 };
  const clf = clfTime(text);
  if (clf !== null) return { t: clf, resolutionMs: 999 };
  const iso = isoOrInsightsTime(text);
  return iso !== null ? { t: iso, resolutionMs: /\.\d/.test(text) ? 0 : 999 } : null;
}

function clientCertOf(mapped: Map<Canonical, string>): ApiGatewayClientCert | null {
  const cert: ApiGatewayClientCert = {
    subjectDN: mapped.get('identity.clientCert.subjectDN') ?? null,
    issuerDN: mapped.get('identity.clientCert.issuerDN') ?? null,
    serialNumber: mapped.get('identity.clientCert.serialNumber') ?? null,
    notBefore: mapped.get('identity.clientCert.validity.notBefore') ?? null,
    notAfter: mapped.get('identity.clientCert.validity.notAfter') ?? null,
    pem: mapped.get('identity.clientCert.clientCertPem') ?? null,
  };
  return Object.values(cert).some((v) => v !== null) ? cert : null;
}

/**
 * A parsed access-log object; null unless it has a request id ($context.requestId or extendedRequestId), a time it
 * arrived, and a status or a source address: what tells it from other JSON logs and ties it to a probe.
 */
export function apiGatewayRecordFrom(value: unknown): ApiGatewayAccessLogRecord | null {
  if (!isObject(value)) return null;
  const mapped = new Map<Canonical, string>();
  const fields: Record<string, unknown> = {};
  const others: Array<[string, unknown]> = [];
  for (const [name, raw] of flatten(value)) {
    const canonical = canonicalByKey.get(nameKey(name));
    const text = textOf(raw);
    if (canonical === undefined || mapped.has(canonical)) {
      others.push([name, raw]);
      continue;
    }
    if (text !== null) mapped.set(canonical, text);
  }
  const time = requestTime(mapped);
  const requestId = mapped.get('requestId') ?? null;
  const extendedRequestId = mapped.get('extendedRequestId') ?? null;
  const statusText = mapped.get('status');
  const status = statusText !== undefined && /^\d{3}$/.test(statusText) ? Number(statusText) : null;
  const sourceIp = mapped.get('identity.sourceIp') ?? null;
  if (time === null || (requestId === null && extendedRequestId === null) || (status === null && sourceIp === null)) return null;
  for (const [canonical, text] of mapped) fields[canonical] = canonical === 'status' && status !== null ? status : text;
  // The owner's other fields keep their names (a mapped name never loses to one of them); `-` is no value.
  for (const [name, raw] of others) {
    if (!(name in fields) && name !== '__proto__' && !(typeof raw === 'string' && textOf(raw) === null)) fields[name] = raw;
  }
  return {
    time: new Date(time.t).toISOString(),
    resolutionMs: time.resolutionMs,
    requestId,
    extendedRequestId,
    sourceIp,
    status,
    errorMessage: mapped.get('error.message') ?? null,
    errorResponseType: mapped.get('error.responseType') ?? null,
    xrayTraceId: mapped.get('xrayTraceId') ?? null,
    wafStatus: mapped.get('waf.status') ?? null,
    clientCert: clientCertOf(mapped),
    httpMethod: mapped.get('httpMethod') ?? null,
    path: mapped.get('path') ?? null,
    fields,
  };
}

/** One JSON access-log line; null for anything that is not an API Gateway access-log record. */
export function parseApiGatewayAccessLogLine(line: string): ApiGatewayAccessLogRecord | null {
  return parseJsonLogLine(line, apiGatewayRecordFrom);
}

// ---- a record of the probe's request --------------------------------------------------------------------------

/** What the probe's keys look like to an access-log record (the record collector's wanted keys have these). */
export interface ApiGatewayWanted {
  /** The X-Amzn-Trace-Id root the probe sent (`1-…-…`): $context.xrayTraceId continues it when X-Ray is on. */
  traceRoot: string | null;
  clientIp: string | null;
  /** The probe's certificate serial as serialMatchKey makes it. */
  serial: string | null;
  /** The request ids API Gateway answered the probe with, by the key they came as. */
  requestIds: ReadonlyMap<string, 'requestId' | 'extendedRequestId'>;
}

/** The record's ties to the probe: its request id (either one), the trace id, the source address, the certificate. */
export function apiGatewayMatches(record: ApiGatewayAccessLogRecord, wanted: ApiGatewayWanted): EvidenceMatch[] {
  const matches: EvidenceMatch[] = [];
  for (const id of [record.requestId, record.extendedRequestId]) {
    const key = id !== null ? wanted.requestIds.get(id) : undefined;
    if (id !== null && key !== undefined && !matches.some((m) => m.key === key)) matches.push({ key, value: id });
  }
  if (wanted.traceRoot !== null && record.xrayTraceId !== null && traceRoot(record.xrayTraceId) === wanted.traceRoot) matches.push({ key: 'traceId', value: record.xrayTraceId });
  if (wanted.clientIp !== null && record.sourceIp === wanted.clientIp) matches.push({ key: 'clientIp', value: record.sourceIp });
  const serial = record.clientCert?.serialNumber ?? null;
  if (wanted.serial !== null && serial !== null && normaliseSerial(serial) === wanted.serial) matches.push({ key: 'clientCertSerial', value: serial });
  return matches;
}

/** The record as a timeline event of the probe, or null when it is not in the window or not tied to the probe. */
export function apiGatewayCandidate(
  record: ApiGatewayAccessLogRecord,
  wanted: ApiGatewayWanted,
  window: TimeWindow,
): { time: number; lane: EvidenceLane; summary: string; matchedBy: EvidenceMatch[]; record: Record<string, unknown> } | null {
  const time = Date.parse(record.time);
  if (time < window.from.getTime() - record.resolutionMs || time > window.to.getTime()) return null;
  const matchedBy = apiGatewayMatches(record, wanted);
  if (matchedBy.length === 0) return null;
  const request = [record.httpMethod, record.path].filter((p) => p !== null).join(' ') || 'request';
  const error = record.errorMessage !== null ? ` (error.message "${record.errorMessage}")` : '';
  const cert = record.clientCert;
  const certificate =
    cert !== null
      ? `; clientCert ${cert.subjectDN ?? '?'}${cert.serialNumber !== null ? `, serial ${cert.serialNumber.length > 23 ? `${cert.serialNumber.slice(0, 23)}…` : cert.serialNumber}` : ''}: mutual TLS failed`
      : '';
  return {
    time,
    lane: 'load-balancer',
    summary: `API Gateway access log: ${request} answered ${record.status ?? '-'}${error}${certificate} (requestId ${record.requestId ?? record.extendedRequestId ?? '-'})`,
    matchedBy,
    record: { time: record.time, ...record.fields },
  };
}
