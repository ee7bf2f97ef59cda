import { albSerialForm } from '../certs/serial-number';
import type { MtlsHeaders } from './types';

// What a front told the target about the client certificate, when the target echoes it back.
// ALB in verify mode passes the client certificate to the target in X-Amzn-Mtls-Clientcert-* headers
// (passthrough mode: the whole chain in X-Amzn-Mtls-Clientcert). They are URL-encoded with + = /
// left as they are, so decodeURIComponent is right and form decoding ('+' → space) is wrong.
// CloudFront with viewer mTLS sends CloudFront-Viewer-Cert-* headers to the origin (viewer-mtls-headers.html):
// Serial-Number (`4a:3f:…`), Issuer and Subject (RFC 2253), Present (1/0), Sha256, Validity, Pem (URL-encoded);
// in passthrough mode Client-Cert (the leaf) and Client-Cert-Chain, as RFC 9440 byte sequences (`:base64:`).

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function urlDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function validityOf(value: string): MtlsHeaders['validity'] {
  const fields = Object.fromEntries(value.split(/[;,]\s*/).map((kv) => kv.split('=', 2).map((s) => s.trim()) as [string, string]));
  return { ...(fields.NotBefore ? { notBefore: fields.NotBefore } : {}), ...(fields.NotAfter ? { notAfter: fields.NotAfter } : {}) };
}

/** A DER certificate in base64 (an RFC 9440 `:…:` byte sequence or bare) as PEM; null when it is not base64. */
function pemOfBase64(value: string): string | null {
  const b64 = value.trim().replace(/^:|:$/g, '').replace(/\s+/g, '');
  if (b64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** What both fronts send under their own prefix: the serial (in ALB's form), issuer, subject and validity. */
function certificateFields(get: (name: string) => string | undefined, prefix: string): MtlsHeaders {
  const out: MtlsHeaders = {};
  const serial = get(`${prefix}serial-number`);
  if (serial) out.serialNumber = albSerialForm(serial);
  const issuer = get(`${prefix}issuer`);
  if (issuer) out.issuer = issuer;
  const subject = get(`${prefix}subject`);
  if (subject) out.subject = subject;
  const validity = get(`${prefix}validity`);
  if (validity) out.validity = validityOf(validity);
  return out;
}

function albHeaders(get: (name: string) => string | undefined): MtlsHeaders {
  const out = certificateFields(get, 'x-amzn-mtls-clientcert-');
  const leaf = get('x-amzn-mtls-clientcert-leaf');
  if (leaf) out.leafPem = urlDecode(leaf);
  const chain = get('x-amzn-mtls-clientcert');
  if (chain) out.chainPem = urlDecode(chain);
  return out;
}

function cloudFrontHeaders(get: (name: string) => string | undefined): MtlsHeaders {
  const out = certificateFields(get, 'cloudfront-viewer-cert-');
  const present = get('cloudfront-viewer-cert-present');
  if (present === '1' || present === '0') out.present = present === '1';
  const sha256 = get('cloudfront-viewer-cert-sha256');
  if (sha256) out.sha256 = sha256.replace(/:/g, '').toLowerCase();
  const pem = get('cloudfront-viewer-cert-pem');
  if (pem) out.leafPem = urlDecode(pem);
  // Passthrough: the leaf and the chain as RFC 9440 byte sequences.
  const leaf = get('client-cert');
  const leafPem = leaf !== undefined ? pemOfBase64(leaf) : null;
  if (leafPem !== null && out.leafPem === undefined) out.leafPem = leafPem;
  const chain = get('client-cert-chain')
    ?.split(',')
    .map(pemOfBase64)
    .filter((p): p is string => p !== null);
  if (chain !== undefined && chain.length > 0) out.chainPem = chain.join('');
  if (Object.keys(out).length > 0) out.front = 'cloudfront';
  return out;
}

export function decodeMtlsHeaders(headers: Record<string, string | string[] | undefined>): MtlsHeaders | undefined {
  const get = (name: string): string | undefined => first(headers[name.toLowerCase()]);
  const alb = albHeaders(get);
  const out = Object.keys(alb).length > 0 ? alb : cloudFrontHeaders(get);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The header a decoded field came from, to name it where it is shown. */
export function mtlsHeaderName(headers: MtlsHeaders, field: 'subject' | 'serialNumber' | 'issuer'): string {
  const suffix = { subject: 'Subject', serialNumber: 'Serial-Number', issuer: 'Issuer' }[field];
  return headers.front === 'cloudfront' ? `CloudFront-Viewer-Cert-${suffix}` : `X-Amzn-Mtls-Clientcert-${suffix}`;
}
