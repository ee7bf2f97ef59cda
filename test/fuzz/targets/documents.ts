// JSON documents from outside: the workspace config (JSONC, parseWorkspaceConfig: every mistake a problem, never a
// throw), saved runs (runsFromJson: RunFileError only) and what the timeline webview posts (parseWebviewMessage and
// isHostMessage: null/false for anything but the exact shapes, never a throw).

import fc from 'fast-check';
import { parseWorkspaceConfig } from '../../../src/core/config/workspace-config';
import { RunFileError, runsFromJson } from '../../../src/core/runs/run-json';
import { isHostMessage, parseWebviewMessage } from '../../../src/webview/protocol';
import { fuzzBytes, jsonValue, mutatedJson, repeatTo, textTokens, type FuzzTarget } from '../engine';
import { configSeeds, fullConfig, jsonConfigSeeds, runSeeds } from '../seeds';

// ---- the workspace config -------------------------------------------------------------------------------------

export function loadConfig(bytes: Buffer): string {
  const config = parseWorkspaceConfig(bytes.toString('utf8'), '.vscode/mtls-probe.json', '/fuzz/workspace');
  const errors = config.problems.filter((p) => p.severity === 'error').length;
  return `endpoints:${Math.min(config.endpoints.length, 2)}:identities:${Math.min(config.identities.length, 2)}:${errors > 0 ? 'errors' : config.problems.length > 0 ? 'warnings' : 'clean'}`;
}

const configKeys = ['identities', 'trustStores', 'endpoints', 'name', 'url', 'cert', 'key', 'pfx', 'ca', 'connectTo', 'serverName', 'hostHeader', 'method', 'headers', 'alpn', 'timeoutMs', 'insecure', 'expect', 'stoppedAt', 'reason', 'status', 'attempt', 'aws', 'region', 'profile', 'listenerArn', 'webAclArn', 'wafLogGroup', 'albLogs', 'logs', '$schema', 'none'];
const configTokens = textTokens('//', '/*', '*/', ',', ':', '{', '}', '[', ']', '"', '\\', '\\u', '\n', '\uFEFF', 'null', 'true', '"https://', '"../../etc/passwd"');

export const configTarget: FuzzTarget = {
  name: 'config',
  description: 'parseWorkspaceConfig on mutated JSONC configs (comments, trailing commas, BOM) and structurally mutated JSON ones (hostile values in every field)',
  weight: 5,
  input: fc.oneof({ arbitrary: fuzzBytes(configSeeds().map((c) => Buffer.from(c)), configTokens), weight: 1 }, { arbitrary: mutatedJson(jsonConfigSeeds(), configKeys, configTokens), weight: 1 }),
  run: loadConfig,
  coded: [],
  shapes: [
    { name: 'deep nesting', make: (bytes) => Buffer.concat([repeatTo('[', bytes / 2, '{"endpoints":'), repeatTo(']', bytes / 2, '', '}')]) },
    { name: 'many endpoints', make: (bytes) => repeatTo('{"name":"e","url":"https://example.com/","expect":{"none":"mtls"}},', bytes, '{"endpoints":[', '{}]}') },
    { name: 'one long string', make: (bytes) => repeatTo('a', bytes, '{"endpoints":[{"name":"', '","url":"https://x/"}]}') },
    { name: 'many unknown properties', make: (bytes) => repeatTo('"nmae":1,', bytes, '{', '"endpoints":[]}') },
    { name: 'comments', make: (bytes) => repeatTo('// a comment\n', bytes, fullConfig) },
  ],
};

// ---- saved runs -------------------------------------------------------------------------------------------------

