// The CLI's own errors. The shell (shell.ts) prints a UsageError as one line on stderr with exit status 2 and an
// InterruptedError as "interrupted" with 130; anything else is a bug (exit 1). Scripts and tests can rely on
// `code`, which stays put when a message is reworded; where the CLI words someone else's error in its own terms,
// that error is the `cause`. It imports only the core's import-free StoppedError: the shell loads it with every
// command.

import { StoppedError } from '../core/stopped-error';

export type UsageErrorCode = 'bad_argument' | 'unknown_command' | 'unreadable_file' | 'unwritable_file' | 'bad_input';

// The shell (dist/cli.js) and each command's bundle (dist/cli/*.js) carry their own copy of these classes, so an
// error a command throws is not an instance of the shell's class: the shell recognises it by a mark (isUsageError,
// isInterrupted), which every copy sets alike.
const usageErrorMark = Symbol.for('mtls-probe.usage-error');

/** The command line asks for something that cannot be done as written: the message says the fix. */
export abstract class UsageError extends Error {
  abstract readonly code: UsageErrorCode;
  readonly [usageErrorMark] = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The base of the usage errors with this code. */
function withCode<C extends UsageErrorCode>(code: C) {
  return class extends UsageError {
    readonly code = code;
  };
}

/** A flag, its value or a positional argument the command cannot use. */
export class BadArgumentError extends withCode('bad_argument') {}

/** A command or subcommand this CLI does not have. */
export class UnknownCommandError extends withCode('unknown_command') {}

/** A file or folder named on the command line that is missing or cannot be read. */
export class UnreadableFileError extends withCode('unreadable_file') {}

/** An output file (--report, --junit, -o…) that cannot be written. */
export class UnwritableFileError extends withCode('unwritable_file') {}

/** Input that was read but cannot be used as it is: a file that is not what the flag takes, a folder in the way. */
export class BadInputError extends withCode('bad_input') {}

/** Ctrl-C ended the command before it finished. */
export class InterruptedError extends StoppedError {
  constructor() {
    super('interrupted', 'interrupted');
  }
}

/** A UsageError of any bundle's copy of this module. */
export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError || (typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[usageErrorMark] === true);
}

/** An InterruptedError of any bundle's copy (StoppedError names it by its code, which minifying keeps). */
export function isInterrupted(error: unknown): boolean {
  return error instanceof InterruptedError || (error instanceof Error && error.name === 'InterruptedError' && (error as Partial<StoppedError>).code === 'interrupted');
}

/** The short reason in "could not be read (ENOENT)": the system's error code, else the message. */
export function reasonOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
}
