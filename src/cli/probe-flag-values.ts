import { readFile } from 'node:fs/promises';
import type { ProbeOptions, TlsVersionName } from '../core/probe/types';
import { choice, positiveInt } from './arguments';
import { parseCurlConnectTo, parseCurlResolve } from './curl-routing';
import { BadArgumentError, BadInputError, UnreadableFileError, reasonOf } from './errors';
import type { connectionOptions } from './probe-flags';
import type { OptionValues, Options } from './shell';

// The values of the flags probe and matrix share (their table and help: probe-flags.ts), mapped to the probe
// engine's options the same way for both. Loaded with the command's code, not with its --help.

/**
 * An option of the other command would be silently ignored, and parseArgs would only call it unknown: each
 * command parses the other's options too and refuses them by name.
 */
export function refuseOptionsOf(values: Record<string, unknown>, other: Options, command: 'probe' | 'matrix'): void {
  const given = Object.keys(other).find((flag) => values[flag] !== undefined);
  if (given !== undefined) throw new BadArgumentError(`--${given} is not a ${command} option. See mtls-probe ${command} --help.`);
}

type ConnectionValues = OptionValues<typeof connectionOptions>;

const tlsVersions = ['1.2', '1.3'] as const;

function tlsVersion(value: string | undefined, flag: string): TlsVersionName | undefined {
  return value === undefined ? undefined : `TLSv${choice(value, tlsVersions, flag, (v) => v.replace(/^TLSv?/i, ''))}`;
}

/** The URL, or an error that shows the URL meant: "api.example.com/health" is https://api.example.com/health. */
export function parseProbeUrl(url: string): URL {
  // Without "//" new URL() fails on "host/path" and takes "host:8443" for a scheme: both are a host without https://.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const meant = `https://${url.replace(/^\/+/, '')}`;
    if (URL.canParse(meant)) throw new BadArgumentError(`"${url}" has no scheme: did you mean ${meant}?`);
  } else if (/^http:\/\//i.test(url)) {
    throw new BadArgumentError(`"${url}" is not an https:// URL, and mTLS needs TLS: did you mean https://${url.slice('http://'.length)}?`);
  }
  try {
    return new URL(url);
  } catch (e) {
    throw new BadArgumentError(`"${url}" is not a URL: give one like https://api.example.com/health.`, { cause: e });
  }
}

/** `--cacert FILE`: the probe hands it to TLS as PEM, so anything else is refused here. */
export async function readCaFlag(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'latin1');
  } catch (e) {
    throw new UnreadableFileError(`--cacert ${file} could not be read (${reasonOf(e)}).`, { cause: e });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new BadInputError(`--cacert ${file} contains no PEM CERTIFICATE block.`);
  return text;
}

function headersFrom(flags: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of flags) {
    const i = h.indexOf(':');
    if (i <= 0) throw new BadArgumentError(`-H takes "Name: value", not "${h}".`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  return headers;
}

/** The probe engine's options for one URL from the shared flags (the identity is the caller's). */
export function probeOptionsFrom(values: ConnectionValues, url: string, ca: string | undefined): Omit<ProbeOptions, 'identity'> {
  const parsed = parseProbeUrl(url);
  const connectTo = values['connect-to'] ? parseCurlConnectTo(values['connect-to'], parsed) : values.resolve ? parseCurlResolve(values.resolve, parsed) : undefined;
  const phaseTimeout = positiveInt(values.timeout, '--timeout');
  const connectTimeout = positiveInt(values['connect-timeout'], '--connect-timeout');
  const headers = headersFrom(values.header ?? []);
  const tlsMin = tlsVersion(values['tls-min'], '--tls-min');
  const tlsMax = tlsVersion(values['tls-max'], '--tls-max');
  const alpn = values['http1.1'] ? ['http/1.1'] : values.alpn?.split(',').map((s) => s.trim()).filter(Boolean);
  // -H Host overrides the engine's own Host header rather than adding a second one.
  const hostHeader = Object.entries(headers).find(([k]) => k.toLowerCase() === 'host')?.[1];
  return {
    url,
    ...(ca !== undefined ? { ca } : {}),
    ...(values.insecure ? { insecure: true } : {}),
    ...(values.sni !== undefined ? { serverName: values.sni } : {}),
    ...(hostHeader !== undefined ? { hostHeader } : {}),
    ...(connectTo ? { connectTo } : {}),
    ...(tlsMin ? { tlsMinVersion: tlsMin } : {}),
    ...(tlsMax ? { tlsMaxVersion: tlsMax } : {}),
    ...(alpn ? { alpn } : {}),
    ...(values.request ? { method: values.request } : {}),
    headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'host')),
    ...(values.data !== undefined ? { body: values.data } : {}),
    ...(values['handshake-only'] ? { handshakeOnly: true } : {}),
    timeouts: {
      ...(phaseTimeout ? { dns: phaseTimeout, connect: phaseTimeout, tls: phaseTimeout, http: phaseTimeout } : {}),
      ...(connectTimeout ? { connect: connectTimeout } : {}),
    },
  };
}
