import { albSerialForm as albSerial, sameSerial } from '../certs/serial-number';
import type { ProbeResult, Verdict } from '../probe/types';
import { cloudFrontFinding, cloudFrontRejected, cloudFrontWhereFrom } from './cloudfront-verdict';
import { apiGatewayKeys, apiGatewayRecordWords, apiGatewayTraceId, apiGatewayUpgrade } from './apigateway-verdict';
import { recordField as field, recordText as text } from './logs/log-fields';
import { connectionAddress, probeConnectionRecord, type ProbeConnection } from './probe-connection';
import type { CorrelationKeys, EvidenceAvailability, EvidenceEvent, EvidenceKind, EvidenceReport, TimeWindow } from './types';

// Ties server-side records to one probe and lets them upgrade the probe's verdict. The probe alone can only
// say what it saw on the wire ("reset after the client certificate", "HTTP 403"); a record from the ALB,
// the WAF or ModSecurity that belongs to the same connection or request says why, and makes the verdict
// "confirmed". Records that disagree with the probe never override it: they become a hint.

/** A certificate serial in ALB's form (certs/serial-number.ts normalises serials, for every writer). */
export { albSerialForm as albSerial } from '../certs/serial-number';

/** `1-5759e988-bd862e3fe1be46a994272793` out of any X-Amzn-Trace-Id form (Root=…, Self=…;Root=…, bare). */
function traceRootOf(value: string): string | null {
  const id = /Root=(1-[0-9a-f]{8}-[0-9a-f]{24})/i.exec(value)?.[1] ?? /1-[0-9a-f]{8}-[0-9a-f]{24}/i.exec(value)?.[0];
  return id?.toLowerCase() ?? null;
}

export function correlationKeysFor(result: ProbeResult): CorrelationKeys {
  const start = Date.parse(result.startedAt);
  const keys: CorrelationKeys = {
    traceId: result.correlationId,
    probeTime: { from: new Date(start).toISOString(), to: new Date(start + Math.max(0, result.timings.total)).toISOString() },
  };
  if (result.client.address !== null) keys.clientIp = result.client.address;
  if (result.client.port !== null) keys.clientPort = result.client.port;
  if (result.identity !== null) keys.clientCertSerial = albSerial(result.identity.serialNumber);
  return { ...keys, ...apiGatewayKeys(result) };
}

export interface EvidenceSlack {
  beforeMs: number;
  afterMs: number;
}

/**
 * Defaults: ALB log timestamps are the connection's or request's own time, but clocks drift and some records
 * (WAF, ModSecurity) are stamped when written; a probe that ends late (timeouts) still falls inside.
 */
export const defaultEvidenceSlack: EvidenceSlack = { beforeMs: 2 * 60_000, afterMs: 5 * 60_000 };

export function evidenceWindow(result: ProbeResult, slack: Partial<EvidenceSlack> = {}): TimeWindow {
  const { beforeMs, afterMs } = { ...defaultEvidenceSlack, ...slack };
  const start = Date.parse(result.startedAt);
  const end = start + Math.max(0, result.timings.total);
  return { from: new Date(start - beforeMs), to: new Date(end + afterMs) };
}

// ---- reading records -------------------------------------------------------------------------------------

function num(value: unknown): number | null {
  const t = text(value);
  const n = t === null ? NaN : Number(t);
  return Number.isFinite(n) ? n : null;
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  const t = text(value);
  return t === null ? [] : t.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A request header from a WAF log record (`[{name, value}]`), a WAF sample (`[{Name, Value}]`) or a ModSecurity record (`{Name: value}`). */
function header(headers: unknown, name: string): string | null {
  if (Array.isArray(headers)) {
    for (const h of headers as Array<Record<string, unknown> | null>) {
      if (h === null || typeof h !== 'object') continue;
      if (String(h.name ?? h.Name).toLowerCase() === name) return text(h.value ?? h.Value);
    }
    return null;
  }
  if (headers !== null && typeof headers === 'object') {
    const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === name);
    return entry ? text(entry[1]) : null;
  }
  return null;
}

