// A probe attempt's trace as OpenTelemetry phases: DNS, TCP connect, TLS handshake and HTTP, each a span from its
// first event to its last (or to what ended the attempt), with each TLS message, alert, reset and error as a span
// event carrying its decoded facts — never raw bytes, certificate PEM or header values (header names only).

import type { Layer } from '../probe/types';
import type { TraceEvent } from '../trace';
import type { OtlpKeyValue } from './otlp';

/** Collects attributes, leaving out absent values so the document carries no empty keys. */
export class Attributes {
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

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

export function tlsVersion(name: unknown): string | undefined {
  return typeof name === 'string' && /^TLSv\d/.test(name) ? name.slice(4) : undefined;
}

function direction(dir: TraceEvent['dir']): string {
  return dir === 'out' ? 'client_to_server' : dir === 'in' ? 'server_to_client' : 'local';
}

function headerNames(headers: unknown): string | undefined {
  return headers !== null && typeof headers === 'object' ? Object.keys(headers).join(', ') : undefined;
}

export type PhaseName = 'dns' | 'tcp connect' | 'tls handshake' | 'http';

export interface Phase {
  name: PhaseName;
  start: number;
  end: number;
  attributes: Attributes;
  events: Array<{ t: number; name: string; attributes: Attributes }>;
}

export const phaseOfLayer: Record<Layer, PhaseName> = { dns: 'dns', tcp: 'tcp connect', tls: 'tls handshake', mtls: 'tls handshake', http: 'http', waf: 'http' };

function isEnd(e: TraceEvent): boolean {
  return (e.layer === 'tcp' && (e.event === 'reset' || e.event === 'fin' || e.event === 'timeout')) || e.event === 'error';
}

/** The phases the trace went through, each from its first event to its last (or to what ended the attempt). */
export function phasesOf(trace: readonly TraceEvent[], total: number): Phase[] {
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
    if (e.event === 'renegotiation') {
      // A TLS 1.2 server's HelloRequest: a new handshake inside the session, after a request (a certificate asked late).
      a.str('mtls_probe.tls.renegotiation.after', text(d.after)).bool('mtls_probe.tls.renegotiation.asked_for_certificate', d.askedForCertificate as boolean | undefined);
      return { name: 'tls.renegotiation', attributes: a };
    }
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
export function placeEvents(phases: Phase[], trace: readonly TraceEvent[]): void {
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
