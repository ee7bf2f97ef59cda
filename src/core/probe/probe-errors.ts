// The probe's own errors: bad input (the caller's to fix), a cancellation, a phase that ran out of time; and Node's
// errors turned into a stable code and one readable line for the trace, the JSON and the terminal.

/** Why probe options are refused: `bad_url`, a URL that does not parse or is not https://. */
export type ProbeInputErrorCode = 'bad_url';

/** Bad probe options (not a network outcome): the caller must fix its input. */
export class ProbeInputError extends Error {
  constructor(readonly code: ProbeInputErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProbeInputError';
  }
}

/** A cancelled probe. Its code and name are Node's own for an abort, so callers that know those recognise it. */
export class ProbeAbortedError extends Error {
  readonly code = 'ABORT_ERR';
  constructor() {
    super('The probe was cancelled.');
    this.name = 'AbortError';
  }
}

/** A phase that ran past its limit: its code is Node's own for a timeout (`ETIMEDOUT`). */
export class PhaseTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(phase: string, ms: number) {
    super(`${phase} timed out after ${ms} ms`);
  }
}

/**
 * The server renegotiated more often than a probe follows (`renegotiationLimit` in attempt.ts): the probe stopped the
 * connection rather than renegotiate without end.
 */
export class RenegotiationLimit extends Error {
  readonly code = 'ERR_PROBE_RENEGOTIATION_LIMIT';
  constructor(readonly renegotiations: number, limit: number) {
    super(`The server renegotiated ${renegotiations} times; a probe follows at most ${limit} renegotiations`);
  }
}

/** A stable code for the error: its own, its cause's, or EUNKNOWN. */
export function errorCode(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { cause?: unknown };
  if (typeof err?.code === 'string' && err.code.length > 0) return err.code;
  if (err?.cause) return errorCode(err.cause);
  return 'EUNKNOWN';
}

// OpenSSL's error-queue lines: "<thread>:error:<code>:<library>:<function>:<reason>:<source file>:<line>:<data>".
const opensslErrorLine = /[0-9A-F]+:error:[0-9A-F]{8}:[^:\n]*:[^:\n]*:([^:\n]+):[^:\n]*\.c:\d+:([^\n]*)/g;

/**
 * The error as one line for the trace, JSON and the terminal. OpenSSL's queue lines carry a thread id and the path
 * of its C source file, which say nothing to a reader (the error's code already names it): each becomes
 * "reason (data)", e.g. "sslv3 alert handshake failure (SSL alert number 40)".
 */
export function errorMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  const readable = raw.replace(opensslErrorLine, (_line, reason: string, data: string) => `${reason.trim()}${data.trim() ? ` (${data.trim()})` : ''}`);
  return readable
    .split(/\r?\n/)
    .map((part) => part.trim())
    .filter((part, i, parts) => part.length > 0 && parts.indexOf(part) === i)
    .join('; ');
}

