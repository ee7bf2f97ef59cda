// The marks an attempt ends with: what the application answered (on the target lane) and the verdict (on the
// client lane). A run of one attempt has one of each; a run with a TLS 1.2 retry has the retry's too.

import { mtlsHeaderName } from '../probe/mtls-headers';
import type { ProbeResult, Verdict } from '../probe/types';
import type { DetailField, TimelineMark } from './model';

/** Where the mark goes: its id, its t on the run's axis, and the absolute time it stands for. */
export interface MarkSlot {
  id: string;
  t: number;
  originMs: number;
  /** The attempt's t of the mark (the absolute time is originMs + this). */
  attemptT: number;
  attempt?: number;
  /** "TLS 1.2 retry": said first in a retry's words. */
  label: string | null;
}

function placed(slot: MarkSlot): Pick<TimelineMark, 'id' | 't' | 'time'> & { attempt?: number } {
  return { id: slot.id, t: slot.t, time: new Date(slot.originMs + slot.attemptT).toISOString(), ...(slot.attempt !== undefined ? { attempt: slot.attempt } : {}) };
}

/** The response's t in the attempt's trace, when the application answered; null when it did not. */
export function answeredAt(result: ProbeResult, verdict: Verdict): number | null {
  if (verdict.stoppedAt !== null || result.http === null) return null;
  return result.trace.find((e) => e.layer === 'http' && e.event === 'response')?.t ?? null;
}

/** A target-lane mark when the application answered: what it saw of the client certificate, if it echoed it. */
export function targetMark(result: ProbeResult, slot: MarkSlot): TimelineMark | null {
  const http = result.http;
  if (http === null) return null;
  const seen = http.mtlsHeaders;
  const fields: DetailField[] = [
    { name: 'Status', value: String(http.status) },
    ...(seen?.present !== undefined ? [{ name: 'Client certificate sent (CloudFront-Viewer-Cert-Present)', value: seen.present ? 'yes' : 'no' }] : []),
    ...(seen?.subject !== undefined ? [{ name: `Client certificate subject (${mtlsHeaderName(seen, 'subject')})`, value: seen.subject }] : []),
    ...(seen?.serialNumber !== undefined ? [{ name: 'Client certificate serial', value: seen.serialNumber }] : []),
    ...(seen?.issuer !== undefined ? [{ name: 'Client certificate issuer', value: seen.issuer }] : []),
    ...(seen?.sha256 !== undefined ? [{ name: 'Client certificate SHA-256', value: seen.sha256 }] : []),
    { name: 'Body (first bytes)', value: http.bodyPreview },
  ];
  const prefix = slot.label !== null ? `${slot.label} — ` : '';
  return {
    ...placed(slot),
    lane: 'target',
    dir: 'in',
    kind: 'http',
    label: `${http.status}`,
    summary: `${prefix}The application answered ${http.status}${seen?.subject !== undefined ? `, told by ${seen.front === 'cloudfront' ? 'CloudFront' : 'the load balancer'} that the client is ${seen.subject}` : ''}`,
    tone: 'ok',
    detail: { title: `${prefix}The application answered`, fields },
  };
}

/** The verdict at the end of the attempt: the run's (its first attempt's), or the retry's own, named so. */
export function verdictMark(v: Verdict, slot: MarkSlot): TimelineMark {
  const outcome = v.stoppedAt === null ? 'passed' : `stopped at ${v.stoppedAt}`;
  const retry = slot.label !== null;
  return {
    ...placed(slot),
    lane: 'client',
    dir: 'local',
    kind: 'verdict',
    label: retry ? (v.stoppedAt === null ? 'Retry passed' : `Retry stopped: ${v.stoppedAt}`) : v.stoppedAt === null ? 'Passed' : `Stopped: ${v.stoppedAt}`,
    summary: `${retry ? `${slot.label}'s verdict` : 'Verdict'}: ${outcome} — ${v.reason}${v.confidence === 'confirmed' ? ' (confirmed)' : ''}`,
    tone: v.stoppedAt === null ? 'ok' : 'error',
    detail: {
      title: retry ? `Verdict of the ${slot.label}` : 'Verdict',
      fields: [{ name: 'Stopped at', value: v.stoppedAt ?? 'none (the application answered)' }, { name: 'Reason', value: v.reason }, { name: 'Summary', value: v.summary }, ...(v.hint !== undefined ? [{ name: 'Hint', value: v.hint }] : [])],
    },
  };
}
