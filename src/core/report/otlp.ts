import { createHash } from 'node:crypto';
import type { EvidenceEvent, EvidenceReport } from '../evidence/types';
import type { ProbeResult } from '../probe/types';
import { version as productVersion } from '../version';
import { Attributes, phaseOfLayer, phasesOf, placeEvents, text, tlsVersion } from './otlp-phases';

// Probe runs as OpenTelemetry traces in the OTLP/JSON encoding (an ExportTraceServiceRequest, as POSTed to a
// collector's /v1/traces or imported by a tracing backend). The trace id is the X-Amzn-Trace-Id root the probe
// sent, which is how X-Ray ids map to W3C ids, so a run opens beside the target's own traces.
//
// The JSON encoding differs from protobuf's default JSON mapping: trace and span ids are lowercase hex (not
// base64), enums are integers, 64-bit integers (times, intValue) are decimal strings.
//
// Nothing secret leaves: no key material, no certificate PEM, no header values (only header names) and no body.


export interface OtlpRunInput {
  result: ProbeResult;
  evidence?: EvidenceReport;
  /** e.g. "prod-api · no certificate": becomes the mtls_probe.title attribute. */
  title?: string;
}

export interface OtlpOptions {
  /** The resource's service.name (default "mtls-probe"). */
  serviceName?: string;
  /** The instrumentation scope's version (default the product's own). */
  scopeVersion?: string;
}

export type OtlpAnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean } | { doubleValue: number };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpSpanEvent {
  timeUnixNano: string;
  name: string;
  attributes: OtlpKeyValue[];
}

/** SPAN_KIND_INTERNAL = 1, SPAN_KIND_CLIENT = 3. */
export type OtlpSpanKind = 1 | 3;

/** STATUS_CODE_UNSET = 0, STATUS_CODE_OK = 1, STATUS_CODE_ERROR = 2. */
export interface OtlpStatus {
  code: 0 | 1 | 2;
  message?: string;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: OtlpSpanKind;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  events: OtlpSpanEvent[];
  status: OtlpStatus;
}

export interface OtlpTracesDocument {
  resourceSpans: Array<{
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: Array<{ scope: { name: string; version: string }; spans: OtlpSpan[] }>;
  }>;
}

const spanKind = { internal: 1, client: 3 } as const;

/** Nanoseconds since the epoch as OTLP's decimal string; `t` is ms since the probe's start, to the microsecond. */
function nanos(originNs: bigint, t: number): string {
  return (originNs + BigInt(Math.round(t * 1000)) * 1000n).toString();
}

/** ISO 8601 to epoch nanoseconds, keeping sub-millisecond digits (ALB logs write microseconds) that Date drops. */
function isoNanos(iso: string): bigint | null {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/i.exec(iso.trim());
  const ms = Date.parse(m === null ? iso : `${m[1]}${m[3] ?? ''}`);
  if (Number.isNaN(ms)) return null;
  const fraction = m?.[2] ?? '';
  const extra = m === null ? 0n : BigInt(fraction.padEnd(9, '0').slice(0, 9));
  return BigInt(ms) * 1_000_000n + extra;
}

/** `Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca` → `6b05e1f2ab75cbbc8afd3ae1dc5751ca`; another id gets a stable hash. */
export function otlpTraceId(correlationId: string, startedAt: string): string {
  const m = /Root=1-([0-9a-f]{8})-([0-9a-f]{24})/i.exec(correlationId);
  if (m !== null) return `${m[1]}${m[2]}`.toLowerCase();
  return createHash('sha256').update(`${correlationId}|${startedAt}`).digest('hex').slice(0, 32);
}

/** Deterministic: the same run exports the same ids; the start time keeps runs that share a correlation id apart. */
function spanIdFor(traceId: string, startedAt: string, name: string): string {
  return createHash('sha256').update(`${traceId}|${startedAt}|${name}`).digest('hex').slice(0, 16);
}

/** The URL without credentials, and with the signature parameters OpenTelemetry's conventions redact. */
function safeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    for (const key of ['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token']) {
      if (url.searchParams.has(key)) url.searchParams.set(key, 'REDACTED');
    }
    return url.toString();
  } catch {
    return raw;
  }
}

