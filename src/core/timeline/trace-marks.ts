// The probe's own trace as timeline marks: DNS and TCP events, every TLS record and handshake message (direction,
// version, decrypted or not, the bytes and where each field lies in them), HTTP, and the phases as bars.

import { handshakeLayout } from '../tls/handshake-layout';
import type { ProbeResult } from '../probe/types';
import type { TraceEvent } from '../trace';
import { redactSecrets } from '../secret-headers';
import { certificateCard, fieldTree, type CertificateFacts } from './mark-details';
import type { ByteSpan, LaneId, MarkDetail, MarkKind, MarkTone, TimelineMark, TimelinePhase } from './model';

/** Handshake types by their RFC names, as Wireshark shows them (the text trace keeps curl's words). */
const handshakeNames: Record<number, string> = {
  0: 'HelloRequest',
  1: 'ClientHello',
  2: 'ServerHello',
  4: 'NewSessionTicket',
  5: 'EndOfEarlyData',
  8: 'EncryptedExtensions',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
  24: 'KeyUpdate',
  254: 'MessageHash',
};

const arrows = { out: 'client → server', in: 'server → client', local: 'at the client' } as const;

type Detail = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

interface MarkDraft {
  lane: LaneId;
  kind: MarkKind;
  label: string;
  summary: string;
  tone: MarkTone;
  detail: MarkDetail;
  version?: string;
  encrypted?: boolean;
  decrypted?: boolean;
}

/**
 * Where one attempt's trace sits in its run: the run's first attempt at t = 0, a retry at its own start, its marks
 * numbered on from `firstIndex`. A retry's mark summaries begin with its label, so a tooltip or a screen reader says
 * which attempt a ClientHello was; marks and phases carry the attempt's index.
 */
export interface AttemptPlacement {
  attempt: number;
  /** Where the attempt's t = 0 is on the run's axis (ms). */
  offset: number;
  firstIndex: number;
  /** "TLS 1.2 retry"; null for the first attempt (its words stay as in a run of one attempt). Marks' summaries begin with it. */
  label: string | null;
}

/** Three decimals (microseconds), as the trace's own times. */
export function roundT(t: number): number {
  return Math.round(t * 1000) / 1000;
}

/** Each trace event as a mark; `originMs` (the attempt's own start) places them in absolute time. */
export function traceMarks(result: ProbeResult, runId: string, originMs: number, placement?: AttemptPlacement): TimelineMark[] {
  const at = Date.parse(result.startedAt);
  const offset = placement?.offset ?? 0;
  const renegotiation = result.tls.renegotiation;
  return result.trace.map((event, index) => {
    const draft = draftFor(event, result, at);
    const inRenegotiation = renegotiation !== undefined && event.t >= renegotiation.t && (event.event === 'handshake' || event.event === 'change_cipher_spec');
    const summary = `${placement?.label != null ? `${placement.label} — ` : ''}${draft.summary}${inRenegotiation ? ' — in the renegotiation' : ''}`;
    return {
      id: `${runId}:${(placement?.firstIndex ?? 0) + index}`,
      t: roundT(event.t + offset),
      time: new Date(originMs + event.t).toISOString(),
      dir: event.dir,
      ...draft,
      summary,
      ...(placement !== undefined ? { attempt: placement.attempt } : {}),
    };
  });
}

function draftFor(event: TraceEvent, result: ProbeResult, at: number): MarkDraft {
  const detail = (event.detail ?? {}) as Detail;
  if (event.layer === 'tls') return tlsDraft(event, detail, result, at);
  if (event.layer === 'http') return httpDraft(event, detail);
  return tcpDraft(event, detail);
}

function plain(title: string, fields: Detail, extra: Partial<MarkDetail> = {}): MarkDetail {
  return { title, fields: fieldTree(redactSecrets(fields) as Detail), ...extra };
}

