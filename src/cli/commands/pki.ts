import { generatePki, PkiDirectoryError, pkiKeyAlgorithms } from '../../core/pki/generate-pki';
import { formatGeneratedPki } from '../../core/report/certificate-text';
import { choice } from '../arguments';
import { BadArgumentError, BadInputError } from '../errors';
import type { generateOptions } from '../definitions/pki';
import type { CommandRunner } from '../shell';

// `mtls-probe pki generate DIR`: a test PKI with one client identity per rejection case. Its words, help and
// options: definitions/pki.ts.

const syntax = 'mtls-probe pki generate DIR [--key p256|rsa2048] [--force] [--json]';

function folderProblem(e: PkiDirectoryError): BadInputError {
  const words = e.problem === 'not-empty' ? `refusing to write a test PKI into ${e.dir}: it is not empty; choose a new or empty directory, or pass --force to replace the files in it` : e.message;
  return new BadInputError(`${words}.`, { cause: e });
}

export const generateRunner: CommandRunner<typeof generateOptions> = {
  async run(values, positionals, { io }) {
    if (positionals.length !== 1) throw new BadArgumentError(`pki generate takes one directory: ${syntax}.`);
    const dir = positionals[0]!;
    const keyAlgorithm = values.key === undefined ? 'p256' : choice(values.key, pkiKeyAlgorithms, '--key', (v) => v.toLowerCase());
    try {
      const manifest = await generatePki(dir, { keyAlgorithm, force: values.force ?? false });
      io.out(values.json ? `${JSON.stringify(manifest, null, 2)}\n` : formatGeneratedPki(dir, manifest));
    } catch (e) {
      throw e instanceof PkiDirectoryError ? folderProblem(e) : e;
    }
    return 0;
  },
};
