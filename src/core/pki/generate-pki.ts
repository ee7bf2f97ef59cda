import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes } from 'node:crypto';
import { newKeys, pemBlock, privateKeyPem, serialNumber, signingAlgorithm, type CryptoKeyPair, type PkiKeyAlgorithm } from './pki-keys';
import { prepareDirectory, writeOutputFile, type OutputFile } from './pki-directory';
import { albMaxChainDepth } from '../certs/alb-trust-store-rules';

// `mtls-probe pki generate`: a complete test PKI on disk with one client identity per ALB
// tls_verify_status rejection, made in-process with @peculiar/x509 (no openssl in the product).
//
// Hierarchy:
//   root CA (no path-length limit; in ca-bundle.pem)
//   ├─ intermediate CA (pathLen 0; in ca-bundle.pem; signs the CRL)
//   │    ├─ server, valid, expired, not-yet-valid, wrong-purpose, revoked, no-client-auth-eku
//   ├─ deep intermediate 1 (pathLen 4) → 2 (3) → 3 (2) → 4 (1) → 5 (0) → chain-too-deep
//   untrusted CA (its own root, not in the bundle) → untrusted
//
// The deep chain hangs off the root so that every path-length constraint holds and depth is the only
// fault. ALB documents "chain depth 4" without saying what it counts, so the chain is deep enough to
// exceed it under every reading: 7 certificates with the root, 6 below the root, 5 intermediates.
// OpenSSL's -verify_depth counts intermediates (neither the leaf nor the trust anchor), so
// `openssl verify -verify_depth 4` rejects it with "certificate chain too long" and -verify_depth 5 accepts it.


export type { PkiKeyAlgorithm };
export { PkiDirectoryError, type PkiDirectoryProblem } from './pki-directory';

export interface GeneratedPkiIdentity {
  name: string;
  /** The leaf certificate alone (PEM), relative to the PKI directory. */
  cert: string;
  key: string;
  /** cert + intermediates, PEM: what a client should send. */
  chain: string;
  /** ALB connection-log tls_verify_status: 'Success' | 'Failed:ClientCertExpired' | … */
  expectedTlsVerifyStatus: string;
  description: string;
}

export interface GeneratedPkiManifest {
  generatedAt: string;
  keyAlgorithm: PkiKeyAlgorithm;
  trustStore: 'ca-bundle.pem';
  server: { cert: string; key: string; names: string[] };
  identities: GeneratedPkiIdentity[];
  crl?: string;
}

export interface GeneratePkiOptions {
  keyAlgorithm?: PkiKeyAlgorithm;
  /** The moment validity periods are computed from (default: the current time). */
  now?: Date;
  /** Write into a non-empty directory, replacing files of the same names. */
  force?: boolean;
}

export const pkiKeyAlgorithms: readonly PkiKeyAlgorithm[] = ['p256', 'rsa2048'];

const day = 24 * 60 * 60 * 1000;
const hour = 60 * 60 * 1000;
/** Not-before dates sit this far in the past so clients and servers with skewed clocks still agree. */
const clockSkewAllowance = day;
const leafLifetime = 365 * day;
// One more than ALB allows even under the reading that counts the fewest certificates (intermediates only).
const deepIntermediateCount = albMaxChainDepth + 1;

const serverNames = ['localhost', '127.0.0.1', '::1'];

/** Certificates as PEM blocks with no blank lines between them (ALB rejects trust-store bundles that have any). */
function pemBundle(certificates: readonly x509.X509Certificate[]): string {
  return certificates.map((cert) => pemBlock('CERTIFICATE', cert.rawData)).join('');
}

interface Validity {
  notBefore: Date;
  notAfter: Date;
}

interface CertificateAuthority {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function caExtensions(keys: CryptoKeyPair, pathLength: number | undefined, issuerKeys?: CryptoKeyPair): Promise<x509.Extension[]> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (issuerKeys) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerKeys.publicKey));
  return extensions;
}

async function makeRootCa(subject: string, keys: CryptoKeyPair, kind: PkiKeyAlgorithm, validity: Validity): Promise<CertificateAuthority> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subject,
    ...validity,
    keys,
    signingAlgorithm: signingAlgorithm(kind),
    // No path-length limit on the root: the deep chain below it must fail on depth alone.
    extensions: await caExtensions(keys, undefined),
  });
  return { cert, keys };
}

