// CloudFront connection logs (viewer mTLS distributions only): one record per TLS connection attempt at the edge,
// delivered as CloudWatch vended logs to CloudWatch Logs, Firehose or S3. The developer guide (connection-logs.html)
// lists the fields and the output formats; what it does not show is a whole record, so each format is read as
// its name says and the guesses are named here:
//   json   one object per line, the documented field names as keys.
//   w3c    `#Version:` and `#Fields: name name …` directives, then one line per record in the #Fields order.
//   plain  the values alone, one line per record; read in the documented field order [inferred: the guide's table
//          order]. Lines of w3c or plain are split on tabs when they hold one, else on spaces (a double-quoted
//          value keeps its spaces); `-` is absent; %XX escapes are decoded [inferred: as CloudFront's access logs do].
// eventTimestamp: the guide's text says ISO 8601, its example is epoch milliseconds (1731620046814): both are read.
// clientLeafCertSerialNumber is colon-separated hex, possibly with a leading 00 (`00:b1:43:ed:…`); serials are
// compared through certs/serial-number.ts, never here.

import { isObject, looksLikeIp, numberField, parseJsonLogLine, present, splitLogFields } from './log-fields';

/** The fields in the developer guide's order: the column order of a plain record. */
export const cloudFrontConnectionLogFields = [
  'eventTimestamp',
  'connectionId',
  'connectionStatus',
  'clientIp',
  'clientPort',
  'serverIp',
  'distributionId',
  'distributionTenantId',
  'tlsProtocol',
  'tlsCipher',
  'tlsHandshakeDuration',
  'tlsSni',
  'clientLeafCertSerialNumber',
  'clientLeafCertSubject',
  'clientLeafCertIssuer',
  'clientLeafCertValidity',
  'connectionLogCustomData',
] as const;

export type CloudFrontConnectionLogFormat = 'json' | 'plain' | 'w3c';

export type CloudFrontConnectionLogRecord = {
  /** As logged: epoch milliseconds (a number in JSON) or ISO 8601 text. */
  eventTimestamp: string | number;
  /** eventTimestamp as ISO 8601 UTC. */
  time: string;
  connectionId: string | null;
  /** `Success` or `Failed:<code>`. */
  connectionStatus: string;
  clientIp: string | null;
  clientPort: number | null;
  /** The edge server's address. */
  serverIp: string | null;
  distributionId: string | null;
  distributionTenantId: string | null;
  tlsProtocol: string | null;
  tlsCipher: string | null;
  /** Milliseconds. */
  tlsHandshakeDuration: number | null;
  tlsSni: string | null;
  /** As CloudFront writes it: `00:b1:43:ed:…`. */
  clientLeafCertSerialNumber: string | null;
  clientLeafCertSubject: string | null;
  clientLeafCertIssuer: string | null;
  /** `NotBefore=…;NotAfter=…`. */
  clientLeafCertValidity: string | null;
  /** What the connection function logged with connection.logCustomData() (≤ 800 bytes). */
  connectionLogCustomData: string | null;
  /** The output format the record was read from. */
  outputFormat: CloudFrontConnectionLogFormat;
  /** Fields the guide does not list (formats grow), kept as they came. */
  [field: string]: unknown;
};

const connectionStatus = /^(?:Success|Failed:[A-Za-z]+)$/;
const earliest = Date.UTC(2000, 0, 1);
const latest = Date.UTC(2100, 0, 1);

/**
 * eventTimestamp as epoch milliseconds: epoch milliseconds (number or digits), epoch seconds (10 digits, a fraction
 * allowed) or ISO 8601 with a zone; null for anything else or a time outside 2000–2100.
 */
export function cloudFrontEventTime(value: unknown): number | null {
  let ms: number;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(?:\.\d+)?$/.test(value.trim()))) {
    const n = Number(value);
    if (!Number.isFinite(n)) return null;
    ms = n >= 1e11 ? n : n * 1000;
  } else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())) {
    ms = Date.parse(value.trim().replace(' ', 'T'));
  } else return null;
  return Number.isFinite(ms) && ms >= earliest && ms < latest ? Math.round(ms) : null;
}

function textOf(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' ? present(value.trim()) : null;
}

