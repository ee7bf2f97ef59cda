import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { summarizeX509, type CertificateSummary } from '../certs/certificate-summary';
import { passphraseFailure } from '../certs/key-facts';
import { readDerElement } from '../formats/der';
import { derKind } from '../formats/der-kind';
import { FileError, fileReadProblem, passphraseHint } from '../formats/file-error';
import { certificatePemLabels, isClosed, pemBlockDer, pemFileText, pemText, readPemLines, type PemBlock } from '../formats/pem';
import { IdentityError } from './identity-error';

export { IdentityError };

export type IdentitySource =
  | { kind: 'pem'; certFile: string; keyFile: string }
  | { kind: 'pfx'; pfxFile: string };


/** What results, logs and reports may say about an identity: no key, no passphrase. */
export interface IdentitySummary {
  label: string;
  kind: 'pem' | 'pfx';
  certFile?: string;
  keyFile?: string;
  pfxFile?: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  chainLength: number;
}

/**
 * A client certificate chain and its private key, ready for TLS. The key lives only in a private
 * field of this object: it is never enumerable, never serialised (toJSON returns the summary) and
 * never written anywhere.
 */
export class ClientIdentity {
  readonly #keyPem: string;
  /** The leaf's summary, made once: every probe's result carries it. */
  #leafSummary: CertificateSummary | undefined;

  constructor(
    readonly label: string,
    readonly source: IdentitySource,
    readonly chain: readonly X509Certificate[],
    key: KeyObject,
  ) {
    this.#keyPem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  get leaf(): X509Certificate {
    return this.chain[0]!;
  }

  /** PEM of the chain, leaf first, as `tls.connect({ cert })` takes it. */
  get certificatePem(): string {
    return this.chain.map((c) => c.toString()).join('');
  }

  /** For `tls.connect({ key })` only. */
  tlsKey(): string {
    return this.#keyPem;
  }

