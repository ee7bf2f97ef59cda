import { summarizeCertificate, type CertificateSummary } from '../certs/certificate-summary';
import { formatDistinguishedName } from '../certs/distinguished-name';
import { ByteReader, TlsDecodeError, toHex } from './byte-reader';
import {
  HandshakeType,
  cipherSuiteNames,
  clientCertificateTypeNames,
  extensionNames,
  namedGroupNames,
  nameOf,
  protocolVersionNames,
  signatureSchemeNames,
} from './registry';

/** What the decoder must know about the session to read a message whose layout depends on it. */
export interface HandshakeContext {
  /** Negotiated version (0x0304 for TLS 1.3), or null before ServerHello. */
  version: number | null;
  keyExchange: 'ecdhe' | 'dhe' | 'rsa' | 'tls13' | 'unknown';
}

export interface Extension {
  type: number;
  name: string;
  length: number;
}

export interface ClientHelloFields {
  legacyVersion: string;
  random: string;
  sessionIdLength: number;
  cipherSuites: string[];
  cipherSuiteCodes: number[];
  compressionMethods: number[];
  serverName: string | null;
  alpn: string[];
  supportedVersions: string[];
  supportedGroups: string[];
  signatureAlgorithms: string[];
  keyShareGroups: string[];
  postHandshakeAuth: boolean;
  extensions: Extension[];
}

export interface ServerHelloFields {
  helloRetryRequest: boolean;
  legacyVersion: string;
  /** The version the server chose: supported_versions for TLS 1.3, legacy_version otherwise. */
  version: string;
  versionCode: number;
  random: string;
  sessionIdLength: number;
  cipherSuite: string;
  cipherSuiteCode: number;
  compressionMethod: number;
  keyShareGroup: string | null;
  alpn: string | null;
  extensions: Extension[];
}

export interface EncryptedExtensionsFields {
  alpn: string | null;
  serverNameAcknowledged: boolean;
  extensions: Extension[];
}

export interface CertificateFields {
  /** True when the list is empty: for a client, "no client certificate sent". */
  empty: boolean;
  /** Certificates in the message. */
  count: number;
  /** A summary of each, the first `maxSummarizedCertificates` only when there are more (count says how many). */
  certificates: CertificateSummary[];
  /** DER of each certificate, kept for the result's serverCertificates; not serialised into the trace. */
  der?: Uint8Array[];
  /** Entries that could not be parsed as X.509 (reported, never fatal). */
  unparsable: number;
}

export interface CertificateRequestFields {
  /** TLS 1.2 only. */
  certificateTypes?: string[];
  signatureAlgorithms: string[];
  signatureAlgorithmsCert?: string[];
  /** RFC 4514 strings of the acceptable CA names; empty when the server advertises none. */
  authorities: string[];
  contextLength?: number;
  extensions?: Extension[];
}

export interface ServerKeyExchangeFields {
  kind: 'ecdhe' | 'dhe' | 'unknown';
  namedGroup?: string;
  publicKeyLength?: number;
  dhPrimeBits?: number;
  signatureAlgorithm?: string;
  signatureLength?: number;
}

export interface CertificateVerifyFields {
  signatureAlgorithm: string;
  signatureLength: number;
}

export interface ClientKeyExchangeFields {
  kind: string;
  length: number;
}

export interface FinishedFields {
  verifyDataLength: number;
}

export interface NewSessionTicketFields {
  lifetimeSeconds: number;
  ticketLength: number;
  ageAdd?: number;
  nonceLength?: number;
}

export interface KeyUpdateFields {
  updateRequested: boolean;
}

export type HandshakeFields =
  | ClientHelloFields
  | ServerHelloFields
  | EncryptedExtensionsFields
  | CertificateFields
  | CertificateRequestFields
  | ServerKeyExchangeFields
  | CertificateVerifyFields
  | ClientKeyExchangeFields
  | FinishedFields
  | NewSessionTicketFields
  | KeyUpdateFields
  | Record<string, never>;

