// node-forge's index loads every module (TLS, SSH, ed25519, …); the PKCS#12 reader needs only these, which
// register themselves on the shared forge object: a third of the size in the extension's bundle.
import forge from 'node-forge/lib/forge';
import 'node-forge/lib/pkcs12';
import 'node-forge/lib/pki';
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
