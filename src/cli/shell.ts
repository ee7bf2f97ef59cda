import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadArgumentError, BadInputError, InterruptedError, UnknownCommandError, isInterrupted, isUsageError } from './errors';

// The one command shell of the CLI: every command is an object (its words, usage and option table, and `load`,
// which brings the code that runs it), and this module does the rest the same way for all of them — parsing with
// the command's options, --help, the wording of an option parseArgs refuses, Ctrl-C, the output streams and the
// exit status. It loads with every command, so it imports nothing heavier than node:util.

/** Where a command writes: the CLI passes stdout and stderr, tests pass collectors. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** True when `out` goes to a terminal (a person reads it; nothing keeps it): what `--show-secret-headers` needs. */
  readonly outIsTerminal?: boolean;
  /** Calls `listener` when `out`'s reader goes away (`mtls-probe … | head`); returns what stops the watching. */
  onOutputGone?(listener: () => void): () => void;
}

export interface CommandContext {
  io: CommandIo;
  /** Aborted by Ctrl-C (only for a `cancellable` command: another one is ended at once). */
  signal: AbortSignal;
}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type OptionValues<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];
type ErrorClass = abstract new (...args: never[]) => Error;

export interface CliCommand<O extends Options = Options> {
  /** The words that run it: `probe`, or `cert` with the subcommand `inspect`. */
  readonly name: string;
  readonly subcommand?: string;
  /** Printed by --help, on stdout. */
  readonly usage: string;
  /** node:util parseArgs options; the shell adds --help (-h). */
  readonly options: O;
  /** False: the parser refuses any positional argument. */
  readonly positionals?: boolean;
  /**
   * The command watches `signal` and winds down itself on Ctrl-C (throwing InterruptedError for exit 130, or
   * returning when stopping is its normal end, like the lab's); a second Ctrl-C still ends the process.
   */
  readonly cancellable?: boolean;
  /** The line for an option the parser refuses, where scripts rely on an older wording than the default. */
  readonly parseErrorLine?: (sentence: string) => string;
  /**
   * The code that runs it, in its own bundle (dist/cli/NAME.js, with the probe engine or the certificate tools):
   * loaded once the arguments parse, so --help and a refused option cost no more than the shell.
   */
  load(): Promise<CommandRunner<O>>;
}

/** What a command does, apart from its words and options: the part of it that `load` brings. */
export interface CommandRunner<O extends Options = Options> {
  /** Errors of the libraries it calls that mean the input is wrong: one line and exit 2, not an internal error. */
  readonly inputErrors?: readonly ErrorClass[];
  /** Resolves with the exit status; a UsageError it throws is exit 2. */
  run(values: OptionValues<O>, positionals: string[], context: CommandContext): Promise<number>;
}

/** A command whose first positional argument picks one of its subcommands: `cert inspect`, `cert pairs`. */
export interface CommandGroup {
  readonly name: string;
  readonly usage: string;
  readonly subcommands: readonly CliCommand[];
  readonly missingSubcommand: string;
  unknownSubcommand(word: string): string;
}

export type CliEntry = CliCommand | CommandGroup;

/** stdout's reader went away: what is written later is dropped (see watchStdout). */
let stdoutGone = false;
const stdoutGoneListeners = new Set<() => void>();

/**
 * From the CLI's entry: when stdout's reader goes away (`mtls-probe matrix … --json | head -1`), Node reports EPIPE as an
 * 'error' event, which nobody handled: a stack trace and exit 1. Like other command-line tools, the CLI stops quietly
 * instead (runCommand). Any other error on stdout is still thrown.
 */
export function watchStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stdoutGone = true;
    for (const listener of stdoutGoneListeners) listener();
  });
}

export const processIo: CommandIo = {
  out: (text) => {
    if (!stdoutGone) process.stdout.write(text);
  },
  err: (text) => void process.stderr.write(text),
  get outIsTerminal() {
    return process.stdout.isTTY === true;
  },
  onOutputGone(listener) {
    stdoutGoneListeners.add(listener);
    return () => stdoutGoneListeners.delete(listener);
  },
};

/** What a shell reports for a process that SIGPIPE ended: the status when stdout's reader went away first. */
const outputGoneStatus = 141;

const helpOption = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

/** What the process running the CLI does around a command: `codeLoaded` runs once a command's code has loaded. */
export interface ShellHooks {
  codeLoaded?: () => void;
}

