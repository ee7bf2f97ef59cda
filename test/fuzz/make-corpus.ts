// Writes test/fuzz/corpus/pki.json: the certificate and key files the fuzzer starts from, made once by the product's
// own PKI generator (generatePki) plus what it does not write (CSR, PKCS#7, PKCS#12, encrypted and legacy keys, DER).
// Keys and ECDSA signatures are random, so the corpus is generated once and kept: a seeded fuzz run must see the same
// seed files every time. Throwaway test keys only. Run again (and commit the result) only to change the corpus:
//   node --import tsx test/fuzz/make-corpus.ts

import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import forge from 'node-forge';
import { pemBlock } from '../../src/core/formats/pem';
import { generatePki } from '../../src/core/pki/generate-pki';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** One seed file: its name (as a person would save it) and its bytes, base64. */
export interface CorpusFile {
  name: string;
  base64: string;
}

const at = new Date('2026-01-15T12:00:00Z');

async function pkiFiles(kind: 'p256' | 'rsa2048'): Promise<Map<string, Buffer>> {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-fuzz-corpus-'));
  try {
    const manifest = await generatePki(dir, { keyAlgorithm: kind, now: at });
    const names = ['root-ca.pem', 'intermediate-ca.pem', 'ca-bundle.pem', 'server.pem', 'server.key', manifest.crl!];
    for (const identity of manifest.identities.filter((i) => ['valid', 'expired', 'chain-too-deep'].includes(i.name))) names.push(identity.cert, identity.chain, identity.key);
    const files = new Map<string, Buffer>();
    for (const name of names) files.set(name, await readFile(join(dir, name)));
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function derOfPem(pem: Buffer): Buffer {
  const body = pem.toString('latin1').split('-----')[2]!;
  return Buffer.from(body.replace(/\s+/g, ''), 'base64');
}

async function main(): Promise<void> {
  const files: CorpusFile[] = [];
  const add = (name: string, bytes: Buffer | string): void => {
    files.push({ name, base64: Buffer.from(bytes).toString('base64') });
  };
  const ec = await pkiFiles('p256');
  const rsa = await pkiFiles('rsa2048');
  for (const [name, bytes] of ec) add(`p256/${name}`, bytes);
  for (const name of ['valid.pem', 'valid.key', 'ca-bundle.pem']) add(`rsa2048/${name}`, rsa.get(name)!);

  // DER forms: a certificate, a PKCS#8 key, a CRL.
  add('p256/valid.der', derOfPem(ec.get('valid.pem')!));
  add('p256/valid.p8', derOfPem(ec.get('valid.key')!));
  add('p256/intermediate-ca.crl', derOfPem(ec.get('intermediate-ca.crl.pem')!));

  // Other key encodings: SEC1, encrypted PKCS#8, legacy encrypted PKCS#1 (Proc-Type/DEK-Info headers).
  const ecKey = createPrivateKey(ec.get('valid.key')!);
  add('p256/valid.sec1.pem', ecKey.export({ type: 'sec1', format: 'pem' }));
  add('p256/valid.encrypted.pem', ecKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'fuzz' }));
  const rsaKey = createPrivateKey(rsa.get('valid.key')!);
  add('rsa2048/valid.legacy.pem', rsaKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'fuzz' }));

  // A CSR and a PKCS#7 chain.
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=fuzz client,O=mTLS Probe Fuzz', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  add('p256/client.csr', pemBlock('CERTIFICATE REQUEST', csr.rawData));
  const chain = new x509.X509Certificates(new x509.X509Certificate(ec.get('valid.chain.pem')!.toString('latin1')));
  for (const pem of ec.get('valid.chain.pem')!.toString('latin1').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.slice(1)) chain.push(new x509.X509Certificate(pem));
  add('p256/valid.p7b', Buffer.from(chain.export('raw')));

  // PKCS#12 (node-forge models RSA keys only): legacy 3DES and AES-256, with few iterations so a fuzz run stays fast.
  const forgeKey = forge.pki.privateKeyFromPem(rsa.get('valid.key')!.toString('latin1'));
  const forgeCerts = rsa.get('valid.pem')!.toString('latin1').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.map((pem) => forge.pki.certificateFromPem(pem));
  for (const algorithm of ['3des', 'aes256'] as const) {
    const asn1 = forge.pkcs12.toPkcs12Asn1(forgeKey, forgeCerts, 'fuzz', { algorithm, count: 16, saltSize: 8 });
    add(`rsa2048/valid-${algorithm}.p12`, Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  }
  const open = forge.pkcs12.toPkcs12Asn1(null, forgeCerts, null, { useMac: false });
  add('rsa2048/certificates-only.p12', Buffer.from(forge.asn1.toDer(open).getBytes(), 'binary'));

  const out = new URL('./corpus/pki.json', import.meta.url);
  await writeFile(out, `${JSON.stringify({ generated: at.toISOString(), files }, null, 1)}\n`);
  console.log(`${files.length} files, ${files.reduce((n, f) => n + f.base64.length, 0)} base64 characters → ${out.pathname}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
