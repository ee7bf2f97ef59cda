// ALB access logs: one space-separated line per request, fields by position as the access-log page and the
// Athena table list them (client:port and target:port split into ip and port); newer fields are appended.

import { isoTime, numberField, present, splitAddress, splitLogFields } from './log-fields';

export type AlbAccessLogRecord = {
  type: string;
  time: string;
  elb: string;
  client_ip: string;
  client_port: number;
  target_ip: string | null;
  target_port: number | null;
  /** Seconds; -1 when the load balancer could not send the request on or got no response. */
  request_processing_time: number | null;
  target_processing_time: number | null;
  response_processing_time: number | null;
  elb_status_code: number | null;
  target_status_code: number | null;
  received_bytes: number | null;
  sent_bytes: number | null;
  request: string | null;
  request_verb: string | null;
  request_url: string | null;
  request_proto: string | null;
  user_agent: string | null;
  ssl_cipher: string | null;
  ssl_protocol: string | null;
  target_group_arn: string | null;
  /** The X-Amzn-Trace-Id value (`Root=1-…`, possibly with Self=). */
  trace_id: string | null;
  domain_name: string | null;
  chosen_cert_arn: string | null;
  matched_rule_priority: string | null;
  request_creation_time: string | null;
  /** e.g. ['waf', 'forward']; WAF blocked the request when 'waf' is the last action. */
  actions_executed: string[];
  redirect_url: string | null;
  error_reason: string | null;
  target_port_list: string[];
  target_status_code_list: string[];
  classification: string | null;
  classification_reason: string | null;
  conn_trace_id: string | null;
  extra_fields: string[];
};

const requestTypes = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);
/** type … "request" "user_agent": the fields every version of the format has had. */
const minimumFields = 14;

function listField(value: string | undefined, separator: RegExp): string[] {
  const v = present(value);
  return v === null ? [] : v.split(separator).filter((s) => s.length > 0);
}

/**
 * The fields by name as AWS's Athena table for access logs names them (client:port, target:port and the request
 * split in parts; `lambda_error_reason` for error_reason), in its order.
 */
export const albAccessLogColumns = [
  'type',
  'time',
  'elb',
  'client_ip',
  'client_port',
  'target_ip',
  'target_port',
  'request_processing_time',
  'target_processing_time',
  'response_processing_time',
  'elb_status_code',
  'target_status_code',
  'received_bytes',
  'sent_bytes',
  'request_verb',
  'request_url',
  'request_proto',
  'user_agent',
  'ssl_cipher',
  'ssl_protocol',
  'target_group_arn',
  'trace_id',
  'domain_name',
  'chosen_cert_arn',
  'matched_rule_priority',
  'request_creation_time',
  'actions_executed',
  'redirect_url',
  'lambda_error_reason',
  'target_port_list',
  'target_status_code_list',
  'classification',
  'classification_reason',
  'conn_trace_id',
] as const;

/** The fields as the line has them, from their names: a column each, or two or three joined (client:port, request). */
const columns = albAccessLogColumns;
const lineFieldsByName: ReadonlyArray<string | ((value: (column: string) => string | undefined) => string | undefined)> = [
  ...columns.slice(0, 3),
  (v) => v('client:port') ?? joined(':', v('client_ip'), v('client_port')),
  (v) => v('target:port') ?? joined(':', v('target_ip'), v('target_port')),
  ...columns.slice(7, 14),
  (v) => v('request') ?? joined(' ', v('request_verb'), v('request_url'), v('request_proto')),
  ...columns.slice(17, 28),
  (v) => v('error_reason') ?? v('lambda_error_reason'),
  (v) => v('target:port_list') ?? v('target_port_list'),
  ...columns.slice(30),
];

function joined(separator: string, ...parts: Array<string | undefined>): string | undefined {
  return parts.every((p) => p !== undefined) ? parts.join(separator) : undefined;
}

export function parseAlbAccessLogLine(line: string): AlbAccessLogRecord | null {
  const f = splitLogFields(line);
  return f === null ? null : albAccessLogRecord(f);
}

/**
 * A record given by name (an Athena row, a JSON record: absent and null values are `-`), read as its line would be.
 * Takes the Athena table's names (albAccessLogColumns) and the log's own (`client:port`, `request`, `error_reason`).
 */
export function albAccessLogRecordByName(value: (column: string) => string | null | undefined): AlbAccessLogRecord | null {
  const v = (column: string): string | undefined => {
    const found = value(column);
    return found === null || found === undefined || found === '-' ? undefined : found;
  };
  return albAccessLogRecord(lineFieldsByName.map((field) => (typeof field === 'string' ? v(field) : field(v)) ?? '-'));
}

/** A record from its fields in log order; null when they are not an access-log record. */
export function albAccessLogRecord(f: readonly string[]): AlbAccessLogRecord | null {
  if (f.length < minimumFields) return null;
  const type = f[0] ?? '';
  const time = isoTime(f[1]);
  const client = splitAddress(f[3]);
  if (!requestTypes.has(type) || time === null || client === null) return null;
  const target = present(f[4]) === null ? null : splitAddress(f[4]);
  if (present(f[4]) !== null && target === null) return null;
  const numbers = [5, 6, 7, 8, 9, 10, 11].map((i) => numberField(f[i]));
  if (numbers.some((n) => n === undefined)) return null;
  const [requestProcessing, targetProcessing, responseProcessing, elbStatus, targetStatus, received, sent] = numbers as Array<number | null>;
  const request = present(f[12]);
  const requestParts = request?.split(' ') ?? [];
  const creation = present(f[21]);
  return {
    type,
    time,
    elb: f[2] ?? '',
    client_ip: client.ip,
    client_port: client.port,
    target_ip: target?.ip ?? null,
    target_port: target?.port ?? null,
    request_processing_time: requestProcessing ?? null,
    target_processing_time: targetProcessing ?? null,
    response_processing_time: responseProcessing ?? null,
    elb_status_code: elbStatus ?? null,
    target_status_code: targetStatus ?? null,
    received_bytes: received ?? null,
    sent_bytes: sent ?? null,
    request,
    request_verb: requestParts.length === 3 ? present(requestParts[0]) : null,
    request_url: requestParts.length === 3 ? present(requestParts[1]) : null,
    request_proto: requestParts.length === 3 ? present(requestParts[2]) : null,
    user_agent: present(f[13]),
    ssl_cipher: present(f[14]),
    ssl_protocol: present(f[15]),
    target_group_arn: present(f[16]),
    trace_id: present(f[17]),
    domain_name: present(f[18]),
    chosen_cert_arn: present(f[19]),
    matched_rule_priority: present(f[20]),
    request_creation_time: creation === null ? null : isoTime(creation) ?? creation,
    actions_executed: listField(f[22], /,/),
    redirect_url: present(f[23]),
    error_reason: present(f[24]),
    target_port_list: listField(f[25], /\s+/),
    target_status_code_list: listField(f[26], /\s+/),
    classification: present(f[27]),
    classification_reason: present(f[28]),
    conn_trace_id: present(f[29]),
    extra_fields: f.slice(30),
  };
}

/** True when WAF blocked the request: `waf` is the last action executed. */
export function blockedByWaf(record: AlbAccessLogRecord): boolean {
  return record.actions_executed[record.actions_executed.length - 1] === 'waf';
}
