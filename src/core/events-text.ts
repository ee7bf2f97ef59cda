// The probe and evidence events as one line each, for the subscribers that show them to people: the extension's
// output channel and the CLI's --verbose. One wording for both, with the level a log should give it.

import type { EventError, EvidenceRef, MtlsProbeEvent, ProbeEventPhase, ProbeRef } from './events';

/** How loud a line is: phases are detail (trace), progress is debug, a source that could not be read a warning. */
export type EventLevel = 'trace' | 'debug' | 'warn';

export interface EventLine {
  level: EventLevel;
  text: string;
}

const phaseNames: Record<ProbeEventPhase, string> = { dns: 'DNS lookup', tcp: 'TCP connect', tls: 'TLS handshake', http: 'HTTP exchange' };

/** The run id when there is one, else the correlation id: probes running side by side are told apart by it. */
function tag(ref: ProbeRef | EvidenceRef): string {
  return `[${ref.runId ?? ref.correlationId ?? 'evidence'}]`;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function errorWords(error: EventError): string {
  return `${error.code} — ${error.message}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function utcTime(iso: string): string {
  return iso.slice(11, 19);
}

function probeLine(event: Extract<MtlsProbeEvent, { channel: `mtls-probe:probe:${string}` }>): EventLine {
  switch (event.channel) {
    case 'mtls-probe:probe:start': {
      const { probe, target, identity, handshakeOnly } = event.message;
      const who = identity === null ? 'no certificate' : `identity ${identity}`;
      const route = target.connectTo !== undefined ? `, connecting to ${target.connectTo}` : '';
      return { level: 'debug', text: `${tag(probe)} probing ${probe.url} with ${who}${route}${handshakeOnly ? ', handshake only' : ''}` };
    }
    case 'mtls-probe:probe:phaseStart':
      return { level: 'trace', text: `${tag(event.message.probe)} ${phaseNames[event.message.phase]} started` };
    case 'mtls-probe:probe:phaseEnd': {
      const { probe, phase, error } = event.message;
      if (error === undefined) return { level: 'trace', text: `${tag(probe)} ${phaseNames[phase]} done in ${ms(event.message.ms)}` };
      return { level: 'debug', text: `${tag(probe)} ${phaseNames[phase]} ${error.timedOut ? 'timed out' : 'failed'} after ${ms(event.message.ms)}: ${errorWords(error)}` };
    }
    case 'mtls-probe:probe:done': {
      const { probe, verdict, httpStatus, totalMs } = event.message;
      const layer = verdict.stoppedAt ?? (httpStatus !== null ? `target ${httpStatus}` : 'target');
      return { level: 'debug', text: `${tag(probe)} verdict: ${layer} · ${verdict.reason} (${ms(totalMs)})` };
    }
    case 'mtls-probe:probe:error':
      return { level: 'debug', text: `${tag(event.message.probe)} probe ended without a verdict: ${errorWords(event.message.error)}` };
  }
}

function evidenceLine(event: Extract<MtlsProbeEvent, { channel: `mtls-probe:evidence:${string}` }>): EventLine {
  switch (event.channel) {
    case 'mtls-probe:evidence:start': {
      const { collection, sources, window } = event.message;
      return { level: 'debug', text: `${tag(collection)} collecting evidence from ${sources.join(' and ') || 'no source'} (${utcTime(window.from)}–${utcTime(window.to)} UTC)` };
    }
    case 'mtls-probe:evidence:sourceStart': {
      const { collection, source, item, look } = event.message;
      return { level: 'debug', text: `${tag(collection)} ${source}: reading ${item}${look !== undefined && look > 1 ? ` (look ${look})` : ''}` };
    }
    case 'mtls-probe:evidence:sourceEnd': {
      const { collection, source, item, records } = event.message;
      return { level: 'debug', text: `${tag(collection)} ${source}: ${item}: ${plural(records, 'record')} of this probe` };
    }
    case 'mtls-probe:evidence:sourceError': {
      const { collection, source, item, error } = event.message;
      return { level: 'warn', text: `${tag(collection)} ${source}: ${item} could not be read: ${errorWords(error)}` };
    }
    case 'mtls-probe:evidence:waiting': {
      const { collection, source, pending, nextLookAt, until } = event.message;
      return { level: 'debug', text: `${tag(collection)} ${source}: waiting for ${pending.join(', ')} UTC; next look at ${utcTime(nextLookAt)}, until ${utcTime(until)} UTC` };
    }
    case 'mtls-probe:evidence:done': {
      const { collection, records, problems } = event.message;
      return { level: 'debug', text: `${tag(collection)} evidence collected: ${plural(records, 'record')} of this probe${problems > 0 ? `, ${plural(problems, 'problem')}` : ''}` };
    }
    case 'mtls-probe:evidence:error': {
      const { collection, error } = event.message;
      return { level: error.code === 'ABORT_ERR' ? 'debug' : 'warn', text: `${tag(collection)} evidence collection ended early: ${errorWords(error)}` };
    }
  }
}

/** The event as one line and its level. */
export function eventLine(event: MtlsProbeEvent): EventLine {
  return event.channel.startsWith('mtls-probe:probe:')
    ? probeLine(event as Extract<MtlsProbeEvent, { channel: `mtls-probe:probe:${string}` }>)
    : evidenceLine(event as Extract<MtlsProbeEvent, { channel: `mtls-probe:evidence:${string}` }>);
}