/** The JSON in `bytes`, or null when it is not JSON (the callers' own outcome, before the code under test runs). */
function jsonOf(bytes: Buffer): { value: unknown } | null {
  try {
    return { value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch {
    return null;
  }
}

/** As `mtls-probe report` reads a file: JSON first (not JSON is its own coded error there), then the runs in it. */
export function readRuns(bytes: Buffer): string {
  const json = jsonOf(bytes);
  if (json === null) return 'not_json';
  const runs = runsFromJson(json.value, 'fuzz.json');
  return `runs:${Math.min(runs.length, 3)}${runs.some((r) => r.evidence !== undefined) ? '+evidence' : ''}${runs.some((r) => r.expectation !== undefined) ? '+expectation' : ''}`;
}

const runKeys = ['target', 'url', 'timings', 'tls', 'trace', 'verdict', 'reason', 'summary', 'correlationId', 'startedAt', 'run', 'id', 'endpoint', 'identity', 'label', 'probeVerdict', 'evidence', 'events', 'stats', 'problems', 'window', 'from', 'to', 'keys', 'sourceLabel', 'expectation', 'expected', 'outcome', 'passed', 'message', 'results', 'runs', 'result', 't', 'event', 'layer', 'judgedAttempt', 'got'];

const probeResult = JSON.parse(runSeeds()[0]!) as Record<string, unknown>;

export const runJsonTarget: FuzzTarget = {
  name: 'run-json',
  description: 'runsFromJson on structurally mutated runs, probe results and the matrix/demo/test --json documents',
  weight: 4,
  input: fc.oneof({ arbitrary: mutatedJson(runSeeds(), runKeys, configTokens), weight: 4 }, { arbitrary: fuzzBytes(runSeeds().map((s) => Buffer.from(s)), configTokens), weight: 1 }),
  run: readRuns,
  coded: [RunFileError],
  shapes: [
    { name: 'deeply nested arrays', make: (bytes) => Buffer.concat([repeatTo('[', bytes / 2), repeatTo(']', bytes / 2)]) },
    { name: 'many runs', make: (bytes) => repeatTo(`${JSON.stringify(probeResult)},`, bytes, '[', '{"result":null}]') },
    { name: 'one long trace', make: (bytes) => Buffer.from(JSON.stringify({ ...probeResult, trace: Array.from({ length: Math.max(1, Math.floor(bytes / 60)) }, (_, i) => ({ t: i, dir: 'in', layer: 'tls', event: 'alert' })) })) },
  ],
};

// ---- the webview's messages ---------------------------------------------------------------------------------------

/**
 * A webview message as bytes: JSON, with `{"$proto": …}` objects made into what structured clone can deliver and JSON
 * cannot (a null prototype, a Date, a Map, an array with extra properties).
 */
export function messageFrom(value: unknown, depth = 0): unknown {
  // Markers deeper than a message's own fields are left as parsed (the validator reads the top level only).
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => messageFrom(v, depth + 1));
  const record = value as Record<string, unknown>;
  const entries = Object.entries(record).filter(([k]) => k !== '$proto').map(([k, v]) => [k, messageFrom(v, depth + 1)] as const);
  switch (record.$proto) {
    case 'null':
      return Object.assign(Object.create(null) as object, Object.fromEntries(entries));
    case 'date':
      return Object.assign(new Date(0), Object.fromEntries(entries));
    case 'map':
      return new Map(entries);
    case 'array':
      return Object.assign([], Object.fromEntries(entries));
    default: {
      const out: Record<string, unknown> = {};
      for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      return out;
    }
  }
}

export function validateMessage(bytes: Buffer): string {
  const json = jsonOf(bytes);
  if (json === null) return 'not_json';
  const value = messageFrom(json.value);
  const message = parseWebviewMessage(value);
  const host = isHostMessage(value) || isHostMessage({ type: 'model', model: value });
  return `${message === null ? 'rejected' : message.type}${host ? '+host' : ''}`;
}

const messageSeeds = [
  { type: 'ready' },
  { type: 'showTrace', runId: 'r1' },
  { type: 'lookAgain', runId: 'r1' },
  { type: 'export', runId: null, format: 'html' },
  { type: 'export', runId: 'r1', format: 'otlp' },
  { type: 'model', model: { version: 1, title: 't', generatedAt: '2026-01-15T12:00:00Z', lanes: [], runs: [] } },
  { $proto: 'null', type: 'ready' },
  { $proto: 'date', type: 'showTrace', runId: 'r1' },
  { $proto: 'map', type: 'ready' },
];

export const webviewMessageTarget: FuzzTarget = {
  name: 'webview-message',
  description: 'parseWebviewMessage and isHostMessage on mutated and generated messages (extra keys, wrong types, null prototypes, Dates, Maps, long strings)',
  weight: 3,
  input: fc.oneof(
    { arbitrary: mutatedJson(messageSeeds.map((m) => JSON.stringify(m)), ['type', 'runId', 'format', 'model', 'version', 'title', 'generatedAt', 'lanes', 'runs', '$proto', 'ready', 'export', 'html', 'null', 'date', 'map', 'array']), weight: 4 },
    { arbitrary: jsonValue(['type', 'runId', 'format', '$proto']).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')), weight: 1 },
  ),
  run: validateMessage,
  coded: [],
  shapes: [
    { name: 'message with many keys', make: (bytes) => repeatTo('"k":1,', bytes, '{', '"type":"ready"}') },
    { name: 'long runId', make: (bytes) => repeatTo('r', bytes, '{"type":"showTrace","runId":"', '"}') },
    { name: 'deep nesting', make: (bytes) => Buffer.concat([repeatTo('[', bytes / 2), repeatTo(']', bytes / 2)]) },
  ],
};
