import { declaredDerElement, derChildren } from '../formats/der';
import { derKind, type DerKind } from '../formats/der-kind';
import { base64Problem, certificatePemLabels } from '../formats/pem';
import { findPemBlocksInText, pemBlockInTextAt, type PemInTextBlock } from '../formats/pem-in-text';

// The certificates pasted into any text, for the hover and the diagnostics: the blocks are found by the most
// tolerant PEM reader (formats/pem-in-text.ts), and each one's content is judged here, with what is wrong worded
// for the person who pasted it.

export interface CertificateBlock {
  /** Offset of the first '-' of the BEGIN marker. */
  start: number;
  /** Offset just past the END marker (past the last base64 character when the END line is missing). */
  end: number;
  /** The certificate's DER; null when the block is damaged, and then `problem` says how. */
  der: Uint8Array | null;
  problem?: string;
}

/** What a CERTIFICATE block holds instead of a certificate, said by the kind of its DER. */
function otherContent(kind: DerKind): string {
  switch (kind) {
    case 'pkcs8-key':
    case 'pkcs1-key':
    case 'sec1-key':
      return 'it holds a private key, not a certificate';
    case 'encrypted-pkcs8-key':
      return 'it holds an encrypted private key, not a certificate';
    case 'public-key':
      return 'it holds a bare public key, not a certificate';
    case 'pkcs7-signed-data':
    case 'pkcs7-other':
      return 'it holds a PKCS#7/CMS structure, not a single certificate';
    case 'certificate-request':
      return 'it holds a certificate request (CSR), not a certificate';
    case 'crl':
      return 'it holds a CRL, not a certificate';
    case 'signed-unknown':
      return "its DER is shaped like a certificate but its fields are not a certificate's (corrupt)";
    default:
      return 'its content is DER, but not an X.509 certificate';
  }
}

/** The certificate in a block's base64 (a TRUSTED CERTIFICATE's trust settings after it are left out), or what is wrong. */
function decodeCertificate(base64: string): { der: Uint8Array } | { problem: string } {
  const problem = base64Problem(base64, 'lenient');
  if (problem === 'empty') return { problem: 'it has no base64 between the BEGIN and END lines' };
  if (problem === 'padding') return { problem: "its base64 has '=' padding in the middle (lines out of order, or two certificates run together)" };
  if (problem === 'length') return { problem: `its base64 is ${base64.length} characters long, which no encoding produces (a character was lost or added)` };
  const bytes = Buffer.from(base64, 'base64');
  if (bytes[0] !== 0x30) return { problem: 'its content is not DER (damaged base64, or not a certificate)' };
  const top = declaredDerElement(bytes);
  if (top === null) return { problem: 'its DER is malformed (damaged base64?)' };
  if (top.end > bytes.length) {
    return { problem: `it is cut off: its base64 holds ${bytes.length} of the ${top.end} bytes the certificate declares (truncated copy?)` };
  }
  const der = bytes.subarray(0, top.end);
  if (derChildren(der, top) === null) return { problem: 'its DER is malformed inside (damaged base64?)' };
  const kind = derKind(der, top);
  if (kind === 'certificate') return { der };
  return { problem: otherContent(kind) };
}

function certificateBlock(found: PemInTextBlock): CertificateBlock {
  const { start, end } = found;
  if (found.base64 === undefined) return { start, end, der: null, problem: found.problem ?? 'it is damaged' };
  const decoded = decodeCertificate(found.base64);
  return 'der' in decoded ? { start, end, der: decoded.der } : { start, end, der: null, problem: decoded.problem };
}

/**
 * Every PEM certificate block in `text` (CERTIFICATE, TRUSTED CERTIFICATE, X509 CERTIFICATE), in order and
 * never overlapping. Damaged blocks come back with `der: null` and a `problem`; nothing throws.
 */
export function findCertificateBlocks(text: string): CertificateBlock[] {
  return findPemBlocksInText(text, certificatePemLabels).map(certificateBlock);
}

/**
 * The certificate block containing `offset` (from the BEGIN marker's first dash to just past the END
 * marker), or null. Looks only at the text around the offset, so it costs the same in a 40 KB bundle and a 50 MB log.
 */
export function blockAt(text: string, offset: number): CertificateBlock | null {
  const found = pemBlockInTextAt(text, offset, certificatePemLabels);
  return found === null ? null : certificateBlock(found);
}
