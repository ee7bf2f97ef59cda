// ModSecurity v3 JSON audit records (SecAuditLogFormat JSON, SecAuditLogType Serial): one object per line,
// `{"transaction":{client_ip, time_stamp, client_port, unique_id, request{method, uri, headers{}},
// response{http_code}, messages[{message, details{ruleId, …}}]}}`. time_stamp is asctime-style local time
// ("Tue Nov 24 21:36:05 2026"), whole seconds, no zone: it is read as the machine's local time.

import { isObject, parseJsonLogLine } from './log-fields';

export type ModSecurityMessage = {
  message: string;
  details: { ruleId?: string; severity?: string; data?: string; match?: string; file?: string; tags?: string[]; [field: string]: unknown };
};

export type ModSecurityTransaction = {
  client_ip: string;
  time_stamp: string;
  client_port?: number;
  host_ip?: string;
  host_port?: number;
  server_id?: string;
  unique_id?: string;
  request?: { method?: string; http_version?: number | string; uri?: string; headers?: Record<string, string>; [field: string]: unknown };
  response?: { http_code?: number; headers?: Record<string, string>; body?: string; [field: string]: unknown };
  producer?: Record<string, unknown>;
  messages?: ModSecurityMessage[];
  [field: string]: unknown;
};

export type ModSecurityAuditRecord = { transaction: ModSecurityTransaction; [field: string]: unknown };

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Tue Nov 24 21:36:05 2026` (local time) as a Date; null when it is not that shape. */
export function parseModSecurityTimestamp(value: string): Date | null {
  const m = /^\w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(value.trim());
  if (m === null) return null;
  const month = months.indexOf(m[1]!);
  if (month === -1) return null;
  const date = new Date(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isNaN(date.getTime()) ? null : date;
}

export function modSecurityRecordFrom(value: unknown): ModSecurityAuditRecord | null {
  if (!isObject(value) || !isObject(value.transaction)) return null;
  const t = value.transaction;
  if (typeof t.client_ip !== 'string' || typeof t.time_stamp !== 'string' || parseModSecurityTimestamp(t.time_stamp) === null) return null;
  if (t.request !== undefined && !isObject(t.request)) return null;
  if (t.messages !== undefined && !Array.isArray(t.messages)) return null;
  return value as ModSecurityAuditRecord;
}

export function parseModSecurityAuditLine(line: string): ModSecurityAuditRecord | null {
  return parseJsonLogLine(line, modSecurityRecordFrom);
}

/** A request header's value, by case-insensitive name. */
export function modSecurityHeader(record: ModSecurityAuditRecord, name: string): string | undefined {
  const headers = record.transaction.request?.headers;
  if (!isObject(headers)) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  return undefined;
}

/** The rule ids of the record's messages, in order, without repeats. */
export function modSecurityRuleIds(record: ModSecurityAuditRecord): string[] {
  const ids: string[] = [];
  for (const message of record.transaction.messages ?? []) {
    const id = isObject(message) && isObject(message.details) ? message.details.ruleId : undefined;
    if (typeof id === 'string' && !ids.includes(id)) ids.push(id);
  }
  return ids;
}
