// AWS WAF logs: one JSON object per request (S3, CloudWatch Logs or Firehose delivery), field names as the
// WAF developer guide's logging fields list them. Unknown fields are kept as they are.

import { isObject, parseJsonLogLine } from './log-fields';

export type WafHttpHeader = { name: string; value: string };

export type WafLogRecord = {
  /** Epoch milliseconds. */
  timestamp: number;
  formatVersion?: number;
  webaclId?: string;
  /** `Default_Action` when no rule terminated the request. */
  terminatingRuleId?: string;
  terminatingRuleType?: string;
  action: string;
  httpSourceName?: string;
  httpSourceId?: string;
  ruleGroupList?: unknown[];
  labels?: Array<{ name: string }>;
  httpRequest: {
    clientIp?: string;
    country?: string;
    headers?: WafHttpHeader[];
    uri?: string;
    args?: string;
    httpVersion?: string;
    httpMethod?: string;
    requestId?: string;
    [field: string]: unknown;
  };
  [field: string]: unknown;
};

/** A parsed WAF record that has the fields matching needs; null for anything else. */
export function wafRecordFrom(value: unknown): WafLogRecord | null {
  if (!isObject(value)) return null;
  if (typeof value.timestamp !== 'number' || !Number.isFinite(value.timestamp) || typeof value.action !== 'string' || !isObject(value.httpRequest)) return null;
  return value as WafLogRecord;
}

export function parseWafLogLine(line: string): WafLogRecord | null {
  return parseJsonLogLine(line, wafRecordFrom);
}

/** A request header's value, by case-insensitive name. */
export function wafHeader(record: WafLogRecord, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const headers = record.httpRequest.headers;
  if (!Array.isArray(headers)) return undefined;
  const header = headers.find((h) => isObject(h) && typeof h.name === 'string' && h.name.toLowerCase() === wanted);
  return typeof header?.value === 'string' ? header.value : undefined;
}