async function makeSubordinateCa(
  issuer: CertificateAuthority,
  subject: string,
  keys: CryptoKeyPair,
  kind: PkiKeyAlgorithm,
  pathLength: number,
  validity: Validity,
): Promise<CertificateAuthority> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: issuer.cert.subject,
    ...validity,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithm(kind),
    extensions: await caExtensions(keys, pathLength, issuer.keys),
  });
  return { cert, keys };
}

interface LeafSpec extends Validity {
  subject: string;
  extendedKeyUsages: x509.ExtendedKeyUsage[];
  altNames?: x509.JsonGeneralNames;
}

async function makeLeaf(issuer: CertificateAuthority, keys: CryptoKeyPair, kind: PkiKeyAlgorithm, spec: LeafSpec): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (kind === 'rsa2048' ? x509.KeyUsageFlags.keyEncipherment : 0), true),
    new x509.ExtendedKeyUsageExtension(spec.extendedKeyUsages),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
  ];
  if (spec.altNames) extensions.push(new x509.SubjectAlternativeNameExtension(spec.altNames));
  return x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: spec.subject,
    issuer: issuer.cert.subject,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithm(kind),
    extensions,
  });
}

/** DER of the CRL Number extension value (RFC 5280 §5.2.3 requires it): INTEGER 1. */
const crlNumberOne = new Uint8Array([0x02, 0x01, 0x01]);

async function makeCrl(issuer: CertificateAuthority, kind: PkiKeyAlgorithm, revoked: x509.X509Certificate, thisUpdate: Date, nextUpdate: Date): Promise<x509.X509Crl> {
  return x509.X509CrlGenerator.create({
    issuer: issuer.cert.subject,
    thisUpdate,
    nextUpdate,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithm(kind),
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey), new x509.Extension('2.5.29.20', false, crlNumberOne)],
    entries: [{ serialNumber: revoked.serialNumber, revocationDate: thisUpdate, reason: x509.X509CrlReason.keyCompromise }],
  });
}

interface IdentityCase {
  name: string;
  expectedTlsVerifyStatus: string;
  description: string;
}

/** The identities in manifest order, with what ALB's connection log should say about each. */
export const generatedIdentityCases: readonly IdentityCase[] = [
  { name: 'valid', expectedTlsVerifyStatus: 'Success', description: 'Issued by the intermediate CA for clientAuth and currently valid: accepted.' },
  {
    name: 'expired',
    expectedTlsVerifyStatus: 'Failed:ClientCertExpired',
    description: 'notAfter was 30 days before generation (accepted only if the listener sets IgnoreClientCertificateExpiry).',
  },
  { name: 'not-yet-valid', expectedTlsVerifyStatus: 'Failed:ClientCertNotYetValid', description: 'notBefore is 30 days after generation.' },
  {
    name: 'untrusted',
    expectedTlsVerifyStatus: 'Failed:ClientCertUntrusted',
    description: 'Issued by a separate CA (untrusted-ca.pem) that is not in ca-bundle.pem.',
  },
  {
    name: 'wrong-purpose',
    expectedTlsVerifyStatus: 'Failed:ClientCertPurposeInvalid',
    description: 'A server certificate: its extended key usage is serverAuth only.',
  },
  {
    name: 'revoked',
    expectedTlsVerifyStatus: 'Failed:ClientCertCrlHit',
    description: 'Otherwise valid, but listed in intermediate-ca.crl.pem (add that CRL to the trust store for ALB to reject it).',
  },
  {
    name: 'chain-too-deep',
    expectedTlsVerifyStatus: 'Failed:ClientCertMaxChainDepthExceeded',
    description: `Issued through ${deepIntermediateCount} more intermediate CAs below the root (only in its .chain.pem): ${deepIntermediateCount + 2} certificates with the root, beyond ALB's chain depth of ${albMaxChainDepth}.`,
  },
  {
    name: 'no-client-auth-eku',
    expectedTlsVerifyStatus: 'Failed:ClientCertPurposeInvalid',
    description: 'Its extended key usage lists codeSigning and emailProtection, but not clientAuth.',
  },
];

type KeyRing = (name: string) => CryptoKeyPair;

/** Every key the PKI needs, by name. RSA key generation dominates the run time; webcrypto does it on the libuv pool, so all are asked for at once. */
async function generateKeys(kind: PkiKeyAlgorithm): Promise<KeyRing> {
  const names = [
    'root',
    'intermediate',
    'untrustedCa',
    'server',
    ...generatedIdentityCases.map((c) => c.name),
    ...Array.from({ length: deepIntermediateCount }, (_, i) => `deep-${i + 1}`),
  ];
  const generated = await Promise.all(names.map(() => newKeys(kind)));
  const keyOf = new Map(names.map((name, i) => [name, generated[i]!]));
  return (name) => {
    const found = keyOf.get(name);
    if (!found) throw new Error(`no key generated for ${name}`);
    return found;
  };
}