// SHA-256("HelloRetryRequest"): a ServerHello with this random is a HelloRetryRequest (RFC 8446 4.1.3).
const helloRetryRequestRandom = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

function versionName(code: number): string {
  return nameOf(protocolVersionNames, code);
}

function readExtensions(r: ByteReader): Array<{ type: number; data: Uint8Array }> {
  if (r.remaining === 0) return [];
  const list = r.vector(2, 'extensions');
  const out: Array<{ type: number; data: Uint8Array }> = [];
  while (list.remaining > 0) {
    const type = list.u16();
    out.push({ type, data: list.vectorBytes(2) });
  }
  return out;
}

function describeExtensions(exts: Array<{ type: number; data: Uint8Array }>): Extension[] {
  return exts.map((e) => ({ type: e.type, name: nameOf(extensionNames, e.type), length: e.data.length }));
}

function readAlpnList(data: Uint8Array): string[] {
  const list = new ByteReader(data, 'ALPN').vector(2);
  const out: string[] = [];
  while (list.remaining > 0) out.push(Buffer.from(list.vectorBytes(1)).toString('latin1'));
  return out;
}

function readSignatureSchemes(data: Uint8Array): string[] {
  return new ByteReader(data, 'signature_algorithms').vector(2).u16List().map((c) => nameOf(signatureSchemeNames, c));
}

function readAuthorities(r: ByteReader): string[] {
  const out: string[] = [];
  while (r.remaining > 0) {
    const der = r.vectorBytes(2);
    try {
      out.push(formatDistinguishedName(der));
    } catch {
      out.push(`#${toHex(der)}`);
    }
  }
  return out;
}

function decodeClientHello(r: ByteReader): ClientHelloFields {
  const legacyVersion = versionName(r.u16());
  const random = toHex(r.bytesOf(32));
  const sessionIdLength = r.vectorBytes(1).length;
  const cipherSuiteCodes = r.vector(2, 'cipher_suites').u16List();
  const compressionMethods = [...r.vectorBytes(1)];
  const exts = readExtensions(r);
  const fields: ClientHelloFields = {
    legacyVersion,
    random,
    sessionIdLength,
    cipherSuites: cipherSuiteCodes.map((c) => nameOf(cipherSuiteNames, c)),
    cipherSuiteCodes,
    compressionMethods,
    serverName: null,
    alpn: [],
    supportedVersions: [],
    supportedGroups: [],
    signatureAlgorithms: [],
    keyShareGroups: [],
    postHandshakeAuth: false,
    extensions: describeExtensions(exts),
  };
  for (const ext of exts) {
    const er = new ByteReader(ext.data, nameOf(extensionNames, ext.type));
    switch (ext.type) {
      case 0: {
        const list = er.vector(2);
        while (list.remaining > 0) {
          const nameType = list.u8();
          const name = list.vectorBytes(2);
          if (nameType === 0) fields.serverName = Buffer.from(name).toString('latin1');
        }
        break;
      }
      case 10:
        fields.supportedGroups = er.vector(2).u16List().map((c) => nameOf(namedGroupNames, c));
        break;
      case 13:
        fields.signatureAlgorithms = readSignatureSchemes(ext.data);
        break;
      case 16:
        fields.alpn = readAlpnList(ext.data);
        break;
      case 43:
        fields.supportedVersions = er.vector(1).u16List().map(versionName);
        break;
      case 49:
        fields.postHandshakeAuth = true;
        break;
      case 51: {
        const shares = er.vector(2);
        while (shares.remaining > 0) {
          fields.keyShareGroups.push(nameOf(namedGroupNames, shares.u16()));
          shares.vectorBytes(2);
        }
        break;
      }
    }
  }
  return fields;
}

