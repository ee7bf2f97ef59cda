import { isIP } from 'node:net';
import type { CertificateSummary } from '../certs/certificate-summary';
import { HandshakeType } from '../tls/registry';
import { dateWords, makeVerdict, spanWords, type AttemptFacts, type TargetFacts } from './verdict-facts';
import type { Verdict } from './types';

// The client refused the server's certificate. Each kind of refusal has its own fix, and the advice must be one
// that can help: a CA file does nothing for a name mismatch or an expired certificate.

type Kind = 'expired' | 'not-yet-valid' | 'untrusted' | 'bad-signature' | 'revoked' | 'name';

const kinds: Record<string, { reason: string; kind: Kind }> = {
  CERT_HAS_EXPIRED: { reason: 'server_certificate_expired', kind: 'expired' },
  CERT_NOT_YET_VALID: { reason: 'server_certificate_not_yet_valid', kind: 'not-yet-valid' },
  DEPTH_ZERO_SELF_SIGNED_CERT: { reason: 'server_certificate_untrusted', kind: 'untrusted' },
  SELF_SIGNED_CERT_IN_CHAIN: { reason: 'server_certificate_untrusted', kind: 'untrusted' },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { reason: 'server_certificate_untrusted', kind: 'untrusted' },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: { reason: 'server_certificate_untrusted', kind: 'untrusted' },
  UNABLE_TO_GET_ISSUER_CERT: { reason: 'server_certificate_untrusted', kind: 'untrusted' },
  CERT_SIGNATURE_FAILURE: { reason: 'server_certificate_untrusted', kind: 'bad-signature' },
  CERT_REVOKED: { reason: 'server_certificate_revoked', kind: 'revoked' },
  ERR_TLS_CERT_ALTNAME_INVALID: { reason: 'server_name_mismatch', kind: 'name' },
  HOSTNAME_MISMATCH: { reason: 'server_name_mismatch', kind: 'name' },
};

/** True for Node's codes that mean "the client refused the server's certificate". */
export function isServerCertificateError(code: string | null): boolean {
  return code !== null && kinds[code] !== undefined;
}

const lookPast = '-k skips this check, to probe the layers behind it (mTLS, HTTP).';

function leafWords(leaf: CertificateSummary | undefined): string {
  return leaf ? `its certificate ${leaf.subject}` : 'its certificate';
}

function validityVerdict(reason: string, code: string, facts: AttemptFacts, chain: CertificateSummary[], expired: boolean): Verdict {
  const at = facts.at ?? Date.now();
  const culprit = chain.find((c) => (expired ? Date.parse(c.notAfter) < at : Date.parse(c.notBefore) > at));
  const which = culprit === undefined ? 'its certificate (or one in its chain)' : culprit === chain[0] ? `its certificate ${culprit.subject}` : `the CA certificate ${culprit.subject} in its chain`;
  if (expired) {
    const when = culprit ? ` on ${dateWords(culprit.notAfter)}, ${spanWords(at - Date.parse(culprit.notAfter))} ago` : '';
    return makeVerdict('tls', reason, `The client refused the server: ${which} expired${when} (${code}).`, `Only the server's operator can fix this, by renewing the certificate and installing the new one. ${lookPast}`);
  }
  const when = culprit ? ` until ${dateWords(culprit.notBefore)}, in ${spanWords(Date.parse(culprit.notBefore) - at)}` : '';
  return makeVerdict(
    'tls',
    reason,
    `The client refused the server: ${which} is not valid${when} (${code}).`,
    `Either the server uses a certificate before its start date (its operator can install one valid now) or this machine's clock is behind (it reads ${dateWords(new Date(at).toISOString())}). ${lookPast}`,
  );
}

function trustWords(facts: AttemptFacts): string {
  if (facts.trust === 'cacert') return 'the CAs the probe was given (--cacert)';
  if (facts.trust === 'system') return "the system's trusted CAs";
  return 'the CAs the client trusts';
}