/** The trace id a record carries, per format. */
const recordTraceId: Record<EvidenceKind, (r: Record<string, unknown>) => string | null> = {
  'alb-connection-log': () => null,
  'alb-access-log': (r) => text(field(r, 'trace_id')),
  'waf-log': (r) => text(field(r, 'httpRequest.requestId')) ?? header(field(r, 'httpRequest.headers'), 'x-amzn-trace-id'),
  'modsecurity-audit-log': (r) => header(field(r, 'transaction.request.headers'), 'x-amzn-trace-id'),
  'waf-sampled-request': (r) => header(field(r, 'Request.Headers'), 'x-amzn-trace-id'),
  'cloudwatch-metric': () => null,
  'cloudfront-connection-log': () => null,
  'apigateway-access-log': apiGatewayTraceId,
};

/** Matches that single out one connection or request; time, address or serial alone do not. */
const identifyingKeys = new Set<string>(['traceId', 'connTraceId', 'clientPort', 'requestId', 'extendedRequestId']);

/** The probe's own connection-log record (ALB's or CloudFront's): probe-connection.ts. */
export { probeConnectionRecord, type ProbeConnection } from './probe-connection';

interface ProbeLink {
  keys: CorrelationKeys;
  traceRoot: string | null;
  /** ALB conn_trace_ids of this probe's connection, learnt from its connection-log record. */
  connTraceIds: Set<string>;
  connection: ProbeConnection;
  /** The probe's connection in CloudFront's connection log. */
  cloudFront: ProbeConnection;
}

/** True when the record is this probe's own connection or request, not merely one from the same minutes. */
function belongsToProbe(event: EvidenceEvent, link: ProbeLink): boolean {
  if (event.kind === 'cloudwatch-metric') return false;
  // One probe, one connection: its record is the one probeConnectionRecord picked.
  if (event.kind === 'alb-connection-log') return 'event' in link.connection && link.connection.event === event;
  if (event.kind === 'cloudfront-connection-log') return 'event' in link.cloudFront && link.cloudFront.event === event;
  const r = event.record;
  const serial = text(field(r, 'leaf_client_cert_serial_number'));
  // A connection made with another certificate (or with one, when the probe sent none) is someone else's.
  if (serial !== null && (link.keys.clientCertSerial === undefined || !sameSerial(serial, link.keys.clientCertSerial))) return false;
  if (event.matchedBy.some((m) => identifyingKeys.has(m.key))) return true;
  const traceId = recordTraceId[event.kind](r);
  if (traceId !== null && link.traceRoot !== null && traceRootOf(traceId) === link.traceRoot) return true;
  const connTraceId = text(field(r, 'conn_trace_id'));
  if (connTraceId !== null && link.connTraceIds.has(connTraceId)) return true;
  const port = num(field(r, 'client_port')) ?? num(field(r, 'transaction.client_port'));
  return (event.kind === 'alb-access-log' || event.kind === 'modsecurity-audit-log') && port !== null && port === link.keys.clientPort;
}

// ---- what each record says -------------------------------------------------------------------------------

type Finding =
  | { says: 'certificate-rejected'; event: EvidenceEvent; status: string; code: string }
  | { says: 'certificate-accepted'; event: EvidenceEvent }
  | { says: 'waf-blocked'; event: EvidenceEvent; source: 'aws-waf' | 'alb-access-log' | 'modsecurity'; status: number; action: string; rule: string | null }
  | { says: 'waf-allowed'; event: EvidenceEvent; source: 'aws-waf' | 'modsecurity'; action: string; rule: string | null }
  | { says: 'front-answered'; event: EvidenceEvent; status: number; targetStatus: number | null; actions: string[] }
  /** An API Gateway access-log record of the request: apigateway-verdict.ts says what it means. */
  | { says: 'apigateway-logged'; event: EvidenceEvent; status: number };

/** AWS WAF terminating actions that stop a request, with the status ALB sends unless the rule sets its own. */
const wafStoppingActions: Record<string, number> = { BLOCK: 403, CAPTCHA: 405, CHALLENGE: 202 };

