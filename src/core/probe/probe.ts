import { randomFillSync } from 'node:crypto';
import { isIP } from 'node:net';
import { summarizeCertificate, type CertificateSummary } from '../certs/certificate-summary';
import type { TlsSessionState } from '../tls/session-decoder';
import { decodeWire } from '../tls/wire-decoding';
import { roundMs, type TraceEvent } from '../trace';
import { ProbeAttempt } from './attempt';
import { parseTarget } from './connection';
import { describeHandshakePhase } from './phase';
import { defaultTimeouts } from './phase-timeouts';
import { renegotiationOf } from './renegotiation';
import { fallbackOptions, refusalAfterRequest, verdictWithFallback } from './post-handshake-auth';
import { ProbeAbortedError } from './probe-errors';
import type { ProbeOptions, ProbeOutcome, ProbeResult, ProbeTarget, TlsSummary } from './types';
import { classifyAttempt, identityFacts, isServerCertificateError, type AttemptFacts } from './verdict';

export { ProbeAbortedError, ProbeInputError } from './probe-errors';

// Random bytes for the ids, drawn from the CSPRNG a few kilobytes at a time: one call for 12 bytes costs ~15 µs, as
// much as a probe's whole verdict.
const idPool = Buffer.alloc(12 * 256);
let idPoolOffset = idPool.length;

