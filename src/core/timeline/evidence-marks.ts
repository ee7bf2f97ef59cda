// Server-side evidence as marks at the time the server stamped it: ALB connection and access-log lines, WAF
// records and samples, ModSecurity records, CloudWatch minutes. A record that AWS stamps seconds away from the
// probe's own connection gets a clock-skew note; per-minute metrics say that they cover the whole minute.

import { recordField as field, recordText } from '../evidence/logs/log-fields';
import type { EvidenceEvent } from '../evidence/types';
import { redactSecrets } from '../secret-headers';
import { recordRows } from './mark-details';
import type { LaneId, MarkKind, MarkTone, TimelineMark, TimelineNote } from './model';

const kindWords: Record<EvidenceEvent['kind'], string> = {
  'alb-connection-log': 'ALB connection log',
  'alb-access-log': 'ALB access log',
  'waf-log': 'AWS WAF log',
  'modsecurity-audit-log': 'ModSecurity audit log',
  'waf-sampled-request': 'AWS WAF sampled request',
  'cloudwatch-metric': 'CloudWatch metric',
  'cloudfront-connection-log': 'CloudFront connection log',
  'apigateway-access-log': 'API Gateway access log',
};

export function evidenceKindWords(kind: EvidenceEvent['kind']): string {
  return kindWords[kind] ?? kind;
}

function text(value: unknown): string | undefined {
  return recordText(value) ?? undefined;
}

/** The record's own words for the mark: the verify status, the WAF action and rule, the status and actions. */
function labelAndTone(event: EvidenceEvent): { label: string; tone: MarkTone } {
  const r = event.record;
  switch (event.kind) {
    case 'alb-connection-log':
    case 'cloudfront-connection-log': {
      const status = text(field(r, 'tls_verify_status')) ?? text(field(r, 'connectionStatus')) ?? 'connection';
      return { label: status, tone: status.startsWith('Failed') ? 'error' : status === 'Success' ? 'ok' : 'neutral' };
    }
    case 'apigateway-access-log': {
      // The clientCert fields are logged only when mutual TLS failed.
      const status = text(field(r, 'status')) ?? '?';
      const mtls = text(field(r, 'identity.clientCert.subjectDN')) !== undefined || text(field(r, 'identity.clientCert.serialNumber')) !== undefined;
      return { label: `${status}${mtls ? ' mTLS refused' : ''}`, tone: Number(status) >= 400 ? 'error' : 'ok' };
    }
    case 'alb-access-log': {
      const status = text(field(r, 'elb_status_code')) ?? '?';
      const actions = text(field(r, 'actions_executed'));
      return { label: `${status}${actions ? ` ${actions}` : ''}`, tone: Number(status) >= 400 ? 'error' : 'ok' };
    }
    case 'waf-log':
    case 'waf-sampled-request': {
      const action = text(field(r, 'action')) ?? text(field(r, 'Action')) ?? 'record';
      const rule = text(field(r, 'terminatingRuleId')) ?? text(field(r, 'RuleNameWithinRuleGroup'));
      return { label: `${action}${rule && rule !== 'Default_Action' ? ` ${rule}` : ''}`, tone: action === 'BLOCK' ? 'error' : action === 'ALLOW' ? 'ok' : 'warning' };
    }
    case 'modsecurity-audit-log': {
      const status = text(field(r, 'transaction.response.http_code'));
      return { label: `ModSecurity${status ? ` ${status}` : ''}`, tone: status === '403' ? 'error' : 'neutral' };
    }
    case 'cloudwatch-metric': {
      const metric = text(field(r, 'metric')) ?? 'metric';
      const value = text(field(r, 'value')) ?? '?';
      const troubling = /Error|Blocked|4XX|5XX|Rejected/.test(metric) && Number(value) > 0;
      return { label: `${metric} ${value}`, tone: troubling ? 'warning' : 'neutral' };
    }
  }
}

const kinds: Record<EvidenceEvent['kind'], MarkKind> = {
  'alb-connection-log': 'log-record',
  'alb-access-log': 'log-record',
  'waf-log': 'log-record',
  'modsecurity-audit-log': 'log-record',
  'waf-sampled-request': 'sampled-request',
  'cloudwatch-metric': 'metric',
  'cloudfront-connection-log': 'log-record',
  'apigateway-access-log': 'log-record',
};

/** The same record across a JSON round trip (the verdict's evidence are copies then, not the same objects). */
export function evidenceKey(event: Pick<EvidenceEvent, 'time' | 'kind' | 'summary' | 'origin'>): string {
  return `${event.time}|${event.kind}|${event.origin.file ?? event.origin.resource ?? ''}|${event.origin.line ?? ''}|${event.summary}`;
}