/** An AWS WAF decision, from a log record or a sampled request (the same fields, named differently). */
function awsWafFinding(event: EvidenceEvent, actionField: string, ruleField: string, responseCodeField: string): Finding | null {
  const r = event.record;
  const action = text(field(r, actionField))?.toUpperCase() ?? null;
  const rule = text(field(r, ruleField));
  if (action === null) return null;
  const stopStatus = wafStoppingActions[action];
  if (stopStatus !== undefined) return { says: 'waf-blocked', event, source: 'aws-waf', status: num(field(r, responseCodeField)) ?? stopStatus, action, rule };
  return action === 'ALLOW' ? { says: 'waf-allowed', event, source: 'aws-waf', action, rule } : null;
}

const findingReaders: Record<EvidenceKind, (event: EvidenceEvent) => Finding | null> = {
  'alb-connection-log': (event) => {
    const status = text(field(event.record, 'tls_verify_status'));
    if (status === 'Success') return { says: 'certificate-accepted', event };
    const code = status?.startsWith('Failed:') ? status.slice('Failed:'.length) : null;
    return status !== null && code ? { says: 'certificate-rejected', event, status, code } : null;
  },
  'alb-access-log': (event) => {
    const r = event.record;
    const actions = list(field(r, 'actions_executed'));
    const status = num(field(r, 'elb_status_code'));
    if (status === null) return null;
    if (actions[actions.length - 1] === 'waf') return { says: 'waf-blocked', event, source: 'alb-access-log', status, action: 'BLOCK', rule: null };
    return { says: 'front-answered', event, status, targetStatus: num(field(r, 'target_status_code')), actions };
  },
  'waf-log': (event) => awsWafFinding(event, 'action', 'terminatingRuleId', 'responseCodeSent'),
  'waf-sampled-request': (event) => awsWafFinding(event, 'Action', 'RuleNameWithinRuleGroup', 'ResponseCodeSent'),
  'cloudwatch-metric': () => null,
  'cloudfront-connection-log': cloudFrontFinding,
  'apigateway-access-log': (event) => {
    const status = num(field(event.record, 'status'));
    return status !== null ? { says: 'apigateway-logged', event, status } : null;
  },
  'modsecurity-audit-log': (event) => {
    const r = event.record;
    const status = num(field(r, 'transaction.response.http_code'));
    const messages = field(r, 'transaction.messages');
    const ruleIds = Array.isArray(messages) ? messages.map((m) => text(field((m ?? {}) as Record<string, unknown>, 'details.ruleId'))).filter((id): id is string => id !== null) : [];
    const rule = ruleIds.length > 0 ? [...new Set(ruleIds)].join(', ') : null;
    if (status === 403) return { says: 'waf-blocked', event, source: 'modsecurity', status, action: 'deny', rule };
    return status !== null ? { says: 'waf-allowed', event, source: 'modsecurity', action: `HTTP ${status}`, rule } : null;
  },
};

// ---- the probe's own outcome, and which findings agree with it -------------------------------------------

type Outcome = { kind: 'no-connection' } | { kind: 'handshake-failed' } | { kind: 'handshake-completed' } | { kind: 'response'; status: number };

function outcomeOf(result: ProbeResult): Outcome {
  if (result.http !== null) return { kind: 'response', status: result.http.status };
  const stoppedAt = result.verdict.stoppedAt;
  if (stoppedAt === 'dns' || stoppedAt === 'tcp') return { kind: 'no-connection' };
  return stoppedAt === null ? { kind: 'handshake-completed' } : { kind: 'handshake-failed' };
}

function outcomeWords(result: ProbeResult, outcome: Outcome): string {
  switch (outcome.kind) {
    case 'response':
      return `got HTTP ${outcome.status}`;
    case 'no-connection':
      return `never connected (${result.verdict.reason})`;
    case 'handshake-completed':
      return 'completed the TLS handshake';
    case 'handshake-failed':
      return `saw the connection stop at ${result.verdict.stoppedAt} (${result.verdict.reason}) before any HTTP response`;
  }
}

