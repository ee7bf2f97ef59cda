import { X509Certificate, createHash } from 'node:crypto';
import { rfc4514FromNodeName } from './distinguished-name';
import { albSerialForm } from './serial-number';
import { BoundedCache } from '../bounded-cache';

/** What the trace and the JSON result say about one certificate. Cheap to compute: node:crypto's native parser. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  /** Uppercase hex without separators, the form ALB's connection log and X-Amzn-Mtls-Clientcert-Serial-Number use. */
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  subjectAltNames: string[];
  publicKey: string;
  isCA: boolean;
  selfIssued: boolean;
  sha256: string;
  derLength: number;
}

// Probes of the same endpoint see the same chains again and again (matrix runs, re-probes, the hover):
// parsing a certificate costs ~0.2 ms, hashing it ~2 µs, so summaries are cached by their SHA-256.
const summaryCache = new BoundedCache<string, CertificateSummary>(512);

export function summarizeCertificate(der: Uint8Array): CertificateSummary {
  const key = createHash('sha256').update(der).digest('hex');
  const cached = summaryCache.getOrCreate(key, () => summarizeX509(new X509Certificate(der), der));
  // A copy, so callers can change what they get without touching the cache (its one array included): spelled out,
  // as structuredClone costs ten times as much and a probe asks for two or three.
  return { ...cached, subjectAltNames: [...cached.subjectAltNames] };
}

export function summarizeX509(cert: X509Certificate, der: Uint8Array = cert.raw): CertificateSummary {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails;
  let publicKey: string = key.asymmetricKeyType ?? 'unknown';
  if (details?.modulusLength) publicKey = `${publicKey.toUpperCase()} ${details.modulusLength}`;
  else if (details?.namedCurve) publicKey = `EC ${details.namedCurve}`;
  const subject = rfc4514FromNodeName(cert.subject);
  const issuer = rfc4514FromNodeName(cert.issuer);
  return {
    subject,
    issuer,
    serialNumber: albSerialForm(cert.serialNumber),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    subjectAltNames: cert.subjectAltName ? cert.subjectAltName.split(', ') : [],
    publicKey,
    isCA: cert.ca,
    selfIssued: subject === issuer,
    sha256: createHash('sha256').update(der).digest('hex'),
    derLength: der.length,
  };
}