/** The root and intermediate that sign, a root nobody trusts, and a chain one intermediate deeper than ALB accepts. */
interface Authorities {
  root: CertificateAuthority;
  intermediate: CertificateAuthority;
  untrustedCa: CertificateAuthority;
  /** Top (signed by the root) to bottom (signs the chain-too-deep leaf). */
  deepChain: CertificateAuthority[];
}

async function makeAuthorities(org: string, keys: KeyRing, kind: PkiKeyAlgorithm, validity: Validity): Promise<Authorities> {
  const root = await makeRootCa(`O=${org},CN=${org} Root CA`, keys('root'), kind, validity);
  const intermediate = await makeSubordinateCa(root, `O=${org},CN=${org} Intermediate CA`, keys('intermediate'), kind, 0, validity);
  const untrustedCa = await makeRootCa(`O=${org} (not trusted),CN=${org} Untrusted CA`, keys('untrustedCa'), kind, validity);
  const deepChain: CertificateAuthority[] = [];
  for (let level = 1; level <= deepIntermediateCount; level++) {
    const issuer = deepChain[deepChain.length - 1] ?? root;
    deepChain.push(
      await makeSubordinateCa(issuer, `O=${org},CN=${org} Deep Intermediate CA ${level}`, keys(`deep-${level}`), kind, deepIntermediateCount - level, validity),
    );
  }
  return { root, intermediate, untrustedCa, deepChain };
}

/** Issuer, the CAs sent with the leaf (every CA between it and a root) and the certificate spec. */
interface LeafPlan {
  issuer: CertificateAuthority;
  intermediates: CertificateAuthority[];
  spec: LeafSpec;
}

/** One plan per identity case: what makes each one fail (or pass) the way its case says. */
function leafPlans(org: string, cas: Authorities, at: number, current: Validity): Record<string, LeafPlan> {
  const { intermediate, untrustedCa, deepChain } = cas;
  const clientAuth = [x509.ExtendedKeyUsage.clientAuth];
  const client = (name: string, extendedKeyUsages = clientAuth, validity = current): LeafSpec => ({ subject: `O=${org},CN=${name} client`, ...validity, extendedKeyUsages });
  const byIntermediate = (spec: LeafSpec): LeafPlan => ({ issuer: intermediate, intermediates: [intermediate], spec });
  return {
    valid: byIntermediate(client('valid')),
    expired: byIntermediate(client('expired', clientAuth, { notBefore: new Date(at - 60 * day), notAfter: new Date(at - 30 * day) })),
    'not-yet-valid': byIntermediate(client('not-yet-valid', clientAuth, { notBefore: new Date(at + 30 * day), notAfter: new Date(at + 30 * day + leafLifetime) })),
    // The untrusted CA is a root: clients do not send roots, so the chain is the leaf alone.
    untrusted: { issuer: untrustedCa, intermediates: [], spec: client('untrusted') },
    'wrong-purpose': byIntermediate(client('wrong-purpose', [x509.ExtendedKeyUsage.serverAuth])),
    revoked: byIntermediate(client('revoked')),
    'chain-too-deep': { issuer: deepChain[deepChain.length - 1]!, intermediates: [...deepChain].reverse(), spec: client('chain-too-deep') },
    'no-client-auth-eku': byIntermediate(client('no-client-auth-eku', [x509.ExtendedKeyUsage.codeSigning, x509.ExtendedKeyUsage.emailProtection])),
  };
}

function makeServer(cas: Authorities, keys: KeyRing, kind: PkiKeyAlgorithm, org: string, current: Validity): Promise<x509.X509Certificate> {
  return makeLeaf(cas.intermediate, keys('server'), kind, {
    subject: `O=${org},CN=localhost`,
    ...current,
    extendedKeyUsages: [x509.ExtendedKeyUsage.serverAuth],
    altNames: [
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
    ],
  });
}