function untrustedVerdict(reason: string, code: string, facts: AttemptFacts, chain: CertificateSummary[]): Verdict {
  const leaf = chain[0];
  const top = chain[chain.length - 1];
  const trusted = trustWords(facts);
  if (leaf === undefined || top === undefined) {
    return makeVerdict('tls', reason, `The client refused the server: its certificate does not chain to ${trusted} (${code}).`, `Pass the CA that issued it with --cacert FILE (PEM). ${lookPast}`);
  }
  if (top.selfIssued) {
    const what = chain.length === 1 ? `${leafWords(leaf)} is self-signed` : `its chain ends in the root ${top.subject}`;
    return makeVerdict('tls', reason, `The client refused the server: ${what}, which is not among ${trusted} (${code}).`, `If you trust it, pass that certificate with --cacert FILE (PEM). ${lookPast}`);
  }
  return makeVerdict(
    'tls',
    reason,
    `The client refused the server: ${leafWords(leaf)} ${chain.length === 1 ? 'was issued by' : 'chains up to'} ${top.issuer}, which is not among ${trusted} (${code}).`,
    `Pass the certificate of ${top.issuer} with --cacert FILE (PEM)${chain.length === 1 ? ', and its root CA if it is an intermediate' : ''}. ${lookPast}`,
  );
}

/** The DNS names and IP addresses a certificate is valid for, as a client checks them (SANs, else the CN). */
function certificateNames(leaf: CertificateSummary): string[] {
  const names = leaf.subjectAltNames
    .map((san) => {
      if (san.startsWith('DNS:')) return san.slice(4);
      if (!san.startsWith('IP Address:')) return null;
      const ip = san.slice(11);
      // Node prints IPv6 SANs in full ("0:0:0:0:0:0:0:1"); people write them short ("::1").
      return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
    })
    .filter((n): n is string => n !== null);
  if (leaf.subjectAltNames.length > 0) return names;
  const cn = /(?:^|,)CN=((?:\\.|[^,])+)/.exec(leaf.subject)?.[1];
  return cn ? [cn.replace(/\\(.)/g, '$1')] : [];
}

function nameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return p === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