function tcpDraft(event: TraceEvent, d: Detail): MarkDraft {
  const base = { lane: 'tcp' as LaneId, kind: 'tcp' as MarkKind, tone: 'neutral' as MarkTone };
  switch (event.event) {
    case 'dns_lookup':
      return { ...base, lane: 'client', kind: 'dns', label: 'DNS lookup', summary: `DNS lookup of ${str(d.host) ?? 'the host'}`, detail: plain('DNS lookup', d) };
    case 'dns_resolved': {
      const addresses = Array.isArray(d.addresses) ? d.addresses.join(', ') : '';
      return { ...base, lane: 'client', kind: 'dns', label: 'Resolved', summary: `DNS: ${str(d.host) ?? 'the host'} is ${addresses}`, tone: 'ok', detail: plain('DNS answer', d) };
    }
    case 'connecting':
      return { ...base, label: 'SYN', summary: `TCP connect to ${str(d.address) ?? '?'}:${String(d.port ?? '?')}`, detail: plain('TCP connect', d) };
    case 'connected':
      return { ...base, label: 'Connected', summary: `TCP connected: ${str(d.localAddress) ?? '?'}:${String(d.localPort ?? '?')} → ${str(d.address) ?? '?'}:${String(d.port ?? '?')}`, tone: 'ok', detail: plain('TCP connected', d) };
    case 'reset': {
      const phase = str(d.phase);
      return {
        ...base,
        label: 'RST',
        summary: `The server reset the connection (TCP RST)${phase ? ` ${phase}` : ''}`,
        tone: 'error',
        detail: plain('TCP reset from the server', d, { meaning: `The server ended the connection abruptly with a TCP RST${phase ? ` ${phase}` : ''}. A load balancer in mTLS verify mode (such as AWS ALB) refuses a client certificate this way: no alert, no HTTP response.` }),
      };
    }
    case 'fin': {
      const phase = str(d.phase);
      return { ...base, label: 'FIN', summary: `The server closed the connection (TCP FIN)${phase ? ` ${phase}` : ''}`, tone: 'warning', detail: plain('TCP close from the server', d) };
    }
    case 'timeout':
      return { ...base, lane: 'client', label: 'Timeout', summary: `Timed out: ${str(d.message) ?? str(d.phase) ?? ''}`, tone: 'error', detail: plain('Timeout', d) };
    default:
      return { ...base, lane: event.dir === 'local' ? 'client' : 'tcp', label: event.event === 'error' ? (str(d.code) ?? 'Error') : event.event, summary: `${event.event}: ${str(d.message) ?? str(d.code) ?? ''}`.trim(), tone: event.event === 'error' ? 'error' : 'neutral', detail: plain(event.event, d) };
  }
}

function httpDraft(event: TraceEvent, d: Detail): MarkDraft {
  const base = { lane: 'http' as LaneId, kind: 'http' as MarkKind };
  if (event.event === 'request') {
    const line = `${str(d.method) ?? 'GET'} ${str(d.path) ?? '/'} ${str(d.httpVersion) ?? ''}`.trim();
    return { ...base, label: `${str(d.method) ?? 'GET'} ${str(d.path) ?? '/'}`, summary: `HTTP request ${line}`, tone: 'neutral', detail: plain('HTTP request', d) };
  }
  if (event.event === 'response') {
    const status = typeof d.status === 'number' ? d.status : 0;
    return { ...base, label: String(status), summary: `HTTP response ${status}`, tone: status >= 400 ? 'error' : status >= 300 ? 'warning' : 'ok', detail: plain(`HTTP response ${status}`, d) };
  }
  if (event.event === 'body') return { ...base, label: 'Body', summary: `Response body, ${String(d.bytes ?? 0)} bytes`, tone: 'neutral', detail: plain('Response body', d) };
  const tone: MarkTone = event.event === 'error' || event.event === 'timeout' ? 'error' : 'neutral';
  return { ...base, lane: event.dir === 'local' ? 'client' : 'http', label: event.event, summary: `HTTP ${event.event}: ${str(d.message) ?? ''}`.trim(), tone, detail: plain(`HTTP ${event.event}`, d) };
}