function rootAttributes(input: OtlpRunInput, method: string | undefined): Attributes {
  const { result } = input;
  const { verdict, tls, target } = result;
  const a = new Attributes()
    .str('mtls_probe.title', input.title)
    .str('url.full', safeUrl(target.url))
    .str('http.request.method', method)
    .str('server.address', target.host)
    .int('server.port', target.port)
    .str('network.peer.address', target.address)
    .str('network.local.address', result.client.address)
    .int('network.local.port', result.client.port)
    .str('tls.protocol.name', tls.version !== null ? 'tls' : undefined)
    .str('tls.protocol.version', tlsVersion(tls.version))
    .str('tls.cipher', tls.cipher)
    .str('tls.next_protocol', tls.alpn)
    .str('tls.client.server_name', target.serverName)
    .str('tls.server.subject', tls.serverCertificates[0]?.subject)
    .str('tls.server.issuer', tls.serverCertificates[0]?.issuer)
    .str('tls.server.hash.sha256', tls.serverCertificates[0]?.sha256.toUpperCase())
    .str('mtls_probe.identity', result.identity?.label ?? 'none')
    .bool('mtls_probe.tls.client_certificate_sent', tls.clientCertificateSent);
  if (result.identity !== null) {
    a.str('tls.client.subject', result.identity.subject).str('tls.client.issuer', result.identity.issuer);
    a.str('tls.client.hash.sha256', result.identity.sha256.toUpperCase()).str('mtls_probe.tls.client.serial_number', result.identity.serialNumber);
  }
  a.str('mtls_probe.tls.certificate_request.authorities', tls.certificateRequest?.authorities.join('; '));
  a.int('http.response.status_code', result.http?.status).str('mtls_probe.correlation_id', result.correlationId);
  a.str('mtls_probe.verdict.stopped_at', verdict.stoppedAt ?? 'none').str('mtls_probe.verdict.reason', verdict.reason);
  a.str('mtls_probe.verdict.summary', verdict.summary).str('mtls_probe.verdict.confidence', verdict.confidence).str('mtls_probe.verdict.hint', verdict.hint);
  a.str('error.type', verdict.stoppedAt !== null ? verdict.reason : undefined);
  a.dbl('mtls_probe.timings.dns_ms', result.timings.dns).dbl('mtls_probe.timings.tcp_ms', result.timings.tcp).dbl('mtls_probe.timings.tls_ms', result.timings.tls);
  return a.dbl('mtls_probe.timings.first_byte_ms', result.timings.firstByte).dbl('mtls_probe.timings.total_ms', result.timings.total);
}

function origin(o: EvidenceEvent['origin']): string | undefined {
  if (o.file !== undefined) return o.line !== undefined ? `${o.file}:${o.line}` : o.file;
  return o.resource;
}

/** Server-side records, which may come minutes after the probe: a span from the first record to the last. */
function evidenceSpan(report: EvidenceReport, ids: { traceId: string; startedAt: string; parent: string }): OtlpSpan | null {
  const records = report.events
    .map((e) => ({ e, ns: isoNanos(e.time) }))
    .filter((r): r is { e: EvidenceEvent; ns: bigint } => r.ns !== null)
    .sort((x, y) => (x.ns < y.ns ? -1 : x.ns > y.ns ? 1 : 0));
  if (records.length === 0) return null;
  const events = records.map(({ e, ns }) => ({
    timeUnixNano: ns.toString(),
    name: `evidence.${e.kind}`,
    attributes: new Attributes()
      .str('mtls_probe.evidence.kind', e.kind)
      .str('mtls_probe.evidence.lane', e.lane)
      .str('mtls_probe.evidence.summary', e.summary)
      .str('mtls_probe.evidence.matched_by', e.matchedBy.map((m) => `${m.key}=${m.value}`).join(', '))
      .str('mtls_probe.evidence.origin', origin(e.origin)).list,
  }));
  const attributes = new Attributes()
    .int('mtls_probe.evidence.records', records.length)
    .int('mtls_probe.evidence.problems', report.problems.length)
    .str('mtls_probe.evidence.found', report.coverage?.filter((c) => c.state === 'found').map((c) => c.evidence).join(', '));
  return {
    traceId: ids.traceId,
    spanId: spanIdFor(ids.traceId, ids.startedAt, 'server-side evidence'),
    parentSpanId: ids.parent,
    name: 'server-side evidence',
    kind: spanKind.internal,
    startTimeUnixNano: records[0]!.ns.toString(),
    endTimeUnixNano: records.at(-1)!.ns.toString(),
    attributes: attributes.list,
    events,
    status: { code: 0 },
  };
}

/** Where an attempt's spans go: the trace, the parent span, the attempt's own start (its trace's t = 0). */
interface AttemptIds {
  traceId: string;
  parent: string;
  originNs: bigint;
  /** Keeps the attempts' span ids apart: the attempt's start, and "retry " before a retry's phase names. */
  startedAt: string;
  prefix: string;
}

/** The attempt's end, ms from its start: the last of its total, its events and its phases. */
function attemptEnd(result: ProbeResult, phases: ReturnType<typeof phasesOf>): number {
  return Math.max(result.timings.total, ...result.trace.map((e) => e.t), ...phases.map((p) => p.end));
}

/** The method is known only once a request was sent; a probe stopped before HTTP would have sent a GET. */
function methodOf(result: ProbeResult): string | undefined {
  return text(result.trace.find((e) => e.layer === 'http' && e.event === 'request')?.detail?.method);
}