  summary(): IdentitySummary {
    const leaf: CertificateSummary = (this.#leafSummary ??= summarizeX509(this.leaf));
    const files =
      this.source.kind === 'pem'
        ? { certFile: this.source.certFile, keyFile: this.source.keyFile }
        : { pfxFile: this.source.pfxFile };
    return {
      label: this.label,
      kind: this.source.kind,
      ...files,
      subject: leaf.subject,
      issuer: leaf.issuer,
      serialNumber: leaf.serialNumber,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      sha256: leaf.sha256,
      chainLength: this.chain.length,
    };
  }

  toJSON(): IdentitySummary {
    return this.summary();
  }

  /**
   * The identity for another thread of this process (a matrix's worker, see probe/matrix-threads.ts): it goes by
   * `postMessage`/`workerData`, in memory only, and `fromHandoff` makes it whole there without reading the files again
   * (a passphrase is not needed twice, and a file changed meanwhile cannot make the threads disagree).
   */
  handoff(): IdentityHandoff {
    return { label: this.label, source: this.source, chainPem: this.chain.map((c) => c.toString()), keyPem: this.#keyPem };
  }

  static fromHandoff(handoff: IdentityHandoff): ClientIdentity {
    return new ClientIdentity(handoff.label, handoff.source, handoff.chainPem.map((pem) => new X509Certificate(pem)), createPrivateKey(handoff.keyPem));
  }
}

/** A ClientIdentity as it crosses to another thread: structured-clone data, the key among it. Never logged or written. */
export interface IdentityHandoff {
  label: string;
  source: IdentitySource;
  chainPem: string[];
  keyPem: string;
}

async function readInput(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    const { code, message } = fileReadProblem(e, file, `${what} `);
    throw new IdentityError(code, file, message, { cause: e });
  }
}

/** The whole PEM blocks of a file (BEGIN and END alike), or null when it holds no PEM. */
function pemBlocks(data: Buffer): PemBlock[] | null {
  const text = pemFileText(data);
  return text === null ? null : readPemLines(text, 'lenient').blocks.filter(isClosed);
}

function privateKeyBlock(blocks: PemBlock[]): PemBlock | undefined {
  return blocks.find((b) => b.label.includes('PRIVATE KEY'));
}

/** Reads certificates from PEM (any number of blocks, text around them) or from one DER certificate. */
export function parseCertificates(data: Buffer, file: string): X509Certificate[] {
  const blocks = pemBlocks(data);
  if (blocks !== null) {
    const certBlocks = blocks.filter((b) => certificatePemLabels.has(b.label));
    if (certBlocks.length === 0) {
      const found = blocks.map((b) => b.label).join(', ') || 'no complete PEM block';
      const hint = privateKeyBlock(blocks) !== undefined ? ' It holds a private key: did you swap --cert and --key?' : '';
      throw new IdentityError('no_certificate', file, `${file} contains no certificate (found: ${found}).${hint}`);
    }
    return certBlocks.map((b, i) => {
      const der = pemBlockDer(b);
      let cause: unknown;
      try {
        if (der !== null) return new X509Certificate(der);
      } catch (e) {
        // Worded below, the same as damaged base64: the person can only copy the block again.
        cause = e;
      }
      throw new IdentityError('bad_certificate', file, `Certificate block ${i + 1} in ${file} is not a valid X.509 certificate (corrupt or truncated base64).`, cause !== undefined ? { cause } : undefined);
    });
  }
  try {
    return [new X509Certificate(data)];
  } catch (e) {
    throw new IdentityError('bad_certificate', file, `${file} is neither a PEM file with a CERTIFICATE block nor a DER X.509 certificate.`, { cause: e });
  }
}

function passphraseRequired(file: string, options?: ErrorOptions): IdentityError {
  return new IdentityError('passphrase_required', file, `The private key in ${file} is encrypted: ${passphraseHint}.`, options);
}

/**
 * node:crypto's error in the owner's words; the original stays as the cause (its OpenSSL reason, never key bytes).
 * `encrypted`: the key is encrypted (its PEM label or its DER shape says so), so a passphrase given was used on it.
 */
function keyErrorFor(e: unknown, file: string, passphraseGiven: boolean, encrypted = false): IdentityError {
  const failure = passphraseFailure(e);
  const cause = e !== undefined ? { cause: e } : undefined;
  if (failure === 'missing') return passphraseRequired(file, cause);
  if (passphraseGiven && failure === 'wrong') {
    return new IdentityError('wrong_passphrase', file, `The passphrase does not decrypt the private key in ${file}: check the passphrase.`, cause);
  }
  // A wrong passphrase is caught by the padding check only most of the time: about one in 250 decrypts to bytes that
  // pass it and then fail to parse as a key (OpenSSL's "DECODER routines::unsupported").
  if (passphraseGiven && encrypted) {
    return new IdentityError('wrong_passphrase', file, `The passphrase does not decrypt the private key in ${file} to a key: check the passphrase (or the file is damaged).`, cause);
  }
  return new IdentityError('bad_key', file, `${file} does not hold a readable private key (PKCS#8, PKCS#1 or SEC1, PEM or DER).`, cause);
}

/** Reads a private key from PEM (any block, encrypted PKCS#8 or legacy encrypted PEM) or DER. */
export function parsePrivateKey(data: Buffer, file: string, passphrase?: string): KeyObject {
  const blocks = pemBlocks(data);
  if (blocks !== null) {
    const keyBlock = privateKeyBlock(blocks);
    if (keyBlock === undefined) {
      throw new IdentityError('no_key', file, `${file} contains no PRIVATE KEY block.`);
    }
    // Encrypted PKCS#8 says so in its label; legacy OpenSSL encryption only in a Proc-Type header.
    const encrypted = keyBlock.label.includes('ENCRYPTED') || keyBlock.headers.some((h) => /^Proc-Type:\s*4,\s*ENCRYPTED/i.test(h));
    if (encrypted && passphrase === undefined) throw passphraseRequired(file);
    try {
      return createPrivateKey({ key: pemText(keyBlock), format: 'pem', passphrase: passphrase ?? '' });
    } catch (e) {
      throw keyErrorFor(e, file, passphrase !== undefined, encrypted);
    }
  }
  // Encrypted PKCS#8 is only ever PKCS#8: its error (a missing or wrong passphrase) is the one worth reporting,
  // not the PKCS#1 or SEC1 parser's complaint about bytes that were never meant for it. Its shape tells it (DER has
  // no label), so a wrong passphrase that gets past the padding check is named as such here too.
  const top = readDerElement(data, 0);
  const encrypted = top !== null && derKind(data, top) === 'encrypted-pkcs8-key';
  if (encrypted && passphrase === undefined) throw passphraseRequired(file);
  let lastError: unknown;
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: data, format: 'der', type, ...(type === 'pkcs8' && passphrase !== undefined ? { passphrase } : {}) });
    } catch (e) {
      if (type === 'pkcs8' && (encrypted || passphraseFailure(e) !== undefined)) throw keyErrorFor(e, file, passphrase !== undefined, encrypted);
      lastError = e;
    }
  }
  throw keyErrorFor(lastError, file, passphrase !== undefined);
}