/** A record from field values by name (JSON keys, or a text line's columns); null when it is not a connection record. */
function recordFrom(fields: Record<string, unknown>, outputFormat: CloudFrontConnectionLogFormat): CloudFrontConnectionLogRecord | null {
  const stamp = fields.eventTimestamp;
  const millis = cloudFrontEventTime(stamp);
  const status = textOf(fields.connectionStatus);
  if (millis === null || status === null || !connectionStatus.test(status)) return null;
  const clientIp = textOf(fields.clientIp);
  if (clientIp !== null && !looksLikeIp(clientIp)) return null;
  const port = typeof fields.clientPort === 'number' ? fields.clientPort : numberField(textOf(fields.clientPort) ?? undefined);
  const duration = typeof fields.tlsHandshakeDuration === 'number' ? fields.tlsHandshakeDuration : numberField(textOf(fields.tlsHandshakeDuration) ?? undefined);
  if (port === undefined || duration === undefined || (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535))) return null;
  const record: CloudFrontConnectionLogRecord = {
    ...fields,
    eventTimestamp: typeof stamp === 'number' ? stamp : String(stamp).trim(),
    time: new Date(millis).toISOString(),
    connectionId: textOf(fields.connectionId),
    connectionStatus: status,
    clientIp,
    clientPort: port,
    serverIp: textOf(fields.serverIp),
    distributionId: textOf(fields.distributionId),
    distributionTenantId: textOf(fields.distributionTenantId),
    tlsProtocol: textOf(fields.tlsProtocol),
    tlsCipher: textOf(fields.tlsCipher),
    tlsHandshakeDuration: duration,
    tlsSni: textOf(fields.tlsSni),
    clientLeafCertSerialNumber: textOf(fields.clientLeafCertSerialNumber),
    clientLeafCertSubject: textOf(fields.clientLeafCertSubject),
    clientLeafCertIssuer: textOf(fields.clientLeafCertIssuer),
    clientLeafCertValidity: textOf(fields.clientLeafCertValidity),
    connectionLogCustomData: textOf(fields.connectionLogCustomData),
    outputFormat,
  };
  return record;
}

function jsonRecord(value: unknown): CloudFrontConnectionLogRecord | null {
  return isObject(value) ? recordFrom(value, 'json') : null;
}

function decoded(value: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(value)) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A text line's values: split on tabs when it has one, else on spaces with double-quoted values kept whole. */
function textValues(line: string): string[] | null {
  const values = line.includes('\t') ? line.split('\t').map((v) => v.trim()) : splitLogFields(line);
  return values === null ? null : values.map(decoded);
}

/** A plain or w3c line, its values named by `names` (the #Fields order, or the documented one). */
function textRecord(line: string, names: readonly string[], outputFormat: CloudFrontConnectionLogFormat): CloudFrontConnectionLogRecord | null {
  const values = textValues(line);
  if (values === null || values.length !== names.length) return null;
  return recordFrom(Object.fromEntries(names.map((name, i) => [name, values[i]])), outputFormat);
}

/** One line with no context (a Logs Insights @message, a sniffed line): a JSON record, or a plain one in the documented order. */
export function parseCloudFrontConnectionLogLine(line: string): CloudFrontConnectionLogRecord | null {
  const text = line.trim();
  if (text.startsWith('{')) return parseJsonLogLine(text, jsonRecord);
  if (text === '' || text.startsWith('#')) return null;
  return textRecord(text, cloudFrontConnectionLogFields, 'plain');
}

/** A W3C `#Fields:` directive's names; null for other lines. */
export function w3cFieldNames(line: string): string[] | null {
  const match = /^#Fields:\s*(.*)$/i.exec(line.trim());
  return match === null ? null : match[1]!.split(/[\s,]+/).filter((n) => n.length > 0);
}

/** What one line of a file is: a record, a W3C directive (`#Version:`, `#Fields:`), or neither. */
export type CloudFrontLineResult = CloudFrontConnectionLogRecord | 'directive' | null;

/**
 * A reader for the lines of one file (or S3 object), in order: a `#Fields:` directive names the columns of the
 * lines after it, as W3C files say; before any, lines are read as JSON or plain.
 */
export function cloudFrontConnectionLogReader(): (line: string) => CloudFrontLineResult {
  let names: string[] | null = null;
  return (line) => {
    const text = line.trim();
    if (text.startsWith('#')) {
      const fields = w3cFieldNames(text);
      if (fields !== null) names = fields;
      return fields !== null || /^#(?:Version|Software|Date|Remark|Start-Date|End-Date):/i.test(text) ? 'directive' : null;
    }
    if (names === null || text.startsWith('{')) return parseCloudFrontConnectionLogLine(text);
    return textRecord(text, names, 'w3c');
  };
}

/** `Failed:<code>` → the code; null for Success or anything else. */
export function cloudFrontFailureCode(status: string | null | undefined): string | null {
  return typeof status === 'string' && status.startsWith('Failed:') && status.length > 'Failed:'.length ? status.slice('Failed:'.length) : null;
}
