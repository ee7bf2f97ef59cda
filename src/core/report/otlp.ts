import { createHash } from 'node:crypto';
import type { EvidenceEvent, EvidenceReport } from '../evidence/types';
import type { Layer, ProbeResult } from '../probe/types';
import type { TraceEvent } from '../trace';
import { version as productVersion } from '../version';

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

/** Collects attributes, leaving out absent values so the document carries no empty keys. */
class Attributes {
  readonly list: OtlpKeyValue[] = [];

  str(key: string, value: string | null | undefined): this {
    if (value !== null && value !== undefined && value !== '') this.list.push({ key, value: { stringValue: value } });
    return this;
  }

  int(key: string, value: number | null | undefined): this {
    if (typeof value === 'number' && Number.isFinite(value)) this.list.push({ key, value: { intValue: String(Math.trunc(value)) } });
    return this;
  }

  dbl(key: string, value: number | null | undefined): this {
    if (typeof value === 'number' && Number.isFinite(value)) this.list.push({ key, value: { doubleValue: value } });
    return this;
  }

  bool(key: string, value: boolean | null | undefined): this {
    if (typeof value === 'boolean') this.list.push({ key, value: { boolValue: value } });
    return this;
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

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

function tlsVersion(name: unknown): string | undefined {
  return typeof name === 'string' && /^TLSv\d/.test(name) ? name.slice(4) : undefined;
}

function direction(dir: TraceEvent['dir']): string {
  return dir === 'out' ? 'client_to_server' : dir === 'in' ? 'server_to_client' : 'local';
}

function headerNames(headers: unknown): string | undefined {
  return headers !== null && typeof headers === 'object' ? Object.keys(headers).join(', ') : undefined;
}

type PhaseName = 'dns' | 'tcp connect' | 'tls handshake' | 'http';

interface Phase {
  name: PhaseName;
  start: number;
  end: number;
  attributes: Attributes;
  events: Array<{ t: number; name: string; attributes: Attributes }>;
}

const phaseOfLayer: Record<Layer, PhaseName> = { dns: 'dns', tcp: 'tcp connect', tls: 'tls handshake', mtls: 'tls handshake', http: 'http', waf: 'http' };

function isEnd(e: TraceEvent): boolean {
  return (e.layer === 'tcp' && (e.event === 'reset' || e.event === 'fin' || e.event === 'timeout')) || e.event === 'error';
}

/** The phases the trace went through, each from its first event to its last (or to what ended the attempt). */
function phasesOf(trace: readonly TraceEvent[], total: number): Phase[] {
  const first = (event: string, layer?: TraceEvent['layer']): TraceEvent | undefined => trace.find((e) => e.event === event && (layer === undefined || e.layer === layer));
  const endAfter = (start: number, ...done: Array<TraceEvent | undefined>): number => {
    const explicit = done.find((e) => e !== undefined);
    if (explicit !== undefined) return explicit.t;
    return trace.find((e) => e.t >= start && isEnd(e))?.t ?? total;
  };
  const phases: Phase[] = [];
  const add = (name: PhaseName, start: number, end: number): Phase => {
    const phase: Phase = { name, start, end: Math.max(start, end), attributes: new Attributes(), events: [] };
    phases.push(phase);
    return phase;
  };
  const lookup = first('dns_lookup');
  if (lookup !== undefined) {
    const resolved = first('dns_resolved');
    add('dns', lookup.t, endAfter(lookup.t, resolved))
      .attributes.str('dns.question.name', text(lookup.detail?.host))
      .str('mtls_probe.dns.addresses', (resolved?.detail?.addresses as string[] | undefined)?.join(', '));
  }
  const connecting = first('connecting');
  const connected = first('connected');
  if (connecting !== undefined) {
    const detail = connected?.detail ?? connecting.detail;
    add('tcp connect', connecting.t, endAfter(connecting.t, connected))
      .attributes.str('network.transport', 'tcp')
      .str('network.peer.address', text(detail?.address))
      .int('network.peer.port', num(detail?.port))
      .str('network.local.address', text(connected?.detail?.localAddress))
      .int('network.local.port', num(connected?.detail?.localPort));
  }
  const firstTls = trace.find((e) => e.layer === 'tls');
  if (connected !== undefined || firstTls !== undefined) {
    const start = connected?.t ?? firstTls!.t;
    const established = first('established');
    add('tls handshake', start, endAfter(start, established))
      .attributes.str('tls.protocol.name', 'tls')
      .bool('tls.established', established !== undefined)
      .str('tls.protocol.version', tlsVersion(established?.detail?.version))
      .str('tls.cipher', text(established?.detail?.cipher))
      .str('tls.next_protocol', text(established?.detail?.alpn))
      .bool('mtls_probe.tls.server_certificate_verified', established?.detail?.serverCertificateVerified as boolean | undefined);
  }
  const request = first('request', 'http');
  if (request !== undefined) {
    const response = first('response', 'http');
    const httpVersion = text(request.detail?.httpVersion);
    add('http', request.t, endAfter(request.t, first('body', 'http'), response))
      .attributes.str('http.request.method', text(request.detail?.method))
      .str('url.path', text(request.detail?.path))
      .str('network.protocol.name', 'http')
      .str('network.protocol.version', httpVersion?.replace(/^HTTP\//, ''))
      .str('mtls_probe.http.request.header_names', headerNames(request.detail?.headers))
      .int('http.response.status_code', num(response?.detail?.status))
      .str('mtls_probe.http.response.header_names', headerNames(response?.detail?.headers));
  }
  return phases;
}

/** Decoded fields worth seeing in a tracing backend, per handshake message. Certificates: names only. */
function messageFields(a: Attributes, type: number, fields: Record<string, unknown> | undefined): void {
  if (fields === undefined) return;
  const list = (v: unknown, sep = ', '): string | undefined => (Array.isArray(v) && v.length > 0 ? v.join(sep) : undefined);
  switch (type) {
    case 1:
      a.str('tls.client.server_name', text(fields.serverName)).str('mtls_probe.tls.alpn_offered', list(fields.alpn)).str('mtls_probe.tls.versions_offered', list(fields.supportedVersions));
      return;
    case 2:
      a.str('tls.cipher', text(fields.cipherSuite)).str('tls.next_protocol', text(fields.alpn)).bool('mtls_probe.tls.hello_retry_request', fields.helloRetryRequest === true ? true : undefined);
      return;
    case 11: {
      const certificates = (fields.certificates as Array<{ subject?: string; issuer?: string }> | undefined) ?? [];
      a.int('mtls_probe.tls.certificate.count', num(fields.count)).bool('mtls_probe.tls.certificate.empty', fields.empty as boolean | undefined);
      a.str('mtls_probe.tls.certificate.subject', certificates[0]?.subject).str('mtls_probe.tls.certificate.issuer', certificates[0]?.issuer);
      return;
    }
    case 13:
      a.str('mtls_probe.tls.certificate_request.authorities', list(fields.authorities, '; ')).str('mtls_probe.tls.certificate_request.signature_algorithms', list(fields.signatureAlgorithms));
      return;
  }
}

/** A trace event as a span event, or null for one that only marks a phase's start or end. */
function spanEvent(e: TraceEvent): { name: string; attributes: Attributes } | null {
  const d = e.detail ?? {};
  const a = new Attributes();
  if (e.event === 'error' || e.event === 'timeout') {
    const type = e.event === 'timeout' ? 'ETIMEDOUT' : text(d.code);
    return { name: 'exception', attributes: a.str('exception.type', type).str('exception.message', text(d.message)).str('mtls_probe.phase', text(d.phase)) };
  }
  if (e.layer === 'tls' && e.event !== 'established' && e.event !== 'application_data') {
    a.str('mtls_probe.direction', direction(e.dir)).str('tls.protocol.version', tlsVersion(d.version));
    if (typeof d.encrypted === 'boolean') a.bool('mtls_probe.tls.encrypted', d.encrypted);
    if (d.encrypted === true) a.bool('mtls_probe.tls.decrypted', d.decrypted !== false);
    if (e.event === 'handshake') {
      a.int('mtls_probe.tls.handshake.type', num(d.type)).int('mtls_probe.tls.handshake.length', num(d.length)).str('mtls_probe.tls.decode_error', text(d.error));
      messageFields(a, num(d.type) ?? -1, d.fields as Record<string, unknown> | undefined);
      return { name: `tls.handshake.${text(d.name) ?? 'unknown'}`, attributes: a };
    }
    if (e.event === 'alert') {
      a.str('mtls_probe.tls.alert.level', text(d.level)).str('mtls_probe.tls.alert.description', text(d.description)).int('mtls_probe.tls.alert.code', num(d.code));
      return { name: 'tls.alert', attributes: a.str('mtls_probe.tls.alert.meaning', text(d.meaning)) };
    }
    if (e.event === 'change_cipher_spec') return { name: 'tls.change_cipher_spec', attributes: a.bool('mtls_probe.tls.compatibility', d.compatibility as boolean | undefined) };
    // not_tls, encrypted_record, truncated_record, decode_error, record: their scalar facts, never raw bytes.
    for (const key of ['contentType', 'length', 'reason', 'preview', 'message']) {
      if (typeof d[key] === 'string') a.str(`mtls_probe.tls.${key}`, d[key] as string);
      else a.int(`mtls_probe.tls.${key}`, num(d[key]));
    }
    return { name: `tls.${e.event}`, attributes: a };
  }
  if (e.layer === 'tcp' && (e.event === 'reset' || e.event === 'fin')) {
    return { name: `tcp.${e.event}`, attributes: a.str('mtls_probe.tcp.phase', text(d.phase)).str('error.type', text(d.code)) };
  }
  if (e.layer === 'http' && e.event === 'response') return { name: 'http.response', attributes: a.int('http.response.status_code', num(d.status)) };
  if (e.layer === 'http' && e.event === 'body') return { name: 'http.response.body', attributes: a.int('mtls_probe.http.body_bytes', num(d.bytes)) };
  return null;
}

/** Each event on the phase in progress when it happened; a phase stretches to hold its events. */
function placeEvents(phases: Phase[], trace: readonly TraceEvent[]): void {
  for (const e of trace) {
    const event = spanEvent(e);
    if (event === null) continue;
    const byTimeout = e.event === 'timeout' ? phases.find((p) => p.name === phaseOfLayer[e.detail?.phase as Layer]) : undefined;
    const byLayer = e.layer === 'tls' && e.event !== 'error' ? phases.find((p) => p.name === 'tls handshake') : undefined;
    const phase = byTimeout ?? byLayer ?? phases.filter((p) => p.start <= e.t).at(-1) ?? phases[0];
    if (phase === undefined) continue;
    phase.events.push({ t: e.t, ...event });
    phase.start = Math.min(phase.start, e.t);
    phase.end = Math.max(phase.end, e.t);
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

/** One run as spans: the probe as the root, a child per phase, and the server-side evidence if any. */
function runSpans(input: OtlpRunInput): OtlpSpan[] {
  const { result } = input;
  const traceId = otlpTraceId(result.correlationId, result.startedAt);
  const originNs = isoNanos(result.startedAt) ?? 0n;
  const phases = phasesOf(result.trace, result.timings.total);
  placeEvents(phases, result.trace);
  const rootId = spanIdFor(traceId, result.startedAt, 'probe');
  const rootEnd = Math.max(result.timings.total, ...result.trace.map((e) => e.t), ...phases.map((p) => p.end));
  // The method is known only once a request was sent; a probe stopped before HTTP would have sent a GET.
  const method = text(result.trace.find((e) => e.layer === 'http' && e.event === 'request')?.detail?.method);
  const failed = result.verdict.stoppedAt !== null;
  const failedPhase = failed ? phaseOfLayer[result.verdict.stoppedAt!] : null;
  const root: OtlpSpan = {
    traceId,
    spanId: rootId,
    name: `probe ${method ?? 'GET'} ${safeUrl(result.target.url)}`,
    kind: spanKind.client,
    startTimeUnixNano: nanos(originNs, 0),
    endTimeUnixNano: nanos(originNs, rootEnd),
    attributes: rootAttributes(input, method).list,
    events: [],
    status: failed ? { code: 2, message: result.verdict.summary } : { code: 1 },
  };
  const children = phases.map(
    (p): OtlpSpan => ({
      traceId,
      spanId: spanIdFor(traceId, result.startedAt, p.name),
      parentSpanId: rootId,
      name: p.name,
      kind: spanKind.internal,
      startTimeUnixNano: nanos(originNs, p.start),
      endTimeUnixNano: nanos(originNs, p.end),
      attributes: p.attributes.list,
      events: p.events.map((e) => ({ timeUnixNano: nanos(originNs, e.t), name: e.name, attributes: e.attributes.list })),
      status: p.name === failedPhase ? { code: 2, message: result.verdict.reason } : { code: 0 },
    }),
  );
  const evidence = input.evidence === undefined ? null : evidenceSpan(input.evidence, { traceId, startedAt: result.startedAt, parent: rootId });
  return [root, ...children, ...(evidence !== null ? [evidence] : [])];
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