/** Each identity's certificate, chain and key files, and its leaf (the CRL revokes one). */
async function makeIdentities(plans: Record<string, LeafPlan>, keys: KeyRing, kind: PkiKeyAlgorithm) {
  const identities: GeneratedPkiIdentity[] = [];
  const files: OutputFile[] = [];
  const leaves = new Map<string, x509.X509Certificate>();
  for (const identityCase of generatedIdentityCases) {
    const plan = plans[identityCase.name];
    if (!plan) throw new Error(`no certificate plan for identity ${identityCase.name}`);
    const leafKeys = keys(identityCase.name);
    const leaf = await makeLeaf(plan.issuer, leafKeys, kind, plan.spec);
    leaves.set(identityCase.name, leaf);
    const identity: GeneratedPkiIdentity = {
      name: identityCase.name,
      cert: `${identityCase.name}.pem`,
      key: `${identityCase.name}.key`,
      chain: `${identityCase.name}.chain.pem`,
      expectedTlsVerifyStatus: identityCase.expectedTlsVerifyStatus,
      description: identityCase.description,
    };
    identities.push(identity);
    files.push(
      { name: identity.cert, text: pemBundle([leaf]), secret: false },
      { name: identity.chain, text: pemBundle([leaf, ...plan.intermediates.map((ca) => ca.cert)]), secret: false },
      { name: identity.key, text: await privateKeyPem(leafKeys), secret: true },
    );
  }
  return { identities, files, leaves };
}

/**
 * Generates the test PKI and writes it into DIR (created if missing; refused if not empty unless
 * `force`). Returns the manifest, which is also written to DIR/manifest.json with relative file names.
 */
export async function generatePki(dir: string, options: GeneratePkiOptions = {}): Promise<GeneratedPkiManifest> {
  const kind = options.keyAlgorithm ?? 'p256';
  if (!pkiKeyAlgorithms.includes(kind)) throw new TypeError(`unknown key algorithm "${String(kind)}": use ${pkiKeyAlgorithms.join(' or ')}`);
  const now = options.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new TypeError('options.now is not a valid date');
  await prepareDirectory(dir, options.force ?? false);

  const at = now.getTime();
  // A per-run tag in the organization keeps CA names of two generated PKIs apart (chain builders,
  // ALB's advertised CA names and trust stores match issuers by name).
  const org = `mTLS Probe Test PKI ${randomBytes(3).toString('hex')}`;
  const caValidity = { notBefore: new Date(at - clockSkewAllowance), notAfter: new Date(at + 10 * 365 * day) };
  const current = { notBefore: new Date(at - clockSkewAllowance), notAfter: new Date(at + leafLifetime) };

  const keys = await generateKeys(kind);
  const cas = await makeAuthorities(org, keys, kind, caValidity);
  const { root, intermediate, untrustedCa } = cas;
  const server = await makeServer(cas, keys, kind, org, current);
  const { identities, files: identityFiles, leaves } = await makeIdentities(leafPlans(org, cas, at, current), keys, kind);

  const revoked = leaves.get('revoked');
  if (!revoked) throw new Error('the revoked identity was not generated');
  // The CRL lives as long as the leaves, so the lab keeps working for as long as its certificates do.
  const crl = await makeCrl(intermediate, kind, revoked, new Date(at - hour), new Date(at + leafLifetime));

  const manifest: GeneratedPkiManifest = {
    generatedAt: now.toISOString(),
    keyAlgorithm: kind,
    trustStore: 'ca-bundle.pem',
    server: { cert: 'server.pem', key: 'server.key', names: [...serverNames] },
    identities,
    crl: 'intermediate-ca.crl.pem',
  };
  const files: OutputFile[] = [
    { name: 'root-ca.pem', text: pemBundle([root.cert]), secret: false },
    { name: 'root-ca.key', text: await privateKeyPem(root.keys), secret: true },
    { name: 'intermediate-ca.pem', text: pemBundle([intermediate.cert]), secret: false },
    { name: 'intermediate-ca.key', text: await privateKeyPem(intermediate.keys), secret: true },
    { name: 'ca-bundle.pem', text: pemBundle([root.cert, intermediate.cert]), secret: false },
    { name: 'untrusted-ca.pem', text: pemBundle([untrustedCa.cert]), secret: false },
    { name: 'server.pem', text: pemBundle([server, intermediate.cert]), secret: false },
    { name: 'server.key', text: await privateKeyPem(keys('server')), secret: true },
    ...identityFiles,
    // @peculiar/x509 labels CRL PEM "CRL"; OpenSSL, ALB and RFC 7468 expect "X509 CRL".
    { name: 'intermediate-ca.crl.pem', text: pemBlock('X509 CRL', crl.rawData), secret: false },
    // The manifest goes last: its presence marks a complete PKI.
    { name: 'manifest.json', text: `${JSON.stringify(manifest, null, 2)}\n`, secret: false },
  ];
  for (const file of files) await writeOutputFile(dir, file);
  return manifest;
}
