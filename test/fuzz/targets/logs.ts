// Every log parser (ALB connection and access logs, AWS WAF JSON, ModSecurity JSON audit, CloudWatch metric streams
// as the lab writes them) line by line, with the collector's matching (addLine) on what parses; and whole logs through
// the line reader and the collector's scan (plain and gzipped, cut into reads of any size). None of them throws: a
// line that is not a record is skipped, a file that cannot be read is a problem of the report.

import fc from 'fast-check';
import { LogRecordCollector, logParsers } from '../../../src/core/evidence/logs/log-record-collector';
import { scanLogLines } from '../../../src/core/evidence/logs/line-reader';
import type { LogFormat } from '../../../src/core/evidence/types';
import { fuzzBytes, mutatedJson, repeatTo, textTokens, type FuzzTarget } from '../engine';
import { accessLogLines, allLogLines, apiGatewayAccessLines, cloudFrontConnectionLines, connectionLogLines, logFiles, logProbe, metricStreamLines, modSecurityLines, wafLogLines } from '../seeds';

const formats = Object.keys(logParsers) as LogFormat[];

function collector(): LogRecordCollector {
  return new LogRecordCollector(
    { traceId: logProbe.traceId, clientIp: logProbe.clientIp, clientPort: logProbe.clientPort, clientCertSerial: logProbe.serial, connTraceId: logProbe.connTraceId, probeTime: { from: logProbe.from, to: logProbe.to } },
    { from: new Date(Date.parse(logProbe.from) - 60_000), to: new Date(Date.parse(logProbe.to) + 60_000) },
  );
}

/** Every parser on the line; the collector's matching on it in every format; its events and report. */
export function parseLine(bytes: Buffer): string {
  const line = bytes.toString('utf8');
  const parsed = formats.filter((format) => logParsers[format](line) !== null);
  const c = collector();
  let matched = 0;
  for (const format of formats) if (c.addLine(format, line, { file: 'fuzz.log', line: 1 })) matched++;
  c.report();
  return parsed.length === 0 ? 'none' : `${parsed.join('+')}${matched > 0 ? ':matched' : ''}`;
}

const jsonKeys = ['timestamp', 'action', 'httpRequest', 'headers', 'name', 'value', 'requestId', 'clientIp', 'terminatingRuleId', 'transaction', 'client_ip', 'time_stamp', 'client_port', 'request', 'response', 'http_code', 'messages', 'message', 'details', 'ruleId', 'method', 'uri', 'unique_id', 'dimensions', 'value', 'sum', 'count', 'namespace', 'metric_name'];
const lineTokens = textTokens(' ', '"', '\\"', '\\', '-', ' - ', '"-"', '\t', ':', '[', ']', '{', '}', '\r', 'TID_', 'Root=', '2026-01-15T12:00:01.000000Z', '203.0.113.7:49152', 'Failed:ClientCertUntrusted', 'NotBefore=', ';NotAfter=');

export const logLineTarget: FuzzTarget = {
  name: 'log-lines',
  description: 'the five log parsers and LogRecordCollector.addLine on mutated ALB connection/access lines and WAF, ModSecurity and metric-stream JSON (hostile values: {"toString":1}, deep arrays, huge numbers)',
  weight: 14,
  input: fc.oneof(
    { arbitrary: fuzzBytes(allLogLines.map((l) => Buffer.from(l)), lineTokens), weight: 1 },
    { arbitrary: mutatedJson([...wafLogLines, ...modSecurityLines, ...metricStreamLines, ...apiGatewayAccessLines, cloudFrontConnectionLines[0]!], jsonKeys, lineTokens), weight: 1 },
  ),
  run: parseLine,
  coded: [],
  shapes: [
    { name: 'one line of many fields', make: (bytes) => repeatTo(' -', bytes, connectionLogLines[0]!) },
    { name: 'one quoted field of backslashes', make: (bytes) => repeatTo('\\\\', bytes, `${accessLogLines[0]!.slice(0, 200)} "`, '"') },
    { name: 'deeply nested JSON', make: (bytes) => Buffer.concat([repeatTo('[', bytes / 2, '{"timestamp":1,"action":"x","httpRequest":{},"a":'), repeatTo(']', bytes / 2, '', '}')]) },
    { name: 'WAF record with many headers', make: (bytes) => Buffer.from(wafLogLines[0]!.replace('"headers":[', `"headers":[${repeatTo('{"name":"a","value":"b"},', bytes).toString()}`)) },
    { name: 'ModSecurity record with many messages', make: (bytes) => Buffer.from(modSecurityLines[0]!.replace('"messages":[', `"messages":[${repeatTo('{"message":"m","details":{"ruleId":"1"}},', bytes).toString()}`)) },
  ],
};

// ---- whole logs through the line reader ---------------------------------------------------------------------------

/** An in-memory log read in chunks whose size comes from the input, so reads split lines (and gzip members) anywhere. */
function streamOf(bytes: Buffer, name: string): { name: string; open(): Promise<AsyncIterable<Uint8Array>> } {
  const size = 1 + (bytes.length % 4 === 0 ? bytes.length : bytes.length % 97);
  return {
    name,
    open: async () =>
      (async function* () {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      })(),
  };
}

export async function scanLog(bytes: Buffer): Promise<string> {
  const kinds = new Set<string>();
  const lines = await scanLogLines(streamOf(bytes, 'fuzz.log'), { onCandidate: () => undefined, chunkBytes: 4096 });
  if (lines.problem !== null) kinds.add('problem');
  // One format per input (by its length), so each input costs one scan of the collector; the run covers them all.
  for (const format of [formats[bytes.length % formats.length]!]) {
    const c = collector();
    const matched = await c.scan(streamOf(bytes, `fuzz.${format}`), format, { chunkBytes: 4096 });
    const report = c.report();
    if (matched > 0) kinds.add('matched');
    if (report.stats.skippedLines > 0) kinds.add('skipped');
  }
  return kinds.size === 0 ? 'quiet' : [...kinds].sort().join('+');
}

export const logScanTarget: FuzzTarget = {
  name: 'log-scan',
  description: 'scanLogLines and LogRecordCollector.scan (each format in turn) over mutated whole logs, plain and gzipped (cut, corrupted), read in odd-sized chunks',
  weight: 4,
  input: fuzzBytes(logFiles(), [...lineTokens, ...textTokens('\n', '\r\n', '\n\n'), Buffer.from([0x1f, 0x8b, 0x08, 0x00])]),
  run: scanLog,
  coded: [],
  shapes: [
    { name: 'one line with no end', make: (bytes) => repeatTo('x', bytes) },
    { name: 'many short lines', make: (bytes) => repeatTo('a\n', bytes) },
    { name: 'WAF log', make: (bytes) => repeatTo(`${wafLogLines[0]}\n`, bytes) },
  ],
};
