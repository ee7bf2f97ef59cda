// The probe's side of the progress events (../events.ts): that it began, each phase's start and end, and its verdict
// or its cancellation. The attempt tells this publisher where it is; the publisher keeps the phase's start time, so
// a phase's end carries its own duration. Nothing is built when no one subscribes.

import { eventUrl, publishEvent, type EventError, type ProbeRef } from '../events';
import type { ProbePhase, ProbeResult, ProbeTarget } from './types';

export class ProbeEventPublisher {
  private phase: ProbePhase | null = null;
  private phaseStartedAt = 0;
  #ref: ProbeRef | undefined;

  constructor(
    private readonly target: ProbeTarget,
    private readonly correlationId: string,
    private readonly runId: string | undefined,
    private readonly clock: () => number,
  ) {}

  /** Which probe the messages are about: made with the first message, not by a probe nobody listens to. */
  get ref(): ProbeRef {
    this.#ref ??= { correlationId: this.correlationId, ...(this.runId !== undefined ? { runId: this.runId } : {}), url: eventUrl(this.target.url) };
    return this.#ref;
  }

  /** The probe begins: who probes what (the identity by its label only). */
  start(target: ProbeTarget, identity: string | null, handshakeOnly: boolean): void {
    publishEvent('mtls-probe:probe:start', () => ({
      probe: this.ref,
      target: { host: target.host, port: target.port, serverName: target.serverName, ...(target.connectTo !== undefined ? { connectTo: target.connectTo } : {}) },
      identity,
      handshakeOnly,
    }));
  }

  /** The next phase begins, which ends the current one as completed. */
  enterPhase(phase: ProbePhase): void {
    this.endPhase();
    this.phase = phase;
    this.phaseStartedAt = this.clock();
    publishEvent('mtls-probe:probe:phaseStart', () => ({ probe: this.ref, phase }));
  }

  /** The current phase ends: completed, or with the error that ended the probe in it. */
  endPhase(error?: EventError & { timedOut: boolean }): void {
    const phase = this.phase;
    if (phase === null) return;
    this.phase = null;
    const ms = this.clock() - this.phaseStartedAt;
    publishEvent('mtls-probe:probe:phaseEnd', () => ({ probe: this.ref, phase, ms, ...(error !== undefined ? { error } : {}) }));
  }

  done(result: ProbeResult): void {
    publishEvent('mtls-probe:probe:done', () => ({
      probe: this.ref,
      verdict: { stoppedAt: result.verdict.stoppedAt, reason: result.verdict.reason, confidence: result.verdict.confidence },
      httpStatus: result.http?.status ?? null,
      address: result.target.address,
      totalMs: result.timings.total,
      error: result.error,
    }));
  }

  /** The probe ends without a verdict (a cancel): its open phase ends with the same error. */
  cancelled(error: EventError): void {
    this.endPhase({ ...error, timedOut: false });
    publishEvent('mtls-probe:probe:error', () => ({ probe: this.ref, error }));
  }
}
