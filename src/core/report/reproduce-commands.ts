import { isIP } from 'node:net';
import type { EndpointConfig, IdentityConfig } from '../config/types';
import { isSecretHeader, secretHeaderVariable } from '../secret-headers';

// The same attempt as a `curl -v` and an `openssl s_client` command line, for people who want to see it with
// the tools they already trust, or paste it into a ticket. Passphrases never go on a command line (they would
// land in shell history and in `ps`). Checked with curl 7.88 and openssl 3.0: both ask at the terminal for the
// passphrase of an encrypted PEM key, and openssl for a PKCS#12 file's; curl does not ask for a PKCS#12 file's,
// so a person adds `--pass` to it themselves. Neither opens legacy RC2/3DES PKCS#12 files without OpenSSL's
// legacy provider (the probe does: it decodes PKCS#12 itself). Secret header values (Authorization, Cookie… and
// the endpoint's "secretHeaders") never go on a command line either: the command reads each from an environment
// variable, MTLS_PROBE_HEADER_<NAME>, and the shell stops with a note naming it when it is not set.

const safeWord = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting: bare when every character is safe, else single quotes (with ' written as '\''). */
export function shellQuote(word: string): string {
  if (safeWord.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A word already written for the shell (an environment reference in double quotes): not quoted again. */
interface ShellWord {
  raw: string;
}

function commandLine(words: Array<string | ShellWord>): string {
  return words.map((word) => (typeof word === 'string' ? shellQuote(word) : word.raw)).join(' ');
}

interface Target {
  url: URL;
  /** The URL host without IPv6 brackets. */
  host: string;
  port: number;
  connectHost: string;
  connectPort: number;
  /** The name the server certificate is checked against and sent as SNI (null: an IP literal, no SNI). */
  serverName: string | null;
}

function targetOf(endpoint: EndpointConfig): Target {
  const url = new URL(endpoint.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port !== '' ? Number(url.port) : 443;
  const serverName = endpoint.serverName ?? (isIP(host) === 0 ? host : null);
  return { url, host, port, connectHost: endpoint.connectTo?.host ?? host, connectPort: endpoint.connectTo?.port ?? port, serverName };
}

function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

const tlsNumber = { 'TLSv1.2': '1.2', 'TLSv1.3': '1.3' } as const;

export function curlCommand(endpoint: EndpointConfig, identity: IdentityConfig | null): string {
  const target = targetOf(endpoint);
  const words: Array<string | ShellWord> = ['curl', '-v'];
  let url = target.url;
  let hostHeader = endpoint.hostHeader;
  if (endpoint.serverName !== undefined && endpoint.serverName !== target.host) {
    // curl sends the URL's host as SNI and checks the certificate against it: put the server name in the URL,
    // route it to the real address, and keep the Host header the URL had.
    url = new URL(endpoint.url);
    url.hostname = isIP(endpoint.serverName) === 6 ? `[${endpoint.serverName}]` : endpoint.serverName;
    hostHeader ??= target.url.host;
    words.push('--connect-to', `${hostPort(endpoint.serverName, target.port)}:${hostPort(target.connectHost, target.connectPort)}`);
  } else if (endpoint.connectTo !== undefined) {
    words.push('--connect-to', `${hostPort(target.host, target.port)}:${hostPort(target.connectHost, target.connectPort)}`);
  }
  if (endpoint.insecure) words.push('-k');
  else if (endpoint.caFile !== undefined) words.push('--cacert', endpoint.caFile);
  if (identity?.kind === 'pem') words.push('--cert', identity.certFile, '--key', identity.keyFile);
  else if (identity?.kind === 'pfx') words.push('--cert-type', 'P12', '--cert', identity.pfxFile);
  if (endpoint.tlsMinVersion !== undefined) words.push(`--tlsv${tlsNumber[endpoint.tlsMinVersion]}`);
  if (endpoint.tlsMaxVersion !== undefined) words.push('--tls-max', tlsNumber[endpoint.tlsMaxVersion]);
  if (endpoint.alpn !== undefined && endpoint.alpn.length === 1 && endpoint.alpn[0] === 'http/1.1') words.push('--http1.1');
  const method = endpoint.method?.toUpperCase();
  if (method === 'HEAD') words.push('-I');
  else if (method !== undefined && method !== 'GET') words.push('-X', method);
  if (hostHeader !== undefined) words.push('-H', `Host: ${hostHeader}`);
  for (const [name, value] of Object.entries(endpoint.headers ?? {})) words.push('-H', isSecretHeader(name, endpoint.secretHeaders) ? secretHeaderWord(name) : `${name}: ${value}`);
  const urlText = url.toString();
  // curl reads [] and {} in a URL as its own globbing syntax (an IPv6 literal, for one) unless told not to.
  if (/[[\]{}]/.test(urlText)) words.push('-g');
  words.push(urlText);
  return commandLine(words);
}

/**
 * `"Authorization: ${MTLS_PROBE_HEADER_AUTHORIZATION:?set it to the Authorization value}"`: the shell puts the
 * variable's value in, or stops with that note when it is unset. (A header name is an HTTP token; one with
 * characters the shell treats specially in double quotes is single-quoted, the variable joined to it.)
 */
function secretHeaderWord(name: string): ShellWord {
  const variable = secretHeaderVariable(name);
  if (/^[A-Za-z0-9._-]+$/.test(name)) return { raw: `"${name}: \${${variable}:?set it to the ${name} value}"` };
  return { raw: `${shellQuote(`${name}: `)}"\${${variable}:?set it to the header value}"` };
}

/** The environment variables the curl command reads secret header values from, with the header each holds. */
export function secretHeaderVariables(endpoint: EndpointConfig): Array<{ header: string; variable: string }> {
  return Object.keys(endpoint.headers ?? {})
    .filter((name) => isSecretHeader(name, endpoint.secretHeaders))
    .map((header) => ({ header, variable: secretHeaderVariable(header) }));
}

/** "Set MTLS_PROBE_HEADER_AUTHORIZATION (the Authorization value) first.", or null when the command needs none. */
export function secretHeaderNote(endpoint: EndpointConfig): string | null {
  const variables = secretHeaderVariables(endpoint);
  if (variables.length === 0) return null;
  return `Set ${variables.map((v) => `${v.variable} (the ${v.header} value)`).join(', ')} in the environment first: secret header values are not written into commands.`;
}

function opensslVersionFlags(endpoint: EndpointConfig): string[] {
  const min = endpoint.tlsMinVersion ?? 'TLSv1.2';
  const max = endpoint.tlsMaxVersion ?? 'TLSv1.3';
  if (min === max) return [min === 'TLSv1.2' ? '-tls1_2' : '-tls1_3'];
  if (endpoint.tlsMinVersion === undefined && endpoint.tlsMaxVersion === undefined) return [];
  return ['-min_protocol', min, '-max_protocol', max];
}

export function opensslCommand(endpoint: EndpointConfig, identity: IdentityConfig | null): string {
  const target = targetOf(endpoint);
  const words = ['openssl', 's_client', '-connect', hostPort(target.connectHost, target.connectPort)];
  if (target.serverName !== null) words.push('-servername', target.serverName);
  else words.push('-noservername');
  // openssl 3 recognises a PKCS#12 file given as -cert and reads the key from it too (-certform has no effect).
  if (identity?.kind === 'pem') words.push('-cert', identity.certFile, '-key', identity.keyFile);
  else if (identity?.kind === 'pfx') words.push('-cert', identity.pfxFile);
  if (!endpoint.insecure) {
    if (endpoint.caFile !== undefined) words.push('-CAfile', endpoint.caFile);
    // The probe refuses an untrusted server or a wrong name; s_client only reports them unless asked to stop.
    const name = target.serverName ?? target.host;
    words.push('-verify_return_error', isIP(name) === 0 ? '-verify_hostname' : '-verify_ip', name);
  }
  words.push(...opensslVersionFlags(endpoint));
  if (endpoint.alpn !== undefined && endpoint.alpn.length > 0) words.push('-alpn', endpoint.alpn.join(','));
  words.push('-showcerts', '-msg');
  return commandLine(words);
}
