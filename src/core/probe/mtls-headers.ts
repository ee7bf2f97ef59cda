import type { MtlsHeaders } from './types';

// ALB in verify mode passes the client certificate to the target in X-Amzn-Mtls-Clientcert-* headers
// (passthrough mode: the whole chain in X-Amzn-Mtls-Clientcert). They are URL-encoded with + = /
// left as they are, so decodeURIComponent is right and form decoding ('+' → space) is wrong.

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

export function decodeMtlsHeaders(headers: Record<string, string | string[] | undefined>): MtlsHeaders | undefined {
  const get = (name: string): string | undefined => first(headers[name.toLowerCase()]);
  const out: MtlsHeaders = {};
  const serial = get('x-amzn-mtls-clientcert-serial-number');
  if (serial) out.serialNumber = serial.toUpperCase();
  const issuer = get('x-amzn-mtls-clientcert-issuer');
  if (issuer) out.issuer = issuer;
  const subject = get('x-amzn-mtls-clientcert-subject');
  if (subject) out.subject = subject;
  const validity = get('x-amzn-mtls-clientcert-validity');
  if (validity) {
    const fields = Object.fromEntries(validity.split(';').map((kv) => kv.split('=', 2) as [string, string]));
    out.validity = { ...(fields.NotBefore ? { notBefore: fields.NotBefore } : {}), ...(fields.NotAfter ? { notAfter: fields.NotAfter } : {}) };
  }
  const leaf = get('x-amzn-mtls-clientcert-leaf');
  if (leaf) out.leafPem = urlDecode(leaf);
  const chain = get('x-amzn-mtls-clientcert');
  if (chain) out.chainPem = urlDecode(chain);
  return Object.keys(out).length > 0 ? out : undefined;
}
