import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newKeys, privateKeyPem, serialNumber, signingAlgorithm, type CryptoKeyPair, type PkiKeyAlgorithm } from './pki-keys';

// A small test PKI made in-process with @peculiar/x509 (no openssl in the product): the built-in demo
// target and the tests use it. Each client identity is named for the rejection it should provoke.

export type KeyAlgorithm = PkiKeyAlgorithm;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  /** The CA that servers trust for client certificates (and that issued the server certificate). */
  rootCa: PemPair;
  /** A second CA nobody trusts, which issues the `untrusted` identity. */
  otherCa: PemPair;
  server: PemPair;
  clients: {
    valid: PemPair;
    expired: PemPair;
    untrusted: PemPair;
  };
}

const day = 24 * 60 * 60 * 1000;

interface Issuer {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function makeCa(name: string, kind: KeyAlgorithm): Promise<Issuer> {
  const keys = await newKeys(kind);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(12),
    name,
    notBefore: new Date(now - day),
    notAfter: new Date(now + 3650 * day),
    keys,
    signingAlgorithm: signingAlgorithm(kind),
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

interface LeafOptions {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  usage: 'clientAuth' | 'serverAuth';
  altNames?: x509.JsonGeneralNames;
}

async function makeLeaf(issuer: Issuer, kind: KeyAlgorithm, options: LeafOptions): Promise<PemPair> {
  const keys = await newKeys(kind);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (kind === 'rsa2048' ? x509.KeyUsageFlags.keyEncipherment : 0), true),
    new x509.ExtendedKeyUsageExtension([options.usage === 'clientAuth' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
  ];
  if (options.altNames) extensions.push(new x509.SubjectAlternativeNameExtension(options.altNames));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(12),
    subject: options.subject,
    issuer: issuer.cert.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithm(kind),
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys) };
}

async function caPair(ca: Issuer): Promise<PemPair> {
  return { certPem: ca.cert.toString('pem') + '\n', keyPem: await privateKeyPem(ca.keys) };
}

export interface TestPkiOptions {
  keyAlgorithm?: KeyAlgorithm;
  /** Subject prefix, so several PKIs in one run are told apart. */
  organization?: string;
}

export async function generateTestPki(options: TestPkiOptions = {}): Promise<TestPki> {
  const kind = options.keyAlgorithm ?? 'p256';
  const org = options.organization ?? 'mTLS Probe Test PKI';
  const now = Date.now();
  // @peculiar/x509 reads these strings in X.500 order (most general RDN first), so they print in
  // RFC 4514 as "CN=…,O=…", like certificates made by openssl.
  const rootCa = await makeCa(`O=${org},CN=${org} Root CA`, kind);
  const otherCa = await makeCa(`O=${org} (not trusted),CN=${org} Untrusted CA`, kind);
  const current = { notBefore: new Date(now - day), notAfter: new Date(now + 365 * day) };
  const [server, valid, expired, untrusted] = await Promise.all([
    makeLeaf(rootCa, kind, {
      subject: `O=${org},CN=localhost`,
      ...current,
      usage: 'serverAuth',
      altNames: [
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ],
    }),
    makeLeaf(rootCa, kind, { subject: `O=${org},CN=valid client`, ...current, usage: 'clientAuth' }),
    makeLeaf(rootCa, kind, {
      subject: `O=${org},CN=expired client`,
      notBefore: new Date(now - 60 * day),
      notAfter: new Date(now - 30 * day),
      usage: 'clientAuth',
    }),
    makeLeaf(otherCa, kind, { subject: `O=${org},CN=untrusted client`, ...current, usage: 'clientAuth' }),
  ]);
  return {
    rootCa: await caPair(rootCa),
    otherCa: await caPair(otherCa),
    server,
    clients: { valid, expired, untrusted },
  };
}

export interface WrittenPki {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  client(name: keyof TestPki['clients']): { cert: string; key: string };
}

/** Writes the PKI as PEM files; private keys get mode 0600. */
export async function writeTestPki(dir: string, pki: TestPki): Promise<WrittenPki> {
  await mkdir(dir, { recursive: true });
  const write = async (name: string, text: string, secret: boolean): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text, { mode: secret ? 0o600 : 0o644 });
    if (secret) await chmod(path, 0o600);
    return path;
  };
  const caFile = await write('ca.pem', pki.rootCa.certPem, false);
  await write('other-ca.pem', pki.otherCa.certPem, false);
  const serverCert = await write('server.pem', pki.server.certPem, false);
  const serverKey = await write('server.key', pki.server.keyPem, true);
  for (const [name, pair] of Object.entries(pki.clients)) {
    await write(`${name}.pem`, pair.certPem, false);
    await write(`${name}.key`, pair.keyPem, true);
  }
  return {
    dir,
    caFile,
    serverCert,
    serverKey,
    client: (name) => ({ cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }),
  };
}
