import { stat } from 'node:fs/promises';
import { CryptoFileError, readCryptoFile } from '../../core/certs/crypto-file';
import { inspectFile, type FileInspection } from '../../core/certs/inspect';
import { findIdentityPairs } from '../../core/certs/pairs';
import { formatFileInspection, formatIdentityPairs } from '../../core/report/certificate-text';
import { passphraseFrom } from '../arguments';
import { BadArgumentError, BadInputError, UnreadableFileError } from '../errors';
import type { inspectOptions, pairsOptions } from '../definitions/cert';
import type { CommandRunner } from '../shell';

// `mtls-probe cert inspect` and `cert pairs`: what is in certificate and key files. Their words, help and
// options: definitions/cert.ts.

/** The certificates of every --cacert file: trust anchors as a server holds them. */
async function readAnchors(files: string[]): Promise<Buffer[]> {
  const anchors: Buffer[] = [];
  for (const file of files) {
    let contents;
    try {
      contents = await readCryptoFile(file);
    } catch (e) {
      if (e instanceof CryptoFileError) throw new BadInputError(`--cacert ${e.message}`, { cause: e });
      throw e;
    }
    if (contents.certificates.length === 0) throw new BadInputError(`--cacert ${file} holds no certificate: give the CA certificates the server trusts (PEM, DER or PKCS#7).`);
    anchors.push(...contents.certificates.map((c) => c.der));
  }
  return anchors;
}

export const inspectRunner: CommandRunner<typeof inspectOptions> = {
  inputErrors: [CryptoFileError],
  async run(values, positionals, { io }) {
    if (positionals.length === 0) throw new BadArgumentError('cert inspect needs at least one FILE.');
    const passphrase = passphraseFrom(values['pass-env']);
    const json = values.json === true;
    const anchors = await readAnchors(values.cacert ?? []);
    const reports: FileInspection[] = [];
    const errors: Array<{ file: string; code: string; message: string }> = [];
    for (const file of positionals) {
      try {
        const contents = await readCryptoFile(file, passphrase !== undefined ? { passphrase } : {});
        const report = inspectFile(contents, { anchors });
        reports.push(report);
        if (!json) {
          const sources = contents.certificates.map((c) => (c.line !== undefined ? `line ${c.line}` : c.source.toUpperCase()));
          io.out(`${reports.length > 1 ? '\n' : ''}${formatFileInspection(report, sources, { anchorsOption: '--cacert FILE' })}`);
        }
      } catch (e) {
        // One unreadable file among several: said, and the others still inspected.
        if (!(e instanceof CryptoFileError)) throw e;
        errors.push({ file, code: e.code, message: e.message });
        io.err(`mtls-probe: ${e.message}\n`);
      }
    }
    if (json) io.out(`${JSON.stringify({ files: reports, errors })}\n`);
    return errors.length > 0 ? 2 : 0;
  },
};

export const pairsRunner: CommandRunner<typeof pairsOptions> = {
  inputErrors: [CryptoFileError],
  async run(values, positionals, { io }) {
    if (positionals.length !== 1) throw new BadArgumentError('cert pairs needs exactly one DIR.');
    const passphrase = passphraseFrom(values['pass-env']);
    const dir = positionals[0]!;
    let isFolder: boolean;
    try {
      isFolder = (await stat(dir)).isDirectory();
    } catch (e) {
      throw new UnreadableFileError(`${dir} does not exist or is not readable: check the path.`, { cause: e });
    }
    if (!isFolder) throw new BadArgumentError(`${dir} is not a folder: cert pairs searches a folder (use cert inspect for a file).`);
    const search = await findIdentityPairs(dir, passphrase !== undefined ? { passphrase } : {});
    io.out(values.json === true ? `${JSON.stringify(search)}\n` : formatIdentityPairs(dir, search));
    return 0;
  },
};