function decodeServerHello(r: ByteReader): ServerHelloFields {
  const legacyVersionCode = r.u16();
  const random = toHex(r.bytesOf(32));
  const sessionIdLength = r.vectorBytes(1).length;
  const cipherSuiteCode = r.u16();
  const compressionMethod = r.u8();
  const exts = readExtensions(r);
  const helloRetryRequest = random === helloRetryRequestRandom;
  let versionCode = legacyVersionCode;
  let keyShareGroup: string | null = null;
  let alpn: string | null = null;
  for (const ext of exts) {
    const er = new ByteReader(ext.data, nameOf(extensionNames, ext.type));
    if (ext.type === 43) versionCode = er.u16();
    else if (ext.type === 51) keyShareGroup = nameOf(namedGroupNames, er.u16());
    else if (ext.type === 16) alpn = readAlpnList(ext.data)[0] ?? null;
  }
  return {
    helloRetryRequest,
    legacyVersion: versionName(legacyVersionCode),
    version: versionName(versionCode),
    versionCode,
    random,
    sessionIdLength,
    cipherSuite: nameOf(cipherSuiteNames, cipherSuiteCode),
    cipherSuiteCode,
    compressionMethod,
    keyShareGroup,
    alpn,
    extensions: describeExtensions(exts),
  };
}

function decodeEncryptedExtensions(r: ByteReader): EncryptedExtensionsFields {
  const exts = readExtensions(r);
  let alpn: string | null = null;
  for (const ext of exts) if (ext.type === 16) alpn = readAlpnList(ext.data)[0] ?? null;
  return { alpn, serverNameAcknowledged: exts.some((e) => e.type === 0), extensions: describeExtensions(exts) };
}

/**
 * Certificates summarized per message: OpenSSL's default verify depth. A chain longer than that is a hostile or
 * broken server's (a 16 MB message holds 30,000 certificates), and summarizing them all would take seconds and
 * megabytes of trace for nothing a person reads.
 */
export const maxSummarizedCertificates = 100;

function decodeCertificate(r: ByteReader, tls13: boolean): CertificateFields {
  if (tls13) r.vectorBytes(1); // certificate_request_context
  const list = r.vector(3, 'certificate_list');
  const der: Uint8Array[] = [];
  while (list.remaining > 0) {
    der.push(list.vectorBytes(3));
    if (tls13) list.vectorBytes(2); // per-certificate extensions (OCSP, SCT)
  }
  const certificates: CertificateSummary[] = [];
  let unparsable = 0;
  for (const d of der.slice(0, maxSummarizedCertificates)) {
    try {
      certificates.push(summarizeCertificate(d));
    } catch {
      unparsable++;
    }
  }
  return { empty: der.length === 0, count: der.length, certificates, der, unparsable };
}

function decodeCertificateRequest(r: ByteReader, tls13: boolean): CertificateRequestFields {
  if (tls13) {
    const contextLength = r.vectorBytes(1).length;
    const exts = readExtensions(r);
    const fields: CertificateRequestFields = { signatureAlgorithms: [], authorities: [], contextLength, extensions: describeExtensions(exts) };
    for (const ext of exts) {
      if (ext.type === 13) fields.signatureAlgorithms = readSignatureSchemes(ext.data);
      else if (ext.type === 50) fields.signatureAlgorithmsCert = readSignatureSchemes(ext.data);
      else if (ext.type === 47) fields.authorities = readAuthorities(new ByteReader(ext.data, 'certificate_authorities').vector(2));
    }
    return fields;
  }
  const certificateTypes = [...r.vectorBytes(1)].map((c) => nameOf(clientCertificateTypeNames, c, 2));
  const signatureAlgorithms = r.vector(2, 'supported_signature_algorithms').u16List().map((c) => nameOf(signatureSchemeNames, c));
  const authorities = readAuthorities(r.vector(2, 'certificate_authorities'));
  return { certificateTypes, signatureAlgorithms, authorities };
}

