import { readFile } from 'node:fs/promises';
import { loadPemIdentity, loadPfxIdentity, type ClientIdentity } from '../identity/client-identity';
import { defaultTimeouts } from '../probe/phase-timeouts';
import type { PhaseTimeouts, ProbeOptions } from '../probe/types';
import type { EndpointConfig, IdentityConfig } from './types';

/** Why a configured check cannot run: `identity_not_defined`, `ca_unreadable` (the cause says why), `ca_not_pem`. */
export type ConfigRunErrorCode = 'identity_not_defined' | 'ca_unreadable' | 'ca_not_pem';

/**
 * A configured check that cannot run as written: an identity the config does not define, a CA file that
 * is missing or not PEM. Names the file and the endpoint; never carries key material or passphrases.
 */
export class ConfigRunError extends Error {
  constructor(readonly code: ConfigRunErrorCode, readonly file: string | undefined, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigRunError';
  }
}

/** Loads an identity named in the config; the probe result and reports label it with the config's name. */
export function loadConfiguredIdentity(identity: IdentityConfig, passphrase?: string): Promise<ClientIdentity> {
  const pass = passphrase !== undefined ? { passphrase } : {};
  if (identity.kind === 'pfx') return loadPfxIdentity({ pfxFile: identity.pfxFile, label: identity.name, ...pass });
  return loadPemIdentity({ certFile: identity.certFile, keyFile: identity.keyFile, label: identity.name, ...pass });
}

/** Reads an endpoint's CA bundle; the probe hands it to TLS as PEM, so anything else is refused here. */
export async function readEndpointCa(endpoint: EndpointConfig, file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user (check its permissions)' : code === 'EISDIR' ? 'is a directory; name the PEM file itself' : `could not be read (${code ?? (e as Error).message})`;
    throw new ConfigRunError('ca_unreadable', file, `The CA file ${file} of endpoint "${endpoint.name}" ${why}.`, { cause: e });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigRunError('ca_not_pem', file, `The CA file ${file} of endpoint "${endpoint.name}" contains no PEM CERTIFICATE block: give a PEM bundle of the CAs that issued the server's certificate.`);
  }
  return text;
}

const defaultTotalMs = defaultTimeouts.dns + defaultTimeouts.connect + defaultTimeouts.tls + defaultTimeouts.http;

/**
 * The probe runs its phases one after another, each with its own limit. An endpoint's `timeoutMs` bounds the
 * whole attempt, so it is shared out in the proportions of the defaults (DNS 1/7, connect 1/7, handshake 2/7,
 * response 3/7): the phases together never exceed it, and the slow phases keep the larger share.
 */
export function phaseTimeoutsFor(timeoutMs: number): PhaseTimeouts {
  const share = (phaseDefault: number): number => Math.max(1, Math.floor((timeoutMs * phaseDefault) / defaultTotalMs));
  return { dns: share(defaultTimeouts.dns), connect: share(defaultTimeouts.connect), tls: share(defaultTimeouts.tls), http: share(defaultTimeouts.http) };
}

export interface ProbeRunExtras {
  signal?: AbortSignal;
  correlationId?: string;
}

/** The probe options for one endpoint and identity (null: no client certificate). Reads the CA file. */
export async function probeOptionsFor(endpoint: EndpointConfig, identity: ClientIdentity | null, extra: ProbeRunExtras = {}): Promise<ProbeOptions> {
  const ca = endpoint.caFile !== undefined ? await readEndpointCa(endpoint, endpoint.caFile) : undefined;
  return {
    url: endpoint.url,
    identity,
    ...(ca !== undefined ? { ca } : {}),
    ...(endpoint.insecure ? { insecure: true } : {}),
    ...(endpoint.serverName !== undefined ? { serverName: endpoint.serverName } : {}),
    ...(endpoint.hostHeader !== undefined ? { hostHeader: endpoint.hostHeader } : {}),
    ...(endpoint.connectTo !== undefined ? { connectTo: { ...endpoint.connectTo } } : {}),
    ...(endpoint.tlsMinVersion !== undefined ? { tlsMinVersion: endpoint.tlsMinVersion } : {}),
    ...(endpoint.tlsMaxVersion !== undefined ? { tlsMaxVersion: endpoint.tlsMaxVersion } : {}),
    ...(endpoint.alpn !== undefined ? { alpn: [...endpoint.alpn] } : {}),
    ...(endpoint.method !== undefined ? { method: endpoint.method } : {}),
    ...(endpoint.headers !== undefined ? { headers: { ...endpoint.headers } } : {}),
    ...(endpoint.timeoutMs !== undefined ? { timeouts: phaseTimeoutsFor(endpoint.timeoutMs) } : {}),
    ...(extra.signal !== undefined ? { signal: extra.signal } : {}),
    ...(extra.correlationId !== undefined ? { correlationId: extra.correlationId } : {}),
  };
}
