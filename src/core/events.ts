// Progress of probes and evidence collection, published on node:diagnostics_channel the way undici publishes its
// requests (`undici:request:create`, `undici:request:headers`…). The core does not know who listens — the
// extension's output channel, the CLI's --verbose, a test, an APM agent — and builds no message when nobody does
// (each is made only when its channel has subscribers). Channels are process-wide by name, so a subscriber in the
// extension's main bundle hears the probe engine in its lazily loaded bundle.
//
// Messages say which probe (its URL without user name or password, its correlation id, its run) and what happened;
// never key material, passphrases or header values: a subscriber may write them anywhere.
//
// This module imports nothing from the rest of the core, so every folder can publish through it without two
// folders importing each other; its shapes mirror the probe's own types (ProbePhase, Layer, Verdict).

import { channel, subscribe, unsubscribe, type Channel } from 'node:diagnostics_channel';

/** Every channel, by what it tells. Names are stable: subscribers outside this code base may rely on them. */
export const eventChannels = {
  /** A probe begins (options checked, before DNS). */
  probeStart: 'mtls-probe:probe:start',
  /** A phase of a probe begins: dns, tcp, tls, http. */
  probePhaseStart: 'mtls-probe:probe:phaseStart',
  /** A phase ends: completed, or failed with the error that ended the probe there. */
  probePhaseEnd: 'mtls-probe:probe:phaseEnd',
  /** A probe ended with a verdict (whatever it is: a refused handshake is a verdict, not an error). */
  probeDone: 'mtls-probe:probe:done',
  /** A probe ended without a verdict: it was cancelled. */
  probeError: 'mtls-probe:probe:error',
  /** Evidence collection begins, with the sources it will ask. */
  evidenceStart: 'mtls-probe:evidence:start',
  /** One thing a source is asked for begins: a log file, an AWS lookup. */
  evidenceSourceStart: 'mtls-probe:evidence:sourceStart',
  /** It answered, with how many records of the probe it held. */
  evidenceSourceEnd: 'mtls-probe:evidence:sourceEnd',
  /** It could not be read: the error, by code. Collection goes on with the other sources. */
  evidenceSourceError: 'mtls-probe:evidence:sourceError',
  /** AWS has not delivered everything yet: collection pauses before looking again. */
  evidenceWaiting: 'mtls-probe:evidence:waiting',
  /** Evidence collection ended, with what it found in all. */
  evidenceDone: 'mtls-probe:evidence:done',
  /** Evidence collection ended early: cancelled, or a failure no source could absorb. */
  evidenceError: 'mtls-probe:evidence:error',
} as const;

export type EventChannelName = (typeof eventChannels)[keyof typeof eventChannels];

/** An error as messages carry it: its stable code and one line, never the object (its cause may hold anything). */
export interface EventError {
  code: string;
  message: string;
}

/** Which probe a message is about. */
export interface ProbeRef {
  /** The X-Amzn-Trace-Id value the probe sends: unique per probe, and the key its evidence is found by. */
  correlationId: string;
  /** The run this probe is part of, when the run service started it. */
  runId?: string;
  /** The URL probed, without user name or password. */
  url: string;
}

/** The probe's phases, as ProbePhase names them. */
export type ProbeEventPhase = 'dns' | 'tcp' | 'tls' | 'http';

export interface ProbeStartMessage {
  probe: ProbeRef;
  target: { host: string; port: number; serverName: string | null; connectTo?: string };
  /** The client identity's label; null without a certificate. */
  identity: string | null;
  handshakeOnly: boolean;
}

export interface ProbePhaseStartMessage {
  probe: ProbeRef;
  phase: ProbeEventPhase;
}

export interface ProbePhaseEndMessage {
  probe: ProbeRef;
  phase: ProbeEventPhase;
  /** The phase's own duration. */
  ms: number;
  /** What ended the probe in this phase; absent when the phase completed. */
  error?: EventError & { timedOut: boolean };
}

export interface ProbeDoneMessage {
  probe: ProbeRef;
  /** The probe's verdict (as Verdict has it: stoppedAt null when the application answered). */
  verdict: { stoppedAt: string | null; reason: string; confidence: 'probe' | 'confirmed' };
  httpStatus: number | null;
  /** The address the connection went to. */
  address: string | null;
  totalMs: number;
  error: EventError | null;
}

export interface ProbeErrorMessage {
  probe: ProbeRef;
  error: EventError;
}