function handshakeSummary(name: string, dir: TraceEvent['dir'], fields: Detail): { extra: string; tone: MarkTone } {
  switch (name) {
    case 'ClientHello': {
      const sni = str(fields.serverName);
      const alpn = Array.isArray(fields.alpn) && fields.alpn.length > 0 ? `ALPN ${fields.alpn.join(',')}` : null;
      const versions = Array.isArray(fields.supportedVersions) && fields.supportedVersions.length > 0 ? `offers ${fields.supportedVersions.join(', ')}` : null;
      return { extra: [sni ? `SNI ${sni}` : 'no SNI', alpn, versions].filter(Boolean).join('; '), tone: 'neutral' };
    }
    case 'ServerHello':
      return { extra: [str(fields.version), str(fields.cipherSuite)].filter(Boolean).join(', '), tone: 'neutral' };
    case 'Certificate': {
      if (fields.empty === true) return { extra: dir === 'out' ? 'empty: no client certificate sent' : 'empty', tone: dir === 'out' ? 'warning' : 'neutral' };
      const certs = Array.isArray(fields.certificates) ? (fields.certificates as CertificateFacts[]) : [];
      return { extra: `${certs.length} certificate${certs.length === 1 ? '' : 's'}${certs[0] ? `: ${certs[0].subject}` : ''}`, tone: 'neutral' };
    }
    case 'HelloRequest':
      return { extra: 'the server asks the client to start a new handshake: a renegotiation', tone: 'warning' };
    case 'CertificateRequest': {
      const cas = Array.isArray(fields.authorities) ? fields.authorities.length : 0;
      return { extra: `the server asks for a client certificate${cas > 0 ? ` from ${cas} CA name${cas === 1 ? '' : 's'}` : ' (no CA names advertised)'}`, tone: 'neutral' };
    }
    default:
      return { extra: '', tone: 'neutral' };
  }
}