function originWords(event: EvidenceEvent): string {
  if (event.origin.file !== undefined) return `${event.origin.file}${event.origin.line !== undefined ? `:${event.origin.line}` : ''}`;
  return event.origin.resource ?? evidenceKindWords(event.kind);
}

const metricPeriodMs = 60_000;

/**
 * Evidence sources name the layer a record speaks of (an ALB connection-log line is about TLS); the timeline
 * draws records by who wrote them, apart from the wire's own lanes: the load balancer, the WAF, the target.
 */
function laneOf(event: EvidenceEvent): LaneId {
  if (event.lane === 'waf' || event.lane === 'target') return event.lane;
  if (event.kind === 'waf-log' || event.kind === 'waf-sampled-request' || event.kind === 'modsecurity-audit-log') return 'waf';
  return 'load-balancer';
}

export function evidenceMarks(events: readonly EvidenceEvent[], used: ReadonlySet<string>, runId: string, originMs: number, firstIndex: number): TimelineMark[] {
  return events.map((event, i) => {
    const { label, tone } = labelAndTone(event);
    const isUsed = used.has(evidenceKey(event));
    const metric = event.kind === 'cloudwatch-metric';
    const period = metric ? Number(field(event.record, 'period') ?? 60) * 1000 : 0;
    const matchedBy = event.matchedBy.map((m) => `${m.key} = ${m.value}`);
    const why = metric ? 'a per-minute count over every client' : isUsed ? 'used for the verdict' : 'not tied to this connection or request, not used';
    const t = Math.round((Date.parse(event.time) - originMs) * 1000) / 1000;
    return {
      id: `${runId}:${firstIndex + i}`,
      lane: laneOf(event),
      t,
      ...(metric ? { duration: Number.isFinite(period) && period > 0 ? period : metricPeriodMs } : {}),
      time: event.time,
      dir: 'server' as const,
      kind: kinds[event.kind],
      label,
      summary: `${evidenceKindWords(event.kind)}: ${event.summary} (${why})`,
      tone: isUsed || metric ? tone : 'neutral',
      detail: {
        title: `${evidenceKindWords(event.kind)} record`,
        fields: [
          { name: 'Summary', value: event.summary },
          { name: 'Recorded at', value: event.time },
          { name: 'Role in the verdict', value: why },
        ],
        record: { origin: originWords(event), rows: recordRows(redactSecrets(event.record) as Record<string, unknown>, event.matchedBy), matchedBy },
      },
    };
  });
}

/** Records of the probe's own connection or request may be stamped this far from it before a note says so. */
const skewToleranceMs = 500;

function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  if (abs < 120_000) return `${(abs / 1000).toFixed(1)} s`;
  return `${Math.round(abs / 60_000)} min`;
}

/**
 * Notes for what the axis cannot say alone: a record of this very connection stamped outside the probe's window
 * (the server's clock and this machine's differ, or the server stamps another moment), metrics that cover minutes,
 * records that arrived minutes after the probe.
 */
export function evidenceNotes(marks: readonly TimelineMark[], events: readonly EvidenceEvent[], used: ReadonlySet<string>, window: { from: number; to: number }): TimelineNote[] {
  const notes: TimelineNote[] = [];
  events.forEach((event, i) => {
    const mark = marks[i]!;
    if (event.kind === 'cloudwatch-metric' || !used.has(evidenceKey(event))) return;
    const offset = mark.t < window.from ? mark.t - window.from : mark.t > window.to ? mark.t - window.to : 0;
    if (Math.abs(offset) <= skewToleranceMs) return;
    const where = offset < 0 ? 'before the probe began' : 'after the probe ended';
    notes.push({
      kind: 'clock-skew',
      text: `The ${evidenceKindWords(event.kind)} stamps this probe's ${event.kind === 'alb-connection-log' || event.kind === 'cloudfront-connection-log' ? 'connection' : 'request'} ${duration(offset)} ${where} by this machine's clock: the two clocks differ by about that much. The record sits at its own time.`,
      markIds: [mark.id],
    });
  });
  const metrics = marks.filter((m) => m.kind === 'metric');
  if (metrics.length > 0) {
    notes.push({ kind: 'granularity', text: `CloudWatch datapoints are per-minute sums over every client of the load balancer or web ACL: each bar covers its whole minute, not the probe alone.`, markIds: metrics.map((m) => m.id) });
  }
  const late = marks.filter((m) => m.kind !== 'metric' && m.t - window.to > 60_000);
  if (late.length > 0) {
    notes.push({ kind: 'late-evidence', text: `${late.length} record${late.length === 1 ? ' is' : 's are'} stamped minutes after the probe: they sit at their own time; the axis compresses the gap between.`, markIds: late.map((m) => m.id) });
  }
  return notes;
}
