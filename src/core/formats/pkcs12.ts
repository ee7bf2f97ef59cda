// node-forge's index loads every module (TLS, SSH, ed25519, …); the PKCS#12 reader needs only these, which
// register themselves on the shared forge object: a third of the size in the extension's bundle.
import forge from 'node-forge/lib/forge';
import 'node-forge/lib/pkcs12';
import 'node-forge/lib/pki';
import { readDerElement, type DerElement } from './der';
import { FileError, passphraseHint } from './file-error';

// Node's TLS (OpenSSL 3) refuses legacy PKCS#12 files (RC2/3DES with SHA-1, the default of older
// OpenSSL and of many Windows exports). node-forge reads both legacy and modern files, so the PFX
// is decoded here and handed to TLS as a certificate chain and a PKCS#8 key. Its own bundle (node-forge is
// ~200 KB): callers import it dynamically, so reading PEM never loads it.

export interface DecodedPkcs12 {
  /** DER certificates in file order. */
  certificates: Buffer[];
  /** DER PKCS#8 PrivateKeyInfo of each key bag. */
  keys: Buffer[];
}

function derOf(asn1: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/**
 * Key-derivation iterations a file may ask for in all (its MAC and each encrypted part): what OpenSSL (2,048 each),
 * Windows (2,000) and Java (10,000 to 100,000) write stays far below it, and so do 600,000-iteration exports. node-forge
 * derives PKCS#12 keys in JavaScript, ~10 µs an iteration: a 3 KB file claiming 2^31 iterations would hold the CLI or
 * the extension host for hours.
 */
export const maxPkcs12Iterations = 2_000_000;

/**
 * The iteration counts of a PKCS#12 file, added up: each INTEGER that follows an OCTET STRING in a SEQUENCE (a salt and
 * its count, in MacData, PKCS#12 PBE parameters and PBKDF2 parameters), wherever it is, OCTET STRINGs holding DER
 * (the authenticated safe and its contents) read too. One pass over the elements; a count longer than 5 bytes is Infinity.
 */
export function pkcs12Iterations(der: Uint8Array): number {
  let total = 0;
  const top = readDerElement(der, 0);
  const stack: DerElement[] = top === null ? [] : [top];
  while (stack.length > 0) {
    const element = stack.pop()!;
    const constructed = (element.tag & 0x20) !== 0;
    // An OCTET STRING read as DER when its content is exactly one element.
    const inner = element.tag === 0x04 ? readDerElement(der, element.valueStart, element.end) : null;
    if (inner !== null && inner.start === element.valueStart && inner.end === element.end) stack.push(inner);
    if (!constructed) continue;
    let previous: DerElement | null = null;
    for (let o = element.valueStart; o < element.end; ) {
      const child = readDerElement(der, o, element.end);
      if (child === null) break;
      if (element.tag === 0x30 && child.tag === 0x02 && previous?.tag === 0x04) {
        const length = child.end - child.valueStart;
        let value = 0;
        for (let i = child.valueStart; i < child.end; i++) value = value * 256 + der[i]!;
        total += length > 5 ? Infinity : value;
      }
      stack.push(child);
      previous = child;
      o = child.end;
    }
  }
  return total;
}

/**
 * `passphrase` undefined means none was given: a file that needs one then fails with `passphrase_required`
 * (the person must supply one) rather than `wrong_passphrase` (the one supplied is wrong). Throws FileError
 * (`bad_pfx`, `passphrase_required`, `wrong_passphrase`), which callers rethrow as their own error class.
 */
export function decodePkcs12(data: Buffer, file: string, passphrase: string | undefined): DecodedPkcs12 {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(data.toString('binary')), { strict: false } as never);
  } catch (e) {
    const hint = data.includes('-----BEGIN') ? ' It looks like PEM: pass it with --cert/--key instead of --pfx.' : '';
    throw new FileError('bad_pfx', file, `${file} is not a PKCS#12/PFX file (not valid DER).${hint}`, { cause: e });
  }
  const iterations = pkcs12Iterations(data);
  if (iterations > maxPkcs12Iterations) {
    throw new FileError('bad_pfx', file, `${file} asks for ${Number.isFinite(iterations) ? iterations.toLocaleString('en-US') : 'billions of'} key-derivation iterations, far more than PKCS#12 exporters write (at most ${maxPkcs12Iterations.toLocaleString('en-US')} are read): it is corrupt or hostile; export it again.`);
  }
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase ?? '');
  } catch (e) {
    const message = (e as Error).message ?? '';
    if (/MAC could not be verified|wrong password|Invalid password/i.test(message)) {
      if (passphrase === undefined) throw new FileError('passphrase_required', file, `${file} is a PKCS#12 file protected by a passphrase: ${passphraseHint}.`, { cause: e });
      throw new FileError('wrong_passphrase', file, `The passphrase does not open ${file} (its integrity check failed): check the passphrase, or the file is corrupt.`, { cause: e });
    }
    throw new FileError('bad_pfx', file, `${file} could not be read as PKCS#12: ${message.replace(/\.$/, '')}.`, { cause: e });
  }
  const certificates: Buffer[] = [];
  const keys: Buffer[] = [];
  for (const safeContents of p12.safeContents) {
    for (const bag of safeContents.safeBags) {
      if (bag.type === forge.pki.oids.certBag) {
        // forge leaves `asn1` when it cannot model the certificate (e.g. ECDSA); re-encode otherwise.
        const der = bag.cert ? derOf(forge.pki.certificateToAsn1(bag.cert)) : bag.asn1 ? derOf(bag.asn1) : null;
        if (der) certificates.push(der);
      } else if (bag.type === forge.pki.oids.pkcs8ShroudedKeyBag || bag.type === forge.pki.oids.keyBag) {
        if (bag.key) keys.push(derOf(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key as forge.pki.rsa.PrivateKey))));
        else if (bag.asn1) keys.push(derOf(bag.asn1));
      }
    }
  }
  return { certificates, keys };
}