function whereFrom(f: Finding): string {
  const r = f.event.record;
  switch (f.event.kind) {
    case 'alb-connection-log':
      return `ALB's connection log says tls_verify_status=${text(field(r, 'tls_verify_status'))} for ${text(field(r, 'client_ip')) ?? '?'}:${text(field(r, 'client_port')) ?? '?'}`;
    case 'alb-access-log':
      return `ALB's access log shows actions_executed=${list(field(r, 'actions_executed')).join(',') || '-'} and elb_status_code ${text(field(r, 'elb_status_code')) ?? '-'}`;
    case 'waf-log':
      return `AWS WAF logged action ${text(field(r, 'action'))} (rule ${text(field(r, 'terminatingRuleId')) ?? '-'})`;
    case 'modsecurity-audit-log':
      return `ModSecurity's audit log records HTTP ${text(field(r, 'transaction.response.http_code')) ?? '?'}`;
    case 'waf-sampled-request':
      return `AWS WAF sampled the request with action ${text(field(r, 'Action'))} (rule ${text(field(r, 'RuleNameWithinRuleGroup')) ?? '-'})`;
    case 'cloudwatch-metric':
      return `CloudWatch ${text(field(r, 'metric'))} was ${text(field(r, 'value'))} in the minute from ${text(field(r, 'timestamp'))}`;
    case 'cloudfront-connection-log':
      return cloudFrontWhereFrom(f.event);
    case 'apigateway-access-log':
      return apiGatewayRecordWords(r);
  }
}

/** Whether a finding fits what the probe saw: the table the whole upgrade rests on. */
const agreesWithProbe: Record<Finding['says'], (f: Finding, outcome: Outcome) => boolean> = {
  'certificate-rejected': (_f, o) => o.kind === 'handshake-failed',
  'certificate-accepted': (_f, o) => o.kind === 'response' || o.kind === 'handshake-completed',
  'waf-blocked': (f, o) => o.kind === 'response' && f.says === 'waf-blocked' && o.status === f.status,
  'waf-allowed': (_f, o) => o.kind === 'response',
  'front-answered': (f, o) => o.kind === 'response' && f.says === 'front-answered' && o.status === f.status,
  'apigateway-logged': (f, o) => o.kind === 'response' && f.says === 'apigateway-logged' && o.status === f.status,
};

// ---- the verdicts evidence leads to ----------------------------------------------------------------------

/** What ALB's tls_verify_status codes mean, where the name alone leaves room for doubt. */
const albFailureMeanings: Record<string, string> = {
  ClientCertUntrusted: 'the certificate does not chain to a CA in the trust store',
  ClientCertExpired: 'the certificate has expired',
  ClientCertNotYetValid: 'the certificate is not valid yet',
  ClientCertCrlHit: "the certificate is revoked by a CRL in the trust store",
  ClientCertCrlProcessingError: "the trust store's CRL could not be processed",
  ClientCertMaxChainDepthExceeded: 'the chain is deeper than the trust store allows',
  ClientCertMaxSizeExceeded: 'the certificate chain is larger than ALB accepts',
  ClientCertPurposeInvalid: 'the certificate is not for client authentication (Extended Key Usage)',
  ClientCertTypeUnsupported: "the certificate's key or signature type is not supported",
  ClientCertInvalid: 'the certificate could not be parsed',
};