/** An attempt's phases as spans under `ids.parent`, the one its verdict names failed. */
function phaseSpans(result: ProbeResult, phases: ReturnType<typeof phasesOf>, ids: AttemptIds): OtlpSpan[] {
  const failedPhase = result.verdict.stoppedAt !== null ? phaseOfLayer[result.verdict.stoppedAt] : null;
  return phases.map(
    (p): OtlpSpan => ({
      traceId: ids.traceId,
      spanId: spanIdFor(ids.traceId, ids.startedAt, `${ids.prefix}${p.name}`),
      parentSpanId: ids.parent,
      name: p.name,
      kind: spanKind.internal,
      startTimeUnixNano: nanos(ids.originNs, p.start),
      endTimeUnixNano: nanos(ids.originNs, p.end),
      attributes: p.attributes.list,
      events: p.events.map((e) => ({ timeUnixNano: nanos(ids.originNs, e.t), name: e.name, attributes: e.attributes.list })),
      status: p.name === failedPhase ? { code: 2, message: result.verdict.reason } : { code: 0 },
    }),
  );
}

/**
 * The TLS 1.2 retry (result.fallback): a child span of the probe's named "TLS 1.2 retry", at its own start, with its
 * own correlation id and verdict, and its phases under it — in the first attempt's trace, so one run is one trace.
 */
function retrySpans(input: OtlpRunInput, traceId: string, rootId: string): { spans: OtlpSpan[]; endNs: bigint } | null {
  const fallback = input.result.fallback;
  if (fallback === undefined) return null;
  const retry = fallback.result;
  const originNs = isoNanos(retry.startedAt) ?? 0n;
  const phases = phasesOf(retry.trace, retry.timings.total);
  placeEvents(phases, retry.trace);
  const spanId = spanIdFor(traceId, retry.startedAt, 'TLS 1.2 retry');
  const end = attemptEnd(retry, phases);
  const attributes = rootAttributes({ result: retry, ...(input.title !== undefined ? { title: input.title } : {}) }, methodOf(retry))
    .str('mtls_probe.fallback.reason', fallback.reason)
    .str('mtls_probe.fallback.tls_max_version', tlsVersion(fallback.tlsMaxVersion));
  const span: OtlpSpan = {
    traceId,
    spanId,
    parentSpanId: rootId,
    name: 'TLS 1.2 retry',
    kind: spanKind.client,
    startTimeUnixNano: nanos(originNs, 0),
    endTimeUnixNano: nanos(originNs, end),
    attributes: attributes.list,
    events: [],
    status: retry.verdict.stoppedAt !== null ? { code: 2, message: retry.verdict.summary } : { code: 1 },
  };
  const children = phaseSpans(retry, phases, { traceId, parent: spanId, originNs, startedAt: retry.startedAt, prefix: 'retry ' });
  return { spans: [span, ...children], endNs: BigInt(nanos(originNs, end)) };
}

/** One run as spans: the probe as the root, a child per phase, its TLS 1.2 retry if any, and the server-side evidence. */
function runSpans(input: OtlpRunInput): OtlpSpan[] {
  const { result } = input;
  const traceId = otlpTraceId(result.correlationId, result.startedAt);
  const originNs = isoNanos(result.startedAt) ?? 0n;
  const phases = phasesOf(result.trace, result.timings.total);
  placeEvents(phases, result.trace);
  const rootId = spanIdFor(traceId, result.startedAt, 'probe');
  const retry = retrySpans(input, traceId, rootId);
  const firstEndNs = BigInt(nanos(originNs, attemptEnd(result, phases)));
  const rootEndNs = retry !== null && retry.endNs > firstEndNs ? retry.endNs : firstEndNs;
  const method = methodOf(result);
  const failed = result.verdict.stoppedAt !== null;
  const root: OtlpSpan = {
    traceId,
    spanId: rootId,
    name: `probe ${method ?? 'GET'} ${safeUrl(result.target.url)}`,
    kind: spanKind.client,
    startTimeUnixNano: nanos(originNs, 0),
    endTimeUnixNano: rootEndNs.toString(),
    attributes: rootAttributes(input, method).str('mtls_probe.fallback.reason', result.fallback?.reason).list,
    events: [],
    status: failed ? { code: 2, message: result.verdict.summary } : { code: 1 },
  };
  const children = phaseSpans(result, phases, { traceId, parent: rootId, originNs, startedAt: result.startedAt, prefix: '' });
  const evidence = input.evidence === undefined ? null : evidenceSpan(input.evidence, { traceId, startedAt: result.startedAt, parent: rootId });
  return [root, ...children, ...(retry?.spans ?? []), ...(evidence !== null ? [evidence] : [])];
}

/** Probe runs (with their server-side evidence) as one OTLP/JSON ExportTraceServiceRequest, a trace per run. */
export function otlpTraces(runs: readonly OtlpRunInput[], options: OtlpOptions = {}): OtlpTracesDocument {
  const version = options.scopeVersion ?? productVersion;
  const resource = new Attributes().str('service.name', options.serviceName ?? 'mtls-probe').str('service.version', productVersion);
  return {
    resourceSpans: [
      {
        resource: { attributes: resource.list },
        scopeSpans: [{ scope: { name: 'mtls-probe', version }, spans: runs.flatMap(runSpans) }],
      },
    ],
  };
}
