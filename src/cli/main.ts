import { UnknownCommandError } from './errors';
import { processIo, runCommand, watchStdout, type CliEntry, type CommandIo, type ShellHooks } from './shell';
import { overview } from './usage';
import { keepWasmOnBaselineCompiler } from './wasm-tiering';
import { version } from '../core/version';

// The CLI's entry: the first word picks the command, the shell (shell.ts) runs it. A command's definition (its
// words, help and options: src/cli/definitions/) is imported only when that command is named, and it imports the
// code that runs the command (src/cli/commands/: the probe engine, the certificate libraries, the log readers) only
// once the arguments parse: `--version` loads neither, `probe --help` only the definition.

const commands = new Map<string, () => Promise<CliEntry>>([
  ['probe', async () => (await import('./definitions/probe')).probeCommand],
  ['matrix', async () => (await import('./definitions/matrix')).matrixCommand],
  ['test', async () => (await import('./definitions/test')).testCommand],
  ['evidence', async () => (await import('./definitions/evidence')).evidenceCommand],
  ['report', async () => (await import('./definitions/report')).reportCommand],
  ['demo', async () => (await import('./definitions/demo')).demoCommand],
  ['lab', async () => (await import('./definitions/lab')).labCommand],
  ['cert', async () => (await import('./definitions/cert')).certCommands],
  ['truststore', async () => (await import('./definitions/truststore')).trustStoreCommands],
  ['pki', async () => (await import('./definitions/pki')).pkiCommands],
]);

function loadCommand(word: string): Promise<CliEntry> {
  const load = commands.get(word);
  if (load !== undefined) return load();
  const message = word.startsWith('-')
    ? `${word} before a command: options go after it (mtls-probe COMMAND [options]). See mtls-probe --help.`
    : `Unknown command "${word}". Commands: ${[...commands.keys()].join(', ')}. See mtls-probe --help.`;
  return Promise.reject(new UnknownCommandError(message));
}

/** `help [COMMAND [SUBCOMMAND]]`: that command's own --help, else the overview. */
async function help(topic: string[], io: CommandIo, status: number): Promise<number> {
  const [word, ...more] = topic;
  if (word !== undefined && commands.has(word)) return runCommand(loadCommand(word), [...more, '--help'], io);
  io.out(overview);
  return status;
}

export async function main(argv: string[], io: CommandIo = processIo, hooks: ShellHooks = {}): Promise<number> {
  const [word, ...rest] = argv;
  if (word === '--version' || word === '-V') {
    io.out(`${version}\n`);
    return 0;
  }
  // No command at all is a usage error (2), but the overview is what helps then.
  if (word === undefined) return help([], io, 2);
  if (word === 'help' || word === '--help' || word === '-h') return help(rest, io, 0);
  return runCommand(loadCommand(word), rest, io, hooks);
}

if (require.main === module) {
  watchStdout();
  main(process.argv.slice(2), processIo, { codeLoaded: keepWasmOnBaselineCompiler }).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 1;
    },
  );
}
