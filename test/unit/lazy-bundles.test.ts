// What the CLI's split into bundles relies on: the shell loads a command's code only to run it (never for its help or
// a refused option), and a FileError thrown by another bundle's copy of its module (the PKCS#12 reader's) is still a
// FileError.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { transform } from 'esbuild';
import { BadArgumentError } from '../../src/cli/errors';
import { runCommand, type CliCommand, type CommandGroup, type CommandIo, type CommandRunner } from '../../src/cli/shell';
import { CryptoFileError } from '../../src/core/certs/crypto-file';
import { FileError } from '../../src/core/formats/file-error';
import { IdentityError } from '../../src/core/identity/identity-error';

function capture(): { io: CommandIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (t) => void (out += t), err: (t) => void (err += t) }, out: () => out, err: () => err };
}

const options = { json: { type: 'boolean' } } as const;

/** A command whose `load` is counted, and whose code refuses its one positional argument by the input error given. */
function countedCommand(subcommand?: string): { command: CliCommand<typeof options>; loads: () => number } {
  let loads = 0;
  const runner: CommandRunner<typeof options> = {
    inputErrors: [IdentityError],
    async run(_values, positionals) {
      if (positionals[0] === 'bad') throw new IdentityError('bad_key', 'key.pem', 'key.pem holds no key.');
      return 0;
    },
  };
  const command: CliCommand<typeof options> = {
    name: 'thing',
    ...(subcommand !== undefined ? { subcommand } : {}),
    usage: 'Usage:\n  mtls-probe thing\n',
    options,
    load: async () => {
      loads++;
      return runner;
    },
  };
  return { command, loads: () => loads };
}

describe('a command\'s help and options, apart from its code', () => {
  test('--help and a refused option never load the command\'s code; running it loads it once', async () => {
    const { command, loads } = countedCommand();
    const help = capture();
    assert.equal(await runCommand(command, ['--help'], help.io), 0);
    assert.equal(help.out(), command.usage);
    const refused = capture();
    assert.equal(await runCommand(command, ['--bogus'], refused.io), 2);
    assert.match(refused.err(), /^mtls-probe: Unknown option '--bogus'\. See mtls-probe thing --help\.\n$/);
    assert.equal(loads(), 0);
    assert.equal(await runCommand(command, ['--json'], capture().io), 0);
    assert.equal(loads(), 1);
  });

  test('the codeLoaded hook runs once the code has loaded and before it runs, never for --help', async () => {
    const { command, loads } = countedCommand();
    const seen: string[] = [];
    const hooks = { codeLoaded: () => seen.push(`loaded after ${loads()} load`) };
    assert.equal(await runCommand(command, ['--help'], capture().io, hooks), 0);
    assert.deepEqual(seen, []);
    assert.equal(await runCommand(command, ['--json'], capture().io, hooks), 0);
    assert.deepEqual(seen, ['loaded after 1 load']);
  });

  test('the input errors the loaded code names are still one line and exit 2', async () => {
    const { command } = countedCommand();
    const c = capture();
    assert.equal(await runCommand(command, ['bad'], c.io), 2);
    assert.equal(c.err(), 'mtls-probe: key.pem holds no key.\n');
  });

  test('a group\'s help, a missing and an unknown subcommand load no subcommand\'s code', async () => {
    const { command, loads } = countedCommand('run');
    const group: CommandGroup = { name: 'thing', usage: 'Usage:\n  mtls-probe thing run\n', subcommands: [command], missingSubcommand: 'thing needs a subcommand.', unknownSubcommand: (word) => `no "${word}".` };
    assert.equal(await runCommand(group, ['--help'], capture().io), 0);
    assert.equal(await runCommand(group, ['run', '--help'], capture().io), 0);
    assert.equal(await runCommand(group, [], capture().io), 2);
    assert.equal(await runCommand(group, ['walk'], capture().io), 2);
    assert.equal(loads(), 0);
    assert.equal(await runCommand(group, ['run'], capture().io), 0);
    assert.equal(loads(), 1);
  });

  test('a usage error thrown while loading is reported like one thrown by the code', async () => {
    const command: CliCommand<typeof options> = { name: 'thing', usage: '', options, load: () => Promise.reject(new BadArgumentError('not here.')) };
    const c = capture();
    assert.equal(await runCommand(command, [], c.io), 2);
    assert.equal(c.err(), 'mtls-probe: not here.\n');
  });
});

describe('FileError across bundles', () => {
  /** Another copy of src/core/formats/file-error.ts, as a bundle of its own (the PKCS#12 reader's) carries it. */
  async function otherCopy(): Promise<typeof import('../../src/core/formats/file-error')> {
    const source = await readFile(new URL('../../src/core/formats/file-error.ts', import.meta.url), 'utf8');
    const { code } = await transform(source, { loader: 'ts', format: 'cjs', target: 'node20' });
    const module = { exports: {} as typeof import('../../src/core/formats/file-error') };
    new Function('module', 'exports', code)(module, module.exports);
    return module.exports;
  }

  test('a FileError of another copy is a FileError, and a subclass keeps the ordinary instanceof', async () => {
    const copy = await otherCopy();
    assert.notEqual(copy.FileError, FileError);
    const foreign = new copy.FileError('wrong_passphrase', 'a.p12', 'The passphrase does not open a.p12.');
    assert.ok(foreign instanceof FileError);
    assert.ok(!(foreign instanceof IdentityError));
    assert.ok(!(foreign instanceof CryptoFileError));
    assert.ok(new IdentityError('no_key', 'a.pem', 'no key') instanceof FileError);
    assert.ok(!(new FileError('bad_pfx', 'a.p12', 'not PKCS#12') instanceof IdentityError));
    assert.ok(!(new Error('plain') instanceof FileError));
    const nothing: unknown = null;
    assert.ok(!(nothing instanceof FileError));
  });
});