function snakeCase(code: string): string {
  return code.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** Records that exist only for a request that got past TLS: any of them means the request reached HTTP. */
const wafRecordKinds = new Set<EvidenceKind>(['waf-log', 'waf-sampled-request', 'modsecurity-audit-log', 'alb-access-log']);

const wafFindingOrder = { 'aws-waf': 0, modsecurity: 1, 'alb-access-log': 2 } as const;

function certificateRejected(result: ProbeResult, f: Extract<Finding, { says: 'certificate-rejected' }>, all: Finding[]): Pick<Verdict, 'stoppedAt' | 'reason' | 'summary'> {
  const meaning = albFailureMeanings[f.code];
  const connTraceId = text(field(f.event.record, 'conn_trace_id'));
  const probeSawRefusal = result.verdict.stoppedAt === 'mtls' && /^(reset|closed|alert)_/.test(result.verdict.reason);
  const wafRecord = all.some((x) => wafRecordKinds.has(x.event.kind));
  if (f.event.kind === 'cloudfront-connection-log') return cloudFrontRejected(result, f.event, f.code, probeSawRefusal && !wafRecord);
  return {
    stoppedAt: 'mtls',
    reason: `alb_${snakeCase(f.code)}`,
    summary:
      `The ALB rejected the client certificate during the TLS handshake: ${whereFrom(f)}${connTraceId ? ` (${connTraceId})` : ''}${meaning ? `, i.e. ${meaning}` : ''}.` +
      (probeSawRefusal && !wafRecord ? ' The request never reached the WAF.' : ''),
  };
}

function wafBlocked(blocks: Array<Extract<Finding, { says: 'waf-blocked' }>>): Pick<Verdict, 'stoppedAt' | 'reason' | 'summary'> {
  const sorted = [...blocks].sort((a, b) => wafFindingOrder[a.source] - wafFindingOrder[b.source]);
  const main = sorted[0]!;
  const who = main.source === 'modsecurity' ? 'ModSecurity' : 'AWS WAF';
  const rule = sorted.find((b) => b.rule !== null)?.rule;
  return {
    stoppedAt: 'waf',
    reason: main.source === 'modsecurity' ? 'modsecurity_block' : `aws_waf_${main.action.toLowerCase()}`,
    summary: `${who} ${main.action === 'BLOCK' || main.action === 'deny' ? 'blocked' : `answered with ${main.action}`} the request${rule ? ` (rule ${rule})` : ''}: ${sorted.map(whereFrom).join('; ')}.`,
  };
}

/** A fresh verdict: the probe's, with evidence, confidence and hint replaced. */
function withEvidence(base: Verdict, patch: Partial<Verdict>, used: Finding[]): Verdict {
  const verdict: Verdict = { ...base, ...patch, evidence: used.map((f) => f.event) };
  if (verdict.hint === undefined) delete verdict.hint;
  return verdict;
}

/**
 * The probe's verdict in the light of server-side records: confirmed or made more precise when they agree
 * with what the probe saw, unchanged (with a hint naming the contradiction) when they do not.
 * Never mutates its arguments.
 */
export function upgradeVerdict(result: ProbeResult, events: EvidenceEvent[]): Verdict {
  const keys = correlationKeysFor(result);
  const traceRoot = keys.traceId !== undefined ? traceRootOf(keys.traceId) : null;
  const connection = probeConnectionRecord(events, keys);
  const cloudFront = probeConnectionRecord(events, keys, 'cloudfront-connection-log');
  const link: ProbeLink = { keys, traceRoot, connTraceIds: new Set(), connection, cloudFront };
  // The connection log first: its conn_trace_id then ties this probe's access-log line to it.
  const ordered = [...events].sort((a, b) => Number(b.kind === 'alb-connection-log') - Number(a.kind === 'alb-connection-log'));
  const mine: EvidenceEvent[] = [];
  for (const event of ordered) {
    if (!belongsToProbe(event, link)) continue;
    mine.push(event);
    const connTraceId = event.kind === 'alb-connection-log' ? text(field(event.record, 'conn_trace_id')) : null;
    if (connTraceId !== null) link.connTraceIds.add(connTraceId);
  }
  const findings = mine.map((e) => findingReaders[e.kind](e)).filter((f): f is Finding => f !== null);
  const base = result.verdict;
  if (findings.length === 0) {
    const [front, unclear] = connection.found === 'ambiguous' ? ['the load balancer', connection] : ['CloudFront', cloudFront];
    const ambiguity =
      unclear.found === 'ambiguous'
        ? `${front === 'CloudFront' ? "CloudFront's" : "The load balancer's"} connection log has ${unclear.count} connections ${keys.clientCertSerial !== undefined ? 'with this certificate' : 'without a certificate'} at the probe's moment and none from its address (NAT): which one is the probe's cannot be told. Probe with a certificate of its own, or from an address ${front} sees.`
        : undefined;
    const hint = ambiguity !== undefined ? (base.hint !== undefined ? `${ambiguity} ${base.hint}` : ambiguity) : base.hint;
    return metricsCorroboration(result, events) ?? withEvidence(base, { confidence: 'probe', ...(hint !== undefined ? { hint } : {}) }, []);
  }

  const outcome = outcomeOf(result);
  const agreeing = findings.filter((f) => agreesWithProbe[f.says](f, outcome));
  const contradicting = findings.filter((f) => !agreesWithProbe[f.says](f, outcome));
  if (contradicting.length > 0) {
    const said = contradicting.map(whereFrom).join('; ');
    const hint = `Server-side evidence contradicts the probe: ${said}, but the probe ${outcomeWords(result, outcome)}. The record may belong to another connection (NAT, a reused port) or a clock is off.`;
    return withEvidence(base, { confidence: 'probe', hint: base.hint ? `${hint} ${base.hint}` : hint }, agreeing);
  }

  const rejected = findings.find((f): f is Extract<Finding, { says: 'certificate-rejected' }> => f.says === 'certificate-rejected');
  if (rejected !== undefined) {
    const verdict = certificateRejected(result, rejected, findings);
    const viaCloudFront = rejected.event.kind === 'cloudfront-connection-log';
    if ((viaCloudFront ? cloudFront : connection).found === 'time') {
      verdict.summary += ` (Matched by time and certificate: ${viaCloudFront ? 'CloudFront' : 'the load balancer'} saw the probe as ${connectionAddress(rejected.event)}, behind NAT; no other such connection at that moment.)`;
    }
    return withEvidence(base, { ...verdict, confidence: 'confirmed', hint: undefined }, findings);
  }

  const blocks = findings.filter((f): f is Extract<Finding, { says: 'waf-blocked' }> => f.says === 'waf-blocked');
  if (blocks.length > 0) return withEvidence(base, { ...wafBlocked(blocks), confidence: 'confirmed', hint: undefined }, findings);

  const apiGateway = findings.find((f) => f.says === 'apigateway-logged');
  if (apiGateway !== undefined) return withEvidence(base, apiGatewayUpgrade(result, base, apiGateway.event), findings);

  const answered = findings.find((f) => f.says === 'front-answered');
  const allowed = findings.find((f): f is Extract<Finding, { says: 'waf-allowed' }> => f.says === 'waf-allowed');
  // The probe's 403 hint ("possibly a WAF block") is settled once the WAF is known to have let the request through.
  const passedWaf = allowed !== undefined || (answered?.says === 'front-answered' && answered.actions.includes('waf'));
  const hint = passedWaf && outcome.kind === 'response' && outcome.status === 403 ? 'The WAF let this request through: the 403 came from behind it (the target or a listener rule).' : base.hint;
  if (answered !== undefined) {
    const agreement = findings.map(whereFrom).join('; ');
    return withEvidence(base, { summary: `${base.summary} Server-side logs agree: ${agreement}.`, confidence: 'confirmed', hint }, findings);
  }
  // A connection-log Success or a WAF ALLOW alone fits the probe but does not show where the request ended.
  return withEvidence(base, { confidence: 'probe', hint }, findings);
}

/**
 * Without a record of the probe's own connection, CloudWatch's per-minute ClientTLSNegotiationErrorCount can
 * still corroborate a refused handshake. Metrics count every client's connections, so the verdict stays
 * "probe"; the summary says what the metric showed and that no WAF record of the request exists.
 */
function metricsCorroboration(result: ProbeResult, events: EvidenceEvent[]): Verdict | null {
  const base = result.verdict;
  if (outcomeOf(result).kind !== 'handshake-failed' || base.stoppedAt !== 'mtls') return null;
  const probeStart = Date.parse(result.startedAt);
  const probeEnd = probeStart + Math.max(0, result.timings.total);
  const minuteOf = (t: number): number => Math.floor(t / 60_000) * 60_000;
  const errors = events.find((e) => {
    if (e.kind !== 'cloudwatch-metric' || field(e.record, 'metric') !== 'ClientTLSNegotiationErrorCount') return false;
    const minute = Date.parse(String(field(e.record, 'timestamp')));
    return (num(field(e.record, 'value')) ?? 0) > 0 && minute >= minuteOf(probeStart) && minute <= minuteOf(probeEnd);
  });
  if (errors === undefined) return null;
  const count = num(field(errors.record, 'value'));
  const minute = String(field(errors.record, 'timestamp')).slice(11, 16);
  const summary =
    `${base.summary} CloudWatch counted ${count} client TLS negotiation error${count === 1 ? '' : 's'} at the load balancer in the minute from ${minute} UTC, ` +
    'and no WAF record or access-log line of this request exists: it never reached the WAF (metrics count every client, so this corroborates rather than proves).';
  return { ...withEvidence(base, { summary, confidence: 'probe' }, []), evidence: [errors] };
}

// ---- text for the curl-style output ----------------------------------------------------------------------

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export interface DescribeEvidenceOptions {
  /** Names the source in the heading; default "local logs". */
  sourceLabel?: string;
  /** The verdict's evidence: records not in it are marked as not used (same minutes or address, another request). */
  used?: readonly unknown[];
}

const availabilityWords: Record<EvidenceAvailability, string> = {
  found: 'found',
  missing: 'missing',
  'not-yet-available': 'not yet available',
  'not-configured': 'not configured',
  failed: 'failed',
};

/**
 * Lines for the human report: the setup facts (listener mode), what was read, each matched record and why it
 * matched, what was found / missing / not yet available, and any input that could not be read.
 */
export function describeEvidence(events: EvidenceEvent[], report: Pick<EvidenceReport, 'stats' | 'problems' | 'coverage' | 'context'>, options: DescribeEvidenceOptions = {}): string[] {
  const { stats } = report;
  const label = options.sourceLabel ?? 'local logs';
  const readParts = [
    stats.files > 0 || report.coverage === undefined ? `${plural(stats.files, 'file')}, ${plural(stats.lines, 'line')} read` : null,
    stats.skippedLines > 0 ? `${plural(stats.skippedLines, 'unparsable line')} skipped` : null,
  ].filter((p): p is string => p !== null);
  const read = readParts.length > 0 ? ` — ${readParts.join(', ')}` : '';
  const lines: string[] = [];
  for (const c of report.context ?? []) lines.push(`${c.title}: ${c.summary}`);
  const coverage = report.coverage ?? [];
  const nothingRead = events.length === 0 && stats.files === 0 && coverage.length > 0 && coverage.every((c) => c.state === 'failed' || c.state === 'not-configured');
  if (nothingRead) lines.push(`Evidence (${label}): nothing could be read.`);
  else lines.push(events.length === 0 ? `Evidence (${label}): no records matched${read}.` : `Evidence (${label}): ${plural(events.length, 'record')} matched${read}:`);
  const sorted = [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  for (const e of sorted) {
    const matched = e.matchedBy.length > 0 ? e.matchedBy.map((m) => `${m.key}=${m.value}`).join(', ') : 'nothing';
    const origin = e.origin.file !== undefined ? ` (${e.origin.file}${e.origin.line !== undefined ? `:${e.origin.line}` : ''})` : e.origin.resource !== undefined ? ` (${e.origin.resource})` : '';
    const unused =
      options.used !== undefined && !options.used.includes(e)
        ? e.kind === 'cloudwatch-metric'
          ? '; a per-minute count over every client'
          : '; not used for the verdict: not tied to this connection or request'
        : '';
    lines.push(`  ${e.time}  ${e.kind}  ${e.summary}`);
    lines.push(`      matched by ${matched}${origin}${unused}`);
  }
  // One line per distinct failure: expired credentials fail every lookup with the same sentence.
  const failures = new Map<string, string[]>();
  for (const c of coverage) {
    if (c.state === 'failed') failures.set(c.detail, [...(failures.get(c.detail) ?? []), c.evidence]);
  }
  const failuresShown = new Set<string>();
  for (const c of coverage) {
    if (c.state === 'failed') {
      if (failuresShown.has(c.detail)) continue;
      failuresShown.add(c.detail);
      lines.push(`  ${availabilityWords.failed.padEnd(17)} ${failures.get(c.detail)!.join(', ')}: ${c.detail}`);
      continue;
    }
    const expected = c.expectedBy !== undefined ? ` (expected by ${c.expectedBy.slice(11, 19)} UTC)` : '';
    lines.push(`  ${availabilityWords[c.state].padEnd(17)} ${c.evidence}: ${c.detail}${expected}`);
  }
  for (const p of report.problems) {
    if (failures.has(p.message)) continue;
    lines.push(`  Not read: ${p.file !== undefined && !p.message.includes(p.file) ? `${p.file}: ` : ''}${p.message}`);
  }
  return lines;
}