function tlsDraft(event: TraceEvent, d: Detail, result: ProbeResult, at: number): MarkDraft {
  const version = str(d.version);
  const encrypted = d.encrypted === true;
  const decrypted = encrypted && d.decrypted !== false && event.event !== 'encrypted_record';
  const common = { lane: 'tls' as LaneId, ...(version !== undefined ? { version } : {}), ...(encrypted ? { encrypted, decrypted } : {}) };
  const way = arrows[event.dir];
  const tag = encrypted ? (decrypted ? ' [decrypted]' : ' [encrypted]') : '';
  const bytes = bytesOf(d, result.tls.version === 'TLSv1.3' || version === 'TLSv1.3');
  switch (event.event) {
    case 'handshake': {
      const type = typeof d.type === 'number' ? d.type : -1;
      const fields = (d.fields ?? {}) as Detail;
      const name = type === 2 && fields.helloRetryRequest === true ? 'HelloRetryRequest' : handshakeNames[type] ?? str(d.name) ?? `Handshake ${type}`;
      const { extra, tone } = handshakeSummary(name, event.dir, fields);
      const paths = new Set((bytes?.spans ?? []).map((s) => s.path));
      const certificates = Array.isArray(fields.certificates) ? (fields.certificates as CertificateFacts[]) : [];
      const role = event.dir === 'out' ? 'client certificate' : 'server certificate';
      return {
        ...common,
        kind: 'handshake',
        label: name,
        summary: `${version ?? 'TLS'}, ${way}: ${name}${extra ? ` (${extra})` : ''}${tag}`,
        tone: d.error !== undefined ? 'warning' : tone,
        detail: {
          title: `${name} (${way})`,
          fields: [...fieldTree(fields, paths), ...(d.error !== undefined ? [{ name: 'Decode error', value: String(d.error) }] : [])],
          ...(bytes !== undefined ? { bytes } : {}),
          ...(certificates.length > 0 ? { certificates: certificates.map((c, i) => certificateCard(`${role} ${i + 1} of ${certificates.length}`, c, at)) } : {}),
        },
      };
    }
    case 'alert': {
      const description = str(d.description) ?? 'alert';
      const fatal = d.level === 'fatal';
      return {
        ...common,
        kind: 'alert',
        label: `Alert ${String(d.code ?? '')}`.trim(),
        summary: `${version ?? 'TLS'}, ${way}: ${String(d.level ?? '')} alert ${description} (${String(d.code ?? '?')})${tag}`,
        tone: fatal ? 'error' : 'warning',
        detail: { title: `Alert: ${description}`, fields: fieldTree({ level: d.level, description, code: d.code, encrypted }), ...(str(d.meaning) !== undefined ? { meaning: str(d.meaning)! } : {}), ...(bytes !== undefined ? { bytes } : {}) },
      };
    }
    case 'change_cipher_spec':
      return {
        ...common,
        kind: 'change-cipher-spec',
        label: 'ChangeCipherSpec',
        summary: `${version ?? 'TLS'}, ${way}: ChangeCipherSpec${d.compatibility === true ? ' (TLS 1.3 middlebox compatibility)' : ''}`,
        tone: 'neutral',
        detail: { title: 'ChangeCipherSpec', fields: fieldTree(d), ...(bytes !== undefined ? { bytes } : {}) },
      };
    case 'application_data':
      return { ...common, kind: 'application-data', label: 'Data', summary: `${version ?? 'TLS'}, ${way}: application data, ${String(d.length ?? 0)} bytes${tag}`, tone: 'neutral', detail: plain('Application data', d) };
    case 'renegotiation':
      return { ...common, ...renegotiationDraft(d) };
    case 'established':
      return { ...common, kind: 'handshake', label: 'Established', summary: `TLS established: ${[str(d.version), str(d.cipher), str(d.alpn)].filter(Boolean).join(', ')}`, tone: 'ok', detail: plain('Handshake complete', d) };
    case 'error':
      return { ...common, lane: 'client', kind: 'record', label: str(d.code) ?? 'Error', summary: `TLS error at the client: ${str(d.message) ?? str(d.code) ?? ''}`, tone: 'error', detail: plain('TLS error at the client', d) };
    case 'encrypted_record':
      return { ...common, kind: 'record', label: 'Encrypted', summary: `${version ?? 'TLS'}, ${way}: a record that could not be decrypted (${str(d.reason) ?? 'no key'})`, tone: 'warning', detail: plain('Encrypted record', d) };
    default:
      return { ...common, kind: 'record', label: event.event, summary: `${version ?? 'TLS'}, ${way}: ${event.event.replace(/_/g, ' ')}`, tone: event.event === 'not_tls' || event.event === 'decode_error' ? 'error' : 'warning', detail: plain(event.event.replace(/_/g, ' '), d) };
  }
}

/** The server started a TLS 1.2 renegotiation (a HelloRequest): after which request, and whether it asks for a certificate. */
function renegotiationDraft(d: Detail): Omit<MarkDraft, 'lane'> {
  const after = str(d.after);
  const asked = d.askedForCertificate === true;
  const when = after !== undefined ? ` after the request for ${after}` : ' after the handshake';
  return {
    kind: 'handshake',
    label: 'Renegotiation',
    summary: `The server started a TLS renegotiation${when}${asked ? ': its new handshake asks for a client certificate' : ''}`,
    tone: 'warning',
    detail: {
      title: `Renegotiation${when}`,
      fields: fieldTree({ after: after ?? '(no request had been sent)', askedForCertificate: asked }),
      meaning: `The server sent a HelloRequest${when}: the client then makes a whole new handshake inside the encrypted session${asked ? ', and this time the server asks for a client certificate (a CertificateRequest)' : ''}. A TLS 1.2 server that needs a client certificate for one path only (Apache httpd: SSLVerifyClient require inside a <Location>) asks this way, once it has read the request; over TLS 1.3 it would need post-handshake authentication instead.`,
    },
  };
}