function bracketed(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** The same server by a name its certificate holds, the connection kept where it went. */
function byNameWords(target: TargetFacts, names: string[]): string {
  const address = bracketed(target.address ?? target.host);
  const name = names.find((n) => !n.startsWith('*.'));
  if (name === undefined) {
    const wildcard = names[0];
    return wildcard === undefined ? '' : ` If this is the server you meant, probe it by a name under ${wildcard.slice(2)} (its certificate holds ${wildcard}), keeping the address with --resolve NAME:${target.port}:${address}.`;
  }
  const url = new URL(target.url);
  url.hostname = bracketed(name);
  const host = bracketed(name);
  return ` If this is the server you meant, probe it by a name its certificate holds, keeping the address: ${url.toString()} --resolve ${host}:${target.port}:${address} (or --connect-to ${host}:${target.port}:${address}:${target.port}).`;
}

function nameHint(target: TargetFacts, names: string[]): string {
  const byName = byNameWords(target, names);
  if (target.serverNameGiven) {
    const urlHostFits = names.some((n) => nameMatches(n, target.host));
    const fix = urlHostFits ? "The certificate holds the URL's host: leave --sni out to check that name." : 'Give --sni a name the certificate holds.';
    return `The name checked is the one given with --sni (${target.serverName}). ${fix}${urlHostFits ? '' : byName} ${lookPast}`;
  }
  if (target.serverName === null) {
    return `No SNI was sent (the URL's host is an IP address), so the server showed its default certificate; --sni NAME asks it for NAME's certificate and checks that name instead.${byName} ${lookPast}`;
  }
  return (
    `If the URL is right, the server at ${target.address ?? 'that address'} does not serve ${target.serverName}: the name led to the wrong address (check its DNS, or the address given with --resolve or --connect-to), or the server's operator must add the name to its certificate.` +
    `${byName} ${lookPast}`
  );
}

function nameVerdict(reason: string, code: string, facts: AttemptFacts, leaf: CertificateSummary | undefined): Verdict {
  const target = facts.target;
  const checked = target ? (target.serverName ?? target.host) : null;
  const names = leaf ? certificateNames(leaf) : [];
  const holds = leaf ? (names.length > 0 ? `is for ${names.join(', ')}` : 'names no host (no DNS or IP subject alternative name)') : 'is not';
  const against = checked === null ? 'for the name checked' : `for ${checked} (${target?.serverNameGiven ? 'the name given with --sni' : "the URL's host"}, the name checked; ${code})`;
  const summary = `The client refused the server: ${leafWords(leaf)} ${holds}, not ${against}${checked === null ? ` (${code})` : ''}.`;
  const hint = target ? nameHint(target, names) : `Probe the server by a name its certificate holds. ${lookPast}`;
  return makeVerdict('tls', reason, summary, hint);
}

/** The verdict when Node refused the server's certificate with `code`; null for other codes. */
export function serverCertificateVerdict(code: string, facts: AttemptFacts): Verdict | null {
  const known = kinds[code];
  if (known === undefined) return null;
  const chain = facts.tls.serverCertificate?.certificates ?? [];
  switch (known.kind) {
    case 'expired':
    case 'not-yet-valid':
      return validityVerdict(known.reason, code, facts, chain, known.kind === 'expired');
    case 'untrusted':
      return untrustedVerdict(known.reason, code, facts, chain);
    case 'bad-signature':
      return makeVerdict(
        'tls',
        known.reason,
        `The client refused the server: the signature on ${leafWords(chain[0])} or on its chain does not verify (${code}).`,
        `The certificate was not signed by the key of the CA it names: the server sends the wrong chain, or the CA the client trusts is another one of the same name. ${lookPast}`,
      );
    case 'revoked':
      return makeVerdict('tls', known.reason, `The client refused the server: ${leafWords(chain[0])} is revoked (${code}).`, `Only the server's operator can fix this, by installing a new certificate. ${lookPast}`);
    case 'name':
      return nameVerdict(known.reason, code, facts, chain[0]);
  }
}

// OpenSSL's default limit on the certificate chain a peer may send (SSL_CTX_set_max_cert_list): 100 KiB. Node's TLS
// does not change it, nor can a Node client; curl and other OpenSSL-based clients have the same.
const opensslMaxCertList = 102_400;

function sizeWords(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${bytes.toLocaleString('en-US')} bytes${mb >= 1 ? ` (about ${Math.round(mb)} MB)` : ''}`;
}

/**
 * The client refused a handshake message larger than it accepts (ERR_SSL_EXCESSIVE_MESSAGE_SIZE): for a server
 * Certificate, a chain far larger than any client takes. Null for other errors.
 */
export function oversizedMessageVerdict(facts: AttemptFacts): Verdict | null {
  if (facts.errorCode !== 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE') return null;
  const { tls } = facts;
  const message = tls.incompleteHandshake?.dir === 'in' ? tls.incompleteHandshake : null;
  const alert = tls.alerts.find((a) => a.dir === 'out' && a.level === 'fatal');
  const refused = alert ? `the client refused it with a fatal ${alert.description} alert (${alert.code})` : 'the client refused it';
  if (message !== null && message.type === HandshakeType.Certificate) {
    return makeVerdict(
      'tls',
      'server_certificate_chain_too_large',
      `The server's Certificate message announced ${sizeWords(message.length + 4)} of certificate chain; ${refused} after its first ${message.received.toLocaleString('en-US')} bytes (ERR_SSL_EXCESSIVE_MESSAGE_SIZE): ` +
        `OpenSSL, which Node uses, accepts at most ${opensslMaxCertList.toLocaleString('en-US')} bytes (100 KiB) of certificate chain, and so do curl and other OpenSSL-based clients.`,
      "Only the server's operator can fix this: configure the server with its own certificate and its intermediate CA certificates only. A chain this large is a whole CA bundle, or certificates repeated, in its certificate file.",
    );
  }
  const what = message !== null ? `its ${message.name} message announced ${sizeWords(message.length + 4)}, and ` : '';
  return makeVerdict(
    'tls',
    'handshake_message_too_large',
    `The server sent a handshake message larger than the client accepts: ${what}${refused} (ERR_SSL_EXCESSIVE_MESSAGE_SIZE).`,
    "The server is misconfigured or hostile: its operator should look at what it sends in that message (e.g. a CertificateRequest listing thousands of CA names).",
  );
}