function decodeServerKeyExchange(r: ByteReader, ctx: HandshakeContext): ServerKeyExchangeFields {
  if (ctx.keyExchange === 'ecdhe') {
    const curveType = r.u8();
    if (curveType !== 3) return { kind: 'ecdhe', namedGroup: `curve_type ${curveType}` };
    const namedGroup = nameOf(namedGroupNames, r.u16());
    const publicKeyLength = r.vectorBytes(1).length;
    const signatureAlgorithm = nameOf(signatureSchemeNames, r.u16());
    const signatureLength = r.vectorBytes(2).length;
    return { kind: 'ecdhe', namedGroup, publicKeyLength, signatureAlgorithm, signatureLength };
  }
  if (ctx.keyExchange === 'dhe') {
    const p = r.vectorBytes(2);
    r.vectorBytes(2); // g
    const publicKeyLength = r.vectorBytes(2).length;
    const signatureAlgorithm = nameOf(signatureSchemeNames, r.u16());
    const signatureLength = r.vectorBytes(2).length;
    let bits = p.length * 8;
    if (p.length > 0) bits -= Math.clz32(p[0]!) - 24;
    return { kind: 'dhe', dhPrimeBits: bits, publicKeyLength, signatureAlgorithm, signatureLength };
  }
  return { kind: 'unknown' };
}

function decodeClientKeyExchange(r: ByteReader, ctx: HandshakeContext): ClientKeyExchangeFields {
  if (ctx.keyExchange === 'ecdhe') return { kind: 'ecdhe public key', length: r.vectorBytes(1).length };
  if (ctx.keyExchange === 'dhe') return { kind: 'dhe public value', length: r.vectorBytes(2).length };
  if (ctx.keyExchange === 'rsa') return { kind: 'rsa encrypted premaster secret', length: r.vectorBytes(2).length };
  return { kind: 'unknown', length: r.remaining };
}

function decodeNewSessionTicket(r: ByteReader, tls13: boolean): NewSessionTicketFields {
  const lifetimeSeconds = r.u32();
  if (!tls13) return { lifetimeSeconds, ticketLength: r.vectorBytes(2).length };
  const ageAdd = r.u32();
  const nonceLength = r.vectorBytes(1).length;
  const ticketLength = r.vectorBytes(2).length;
  readExtensions(r);
  return { lifetimeSeconds, ageAdd, nonceLength, ticketLength };
}

/** Decodes the body of one handshake message. Throws TlsDecodeError on a malformed body. */
export function decodeHandshakeBody(type: number, body: Uint8Array, ctx: HandshakeContext): HandshakeFields {
  const tls13 = ctx.version === 0x0304;
  const r = new ByteReader(body, `handshake message ${type}`);
  switch (type) {
    case HandshakeType.ClientHello:
      return decodeClientHello(r);
    case HandshakeType.ServerHello:
      return decodeServerHello(r);
    case HandshakeType.EncryptedExtensions:
      return decodeEncryptedExtensions(r);
    case HandshakeType.Certificate:
      return decodeCertificate(r, tls13);
    case HandshakeType.CertificateRequest:
      return decodeCertificateRequest(r, tls13);
    case HandshakeType.ServerKeyExchange:
      return decodeServerKeyExchange(r, ctx);
    case HandshakeType.ServerHelloDone:
      return {};
    case HandshakeType.CertificateVerify:
      return { signatureAlgorithm: nameOf(signatureSchemeNames, r.u16()), signatureLength: r.vectorBytes(2).length };
    case HandshakeType.ClientKeyExchange:
      return decodeClientKeyExchange(r, ctx);
    case HandshakeType.Finished:
      return { verifyDataLength: body.length };
    case HandshakeType.NewSessionTicket:
      return decodeNewSessionTicket(r, tls13);
    case HandshakeType.KeyUpdate:
      return { updateRequested: r.u8() === 1 };
    default:
      return {};
  }
}

export { TlsDecodeError };