function spki(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

/** Orders a bundle leaf-first: the certificate whose key matches is the leaf, then each issuer in turn. */
function orderChain(leaf: X509Certificate, others: X509Certificate[]): X509Certificate[] {
  const chain = [leaf];
  const rest = [...others];
  for (let current = leaf; ; ) {
    const i = rest.findIndex((c) => current.checkIssued(c) && c.fingerprint256 !== current.fingerprint256);
    if (i < 0) break;
    current = rest.splice(i, 1)[0]!;
    chain.push(current);
  }
  return chain;
}

export function assembleIdentity(label: string, source: IdentitySource, certificates: X509Certificate[], key: KeyObject, keyFile: string): ClientIdentity {
  const keySpki = spki(key);
  const leaf = certificates.find((c) => c.publicKey.export({ type: 'spki', format: 'der' }).equals(keySpki));
  if (leaf === undefined) {
    const certFile = source.kind === 'pem' ? source.certFile : source.pfxFile;
    throw new IdentityError(
      'key_mismatch',
      keyFile,
      `The private key in ${keyFile} does not belong to the certificate in ${certFile} (subject ${summarizeX509(certificates[0]!).subject}): their public keys differ. Pass the key that was generated with this certificate.`,
    );
  }
  return new ClientIdentity(label, source, orderChain(leaf, certificates.filter((c) => c !== leaf)), key);
}

export interface PemIdentityFiles {
  certFile: string;
  /** Defaults to certFile (a combined PEM with certificate and key). */
  keyFile?: string;
  passphrase?: string;
  label?: string;
}

export async function loadPemIdentity(files: PemIdentityFiles): Promise<ClientIdentity> {
  const keyFile = files.keyFile ?? files.certFile;
  const certData = await readInput(files.certFile, 'Certificate file');
  const certificates = parseCertificates(certData, files.certFile);
  const keyData = keyFile === files.certFile ? certData : await readInput(keyFile, 'Key file');
  // A certificate file read as its own key file is the common slip of forgetting --key: say that, not "no PRIVATE KEY block".
  if (files.keyFile === undefined && privateKeyBlock(pemBlocks(keyData) ?? []) === undefined) {
    throw new IdentityError('no_key', keyFile, `${keyFile} holds the certificate but no private key, and no key file was given: add --key FILE with the private key of this certificate.`);
  }
  const key = parsePrivateKey(keyData, keyFile, files.passphrase);
  return assembleIdentity(files.label ?? labelFromFile(files.certFile), { kind: 'pem', certFile: files.certFile, keyFile }, certificates, key, keyFile);
}

export interface PfxIdentityFile {
  pfxFile: string;
  passphrase?: string;
  label?: string;
}

export async function loadPfxIdentity(input: PfxIdentityFile): Promise<ClientIdentity> {
  const data = await readInput(input.pfxFile, 'PKCS#12 file');
  const { decodePkcs12 } = await import('../formats/pkcs12');
  let decoded: ReturnType<typeof decodePkcs12>;
  try {
    decoded = decodePkcs12(data, input.pfxFile, input.passphrase);
  } catch (e) {
    throw e instanceof FileError ? new IdentityError(e.code, e.file, e.message, { cause: e }) : e;
  }
  const { certificates, keys } = decoded;
  if (certificates.length === 0) throw new IdentityError('no_certificate', input.pfxFile, `${input.pfxFile} holds no certificate.`);
  if (keys.length === 0) throw new IdentityError('no_key', input.pfxFile, `${input.pfxFile} holds no private key (a trust-store PKCS#12?): a client identity needs one.`);
  const x509 = certificates.map((der: Buffer) => new X509Certificate(der));
  const source: IdentitySource = { kind: 'pfx', pfxFile: input.pfxFile };
  let lastError: unknown;
  for (const keyDer of keys) {
    try {
      const key = createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' });
      return assembleIdentity(input.label ?? labelFromFile(input.pfxFile), source, x509, key, input.pfxFile);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

export function labelFromFile(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.(pem|crt|cer|der|p12|pfx)$/i, '');
}

/** An identity from PEM text already in memory (the demo target's, or one a caller decoded itself). */
export function identityFromPemText(label: string, certPem: string, keyPem: string, origin = `(${label})`): ClientIdentity {
  const certificates = parseCertificates(Buffer.from(certPem), origin);
  const key = parsePrivateKey(Buffer.from(keyPem), origin);
  return assembleIdentity(label, { kind: 'pem', certFile: origin, keyFile: origin }, certificates, key, origin);
}