/** `X-Amzn-Trace-Id: Root=1-<8 hex epoch seconds>-<24 hex>`, the id ALB access logs and WAF logs carry. */
export function newCorrelationId(now = Date.now()): string {
  if (idPoolOffset === idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const random = idPool.toString('hex', idPoolOffset, idPoolOffset + 12);
  idPoolOffset += 12;
  return `Root=1-${Math.floor(now / 1000).toString(16).padStart(8, '0')}-${random}`;
}

/**
 * One traced attempt: DNS → TCP → TLS → HTTP. Never throws for a network outcome: every failure
 * becomes a verdict. Throws ProbeInputError for bad options and ProbeAbortedError when cancelled.
 * Its progress (each phase, the verdict) goes out on node:diagnostics_channel: see ../events.ts.
 */
export async function probe(options: ProbeOptions): Promise<ProbeOutcome> {
  const first = await probeOnce(options);
  const refusal = refusalAfterRequest(first.facts);
  if (refusal === null) return first.outcome;
  const { result } = first.outcome;
  if (options.tlsMinVersion === 'TLSv1.3') {
    result.verdict = verdictWithFallback(result.verdict, refusal, null, 'the lowest TLS version allowed is 1.3 (--tls-min 1.3)');
    return first.outcome;
  }
  const retry = await probeOnce(fallbackOptions(options));
  result.verdict = verdictWithFallback(result.verdict, refusal, { result: retry.outcome.result, facts: retry.facts });
  result.fallback = { reason: 'post_handshake_auth_not_offered', tlsMaxVersion: 'TLSv1.2', result: retry.outcome.result };
  return { ...first.outcome, keyLog: first.outcome.keyLog + retry.outcome.keyLog, fallbackWire: retry.outcome.wire };
}

/** One attempt, with the facts its verdict was made from (the fallback decision reads them). */
async function probeOnce(options: ProbeOptions): Promise<{ outcome: ProbeOutcome; facts: AttemptFacts }> {
  const { url, host, port } = parseTarget(options);
  if (options.signal?.aborted) throw new ProbeAbortedError();
  const target: ProbeTarget = {
    url: url.toString(),
    host,
    port,
    serverName: options.serverName ?? (isIP(host) ? null : host),
    address: null,
    addresses: [],
    ...(options.connectTo ? { connectTo: `${options.connectTo.host}:${options.connectTo.port}` } : {}),
  };
  const correlationId = options.correlationId ?? newCorrelationId();
  const attempt = new ProbeAttempt(options, target, url, correlationId, defaultTimeouts);
  try {
    await attempt.connect(await attempt.resolve());
    await attempt.handshake();
    if (options.handshakeOnly) await attempt.listenAfterHandshake();
    else await attempt.exchange();
    attempt.progress.endPhase();
  } catch (e) {
    if (e instanceof ProbeAbortedError) await attempt.cancel(e);
    attempt.fail(e);
  }
  // Nothing more is read once the sockets are destroyed: the trace is decoded and judged while the connection closes.
  const closed = attempt.close();
  const done = outcomeOf(attempt, options);
  await closed;
  attempt.progress.done(done.outcome.result);
  return done;
}

/** The TCP events (FIN and RST, with the handshake phase they came in) merged with the decoded TLS events. */
function mergedTrace(attempt: ProbeAttempt, state: TlsSessionState, tlsEvents: TraceEvent[]): { trace: TraceEvent[]; peerClose: AttemptFacts['peerClose'] } {
  const events = attempt.events;
  const ccsTimes = { out: [] as number[], in: [] as number[] };
  for (const ev of tlsEvents) if (ev.event === 'change_cipher_spec' && ev.dir !== 'local') ccsTimes[ev.dir].push(ev.t);
  let peerClose: AttemptFacts['peerClose'] = null;
  for (const s of attempt.tap?.signals ?? []) {
    if (s.kind === 'fin' || s.kind === 'reset') {
      const phaseWords = describeHandshakePhase(state, s.t, ccsTimes);
      peerClose ??= { kind: s.kind, t: s.t, phase: phaseWords };
      events.push({ t: roundMs(s.t), dir: 'in', layer: 'tcp', event: s.kind === 'fin' ? 'fin' : 'reset', detail: { phase: phaseWords, ...(s.kind === 'reset' ? { code: s.code } : {}) } });
    }
  }
  // A stalled handshake says where it stalled.
  for (const ev of events) {
    if (ev.event === 'timeout' && ev.detail?.phase === 'tls') ev.detail.during = describeHandshakePhase(state, ev.t, ccsTimes);
  }
  return { trace: [...events, ...tlsEvents].sort((a, b) => a.t - b.t), peerClose };
}

/** What the result says of TLS: the decoder's view first, Node's where the decoder saw nothing. */
function tlsSummary(attempt: ProbeAttempt, state: TlsSessionState): TlsSummary {
  const { facts, negotiated } = attempt;
  let verified = attempt.serverCertificateVerified;
  let error = attempt.serverCertificateError;
  if (error === undefined && isServerCertificateError(facts.errorCode)) {
    verified = false;
    error = facts.errorCode ?? undefined;
  }
  const serverCertificates: CertificateSummary[] = state.serverCertificate?.certificates ?? [];
  if (serverCertificates.length === 0 && attempt.tlsSocket !== null && facts.secureConnected) {
    const peer = attempt.tlsSocket.getPeerX509Certificate();
    if (peer) serverCertificates.push(summarizeCertificate(peer.raw));
  }
  const request = state.certificateRequest;
  return {
    version: state.version ?? negotiated.version,
    cipher: state.cipherSuite ?? negotiated.cipher,
    alpn: state.alpn ?? negotiated.alpn,
    serverCertificates,
    certificateRequest: request
      ? { ...(request.certificateTypes ? { certificateTypes: request.certificateTypes } : {}), signatureAlgorithms: request.signatureAlgorithms, authorities: request.authorities }
      : null,
    clientCertificateSent: state.clientCertificate !== null && !state.clientCertificate.empty,
    serverCertificateVerified: verified,
    ...(error ? { serverCertificateError: error } : {}),
  };
}

/** What crossed the wire, decoded and merged with the TCP and HTTP events, and the verdict on all of it. */
function outcomeOf(attempt: ProbeAttempt, options: ProbeOptions): { outcome: ProbeOutcome; facts: AttemptFacts } {
  const { target, timings, facts, tap, keyLog } = attempt;
  const chunks = tap?.chunks ?? [];
  const { events: tlsEvents, state } = attempt.wire?.finish(attempt.clock()) ?? decodeWire([], keyLog, attempt.clock());
  const { trace, peerClose } = mergedTrace(attempt, state, tlsEvents);
  const renegotiation = renegotiationOf(state, facts.request);
  if (renegotiation !== null) {
    // Named where it began, so the trace reads "renegotiation after GET /secure/" before the new handshake.
    const at = trace.findIndex((ev) => ev.t >= renegotiation.t);
    trace.splice(at < 0 ? trace.length : at, 0, { t: renegotiation.t, dir: 'in', layer: 'tls', event: 'renegotiation', detail: { ...renegotiation } });
  }
  timings.total = roundMs(attempt.clock());
  const verdictFacts: AttemptFacts = {
    ...facts,
    tls: state,
    peerClose,
    bytesIn: tap?.total.in ?? 0,
    identity: options.identity ? identityFacts(options.identity.chain) : null,
    target: { url: target.url, host: target.host, port: target.port, serverName: target.serverName, serverNameGiven: options.serverName !== undefined, address: target.address },
    at: attempt.startedAt.getTime(),
    trust: options.ca !== undefined ? 'cacert' : 'system',
  };
  const verdict = classifyAttempt(verdictFacts);
  const result: ProbeResult = {
    target,
    identity: options.identity?.summary() ?? null,
    timings,
    tls: { ...tlsSummary(attempt, state), ...(renegotiation !== null ? { renegotiation } : {}) },
    trace,
    http: facts.http,
    correlationId: attempt.correlationId,
    verdict,
    client: attempt.client,
    startedAt: attempt.startedAt.toISOString(),
    error: facts.errorCode ? { code: facts.errorCode, message: facts.errorMessage ?? '' } : null,
  };
  return { outcome: { result, keyLog: keyLog.toString(), wire: chunks }, facts: verdictFacts };
}