/** Which collection a message is about: the probe's correlation id (the trace id its records carry) and run. */
export interface EvidenceRef {
  correlationId?: string;
  runId?: string;
}

export interface EvidenceStartMessage {
  collection: EvidenceRef;
  /** The sources' names: "local log files", "AWS". */
  sources: string[];
  /** The window searched (ISO 8601). */
  window: { from: string; to: string };
}

/** One thing one source is asked for. */
export interface EvidenceSourceItem {
  collection: EvidenceRef;
  /** The source's name: "local log files", "AWS". */
  source: string;
  /** What is read: a file's path, or an AWS lookup ("CloudWatch metrics", "WAF log"…). */
  item: string;
  /** AWS looks again for late evidence: the look's number (1 for the first). */
  look?: number;
}

export type EvidenceSourceStartMessage = EvidenceSourceItem;

export interface EvidenceSourceEndMessage extends EvidenceSourceItem {
  /** Records of this probe found (log lines, datapoints, sampled requests) or, for a setup lookup, settings read. */
  records: number;
}

export interface EvidenceSourceErrorMessage extends EvidenceSourceItem {
  error: EventError;
}

export interface EvidenceWaitingMessage {
  collection: EvidenceRef;
  source: string;
  /** What is awaited, e.g. "WAF log by 10:42:00". */
  pending: string[];
  /** When the next look is (ISO 8601). */
  nextLookAt: string;
  /** When waiting ends whatever arrived (ISO 8601). */
  until: string;
}

export interface EvidenceDoneMessage {
  collection: EvidenceRef;
  /** Records of this probe found by every source together. */
  records: number;
  /** Inputs that could not be read (files, AWS calls). */
  problems: number;
}

export interface EvidenceErrorMessage {
  collection: EvidenceRef;
  error: EventError;
}

/** Each channel's message shape. */
export interface EventMessages {
  'mtls-probe:probe:start': ProbeStartMessage;
  'mtls-probe:probe:phaseStart': ProbePhaseStartMessage;
  'mtls-probe:probe:phaseEnd': ProbePhaseEndMessage;
  'mtls-probe:probe:done': ProbeDoneMessage;
  'mtls-probe:probe:error': ProbeErrorMessage;
  'mtls-probe:evidence:start': EvidenceStartMessage;
  'mtls-probe:evidence:sourceStart': EvidenceSourceStartMessage;
  'mtls-probe:evidence:sourceEnd': EvidenceSourceEndMessage;
  'mtls-probe:evidence:sourceError': EvidenceSourceErrorMessage;
  'mtls-probe:evidence:waiting': EvidenceWaitingMessage;
  'mtls-probe:evidence:done': EvidenceDoneMessage;
  'mtls-probe:evidence:error': EvidenceErrorMessage;
}

/** A message with the channel it came on, as `subscribeEvents` hands it over. */
export type MtlsProbeEvent = { [N in EventChannelName]: { channel: N; message: EventMessages[N] } }[EventChannelName];

export const eventChannelNames: readonly EventChannelName[] = Object.values(eventChannels);

// Held here for the process's life: the publisher's reference keeps each channel (and its subscribers) alive.
const channels = new Map<EventChannelName, Channel>(eventChannelNames.map((name) => [name, channel(name)]));

/** Publishes the message `make` builds, only when the channel has subscribers (nothing is built otherwise). */
export function publishEvent<N extends EventChannelName>(name: N, make: () => EventMessages[N]): void {
  const ch = channels.get(name)!;
  if (ch.hasSubscribers) ch.publish(make());
}

/**
 * Listens on the named channels (default: all) until the returned function is called. What the listener throws is
 * dropped: diagnostics_channel would rethrow it as an uncaught exception, and a log that failed to write must not
 * end a probe, the CLI or the extension host.
 */
export function subscribeEvents(listener: (event: MtlsProbeEvent) => void, names: readonly EventChannelName[] = eventChannelNames): () => void {
  const handlers = names.map((name) => {
    const handler = (message: unknown): void => {
      try {
        listener({ channel: name, message } as MtlsProbeEvent);
      } catch {
        // See above: a subscriber's failure is its own.
      }
    };
    subscribe(name, handler);
    return [name, handler] as const;
  });
  return () => {
    for (const [name, handler] of handlers) unsubscribe(name, handler);
  };
}

/** The URL as messages may carry it: without user name and password (they would be credentials). */
export function eventUrl(url: string): string {
  if (!URL.canParse(url)) return url.replace(/\/\/[^/@]*@/, '//');
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return url;
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