/** Runs a command (or the subcommand of a group the arguments name) and resolves with the exit status. */
export async function runCommand(entry: CliEntry | Promise<CliEntry>, args: string[], io: CommandIo = processIo, hooks: ShellHooks = {}): Promise<number> {
  const controller = new AbortController();
  let command: CliCommand | undefined;
  let runner: CommandRunner | undefined;
  const onSigint = (): void => {
    if (command?.cancellable === true && !controller.signal.aborted) {
      controller.abort(new InterruptedError());
      return;
    }
    io.err('mtls-probe: interrupted\n');
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  // Nobody reads what is left to say: a command that can stop does (as at Ctrl-C), and the end is quiet.
  let outputGone = false;
  const stopWatchingOutput = io.onOutputGone?.(() => {
    outputGone = true;
    if (command?.cancellable === true && !controller.signal.aborted) controller.abort(new InterruptedError());
  });
  try {
    const resolved = await entry;
    const picked = 'subcommands' in resolved ? pickSubcommand(resolved, args) : { command: resolved, args };
    if (picked === 'help') {
      io.out(resolved.usage);
      return 0;
    }
    command = picked.command;
    const { values, positionals } = parse(command, picked.args);
    if (values.help === true) {
      io.out(command.usage);
      return 0;
    }
    runner = await command.load();
    hooks.codeLoaded?.();
    const status = await runner.run(values, positionals, { io, signal: controller.signal });
    return outputGone ? outputGoneStatus : status;
  } catch (error) {
    return outputGone ? outputGoneStatus : reportError(error, io, runner?.inputErrors ?? [], controller.signal.aborted);
  } finally {
    process.off('SIGINT', onSigint);
    stopWatchingOutput?.();
  }
}

/**
 * Says on stderr what ended a command and gives the exit status. After Ctrl-C every error counts as the
 * interruption: a socket closed under a probe is its consequence, not a bug.
 */
function reportError(error: unknown, io: CommandIo, inputErrors: readonly ErrorClass[], interrupted: boolean): number {
  if (interrupted || isInterrupted(error) || (error as Error | undefined)?.name === 'AbortError') {
    io.err('mtls-probe: interrupted\n');
    return 130;
  }
  const usage = isUsageError(error) ? error : inputErrors.some((kind) => error instanceof kind) ? new BadInputError((error as Error).message, { cause: error }) : undefined;
  if (usage !== undefined) {
    // Exit status 2 promises one line on stderr, and a library's message may wrap.
    io.err(`mtls-probe: ${usage.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 2;
  }
  // A bug, not the user's input: the message without the stack trace (and no key material: messages never carry any).
  io.err(`mtls-probe: internal error: ${(error as Error | undefined)?.message ?? String(error)}\nPlease report this with the command you ran.\n`);
  return 1;
}

function parse(command: CliCommand, args: string[]): { values: OptionValues<Options>; positionals: string[] } {
  try {
    return parseArgs({ args, options: { ...command.options, ...helpOption }, allowPositionals: command.positionals !== false, strict: true });
  } catch (error) {
    if (!(error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) throw error;
    // parseArgs goes on about '--' after an unknown option: its first sentence is the useful part.
    const sentence = (error as Error).message.split(/\.(?:\s|$)/)[0]!;
    const words = [command.name, command.subcommand].filter((w) => w !== undefined).join(' ');
    throw new BadArgumentError(command.parseErrorLine?.(sentence) ?? `${sentence}. See mtls-probe ${words} --help.`, { cause: error });
  }
}

/**
 * The subcommand is the group's first positional argument, wherever it stands (`truststore --json lint FILE`):
 * the arguments are read loosely with every subcommand's options to find it, then it is taken out.
 */
function pickSubcommand(group: CommandGroup, args: string[]): { command: CliCommand; args: string[] } | 'help' {
  const options: Options = Object.assign({}, ...group.subcommands.map((c) => c.options), helpOption);
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  const word = tokens.find((t) => t.kind === 'positional');
  if (word === undefined || word.value === 'help') {
    if (word !== undefined || tokens.some((t) => t.kind === 'option' && t.name === 'help')) return 'help';
    throw new BadArgumentError(group.missingSubcommand);
  }
  const command = group.subcommands.find((c) => c.subcommand === word.value);
  if (command === undefined) throw new UnknownCommandError(group.unknownSubcommand(word.value));
  return { command, args: args.filter((_, i) => i !== word.index) };
}