function bytesOf(d: Detail, tls13: boolean): MarkDetail['bytes'] | undefined {
  const base64 = str(d.bytes);
  if (base64 === undefined) return undefined;
  const raw = Buffer.from(base64, 'base64');
  let spans: ByteSpan[] = [];
  if (typeof d.type === 'number') spans = handshakeLayout(raw, { tls13 });
  return { hex: raw.toString('hex'), spans, ...(d.bytesTruncated === true ? { truncated: true } : {}) };
}

function firstT(trace: readonly TraceEvent[], test: (e: TraceEvent) => boolean): number | undefined {
  return trace.find(test)?.t;
}

/**
 * DNS, TCP connect, TLS handshake (and a renegotiation's) and HTTP exchange as bars: each from its first event to
 * its last or its failure; a retry's on the run's axis, with its attempt (the renderer names it from there).
 */
export function tracePhases(result: ProbeResult, placement?: AttemptPlacement): TimelinePhase[] {
  const trace = result.trace;
  const end = result.timings.total;
  const offset = placement?.offset ?? 0;
  const failureAfter = (from: number): number | undefined => firstT(trace, (e) => e.t >= from && (e.event === 'reset' || e.event === 'fin' || e.event === 'error' || e.event === 'timeout' || (e.event === 'alert' && (e.detail as Detail | undefined)?.level === 'fatal')));
  const phases: TimelinePhase[] = [];
  const add = (lane: LaneId, name: TimelinePhase['name'], title: string, from: number | undefined, done: number | undefined): void => {
    if (from === undefined) return;
    const failed = done === undefined ? failureAfter(from) : undefined;
    const to = done ?? failed ?? end;
    const outcome: TimelinePhase['outcome'] = done !== undefined ? 'ok' : failed !== undefined ? 'failed' : 'unfinished';
    const how = outcome === 'failed' ? ' (failed)' : outcome === 'unfinished' ? ' (unfinished)' : '';
    const phase: TimelinePhase = { lane, name, label: `${title}${how} ${ms(Math.max(0, to - from))}`, from: roundT(from + offset), to: roundT(Math.max(from, to) + offset), outcome };
    phases.push(placement !== undefined ? { ...phase, attempt: placement.attempt } : phase);
  };
  add('client', 'dns', 'DNS lookup', firstT(trace, (e) => e.event === 'dns_lookup'), firstT(trace, (e) => e.event === 'dns_resolved'));
  const connecting = firstT(trace, (e) => e.event === 'connecting');
  const connected = firstT(trace, (e) => e.event === 'connected');
  add('tcp', 'tcp', 'TCP connect', connecting, connected);
  const firstTls = firstT(trace, (e) => e.layer === 'tls' && e.dir === 'out');
  add('tls', 'tls', 'TLS handshake', firstTls ?? connected, firstT(trace, (e) => e.event === 'established'));
  const renegotiation = result.tls.renegotiation;
  if (renegotiation !== undefined) {
    // From the HelloRequest to the server's last handshake message after it (its Finished, when it completed).
    const last = [...trace].reverse().find((e) => e.t >= renegotiation.t && e.dir === 'in' && e.layer === 'tls' && e.event === 'handshake' && e.detail?.type === 20);
    add('tls', 'tls', 'TLS renegotiation', renegotiation.t, last?.t);
  }
  const request = firstT(trace, (e) => e.event === 'request');
  const lastHttp = [...trace].reverse().find((e) => e.layer === 'http' && e.dir === 'in')?.t;
  add('http', 'http', 'HTTP exchange', request, request !== undefined && lastHttp !== undefined && lastHttp >= request ? lastHttp : undefined);
  return phases;
}
