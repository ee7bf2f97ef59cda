// The pieces of one connection attempt that are not tracing: the TLS context (shared between probes of the same
// identity and trust), the URL's target, the wait for each socket event, and the race of a phase against its limit
// and the caller's cancel.

import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { BoundedCache } from '../bounded-cache';
import { PhaseTimeout, ProbeAbortedError, ProbeInputError } from './probe-errors';
import type { ProbeOptions } from './types';

// Building a SecureContext parses the CA bundle, certificate and key (~1 ms). Probes with the same
// identity and trust settings share one: a matrix or a re-probe pays it once. A client context carries
// no session cache that Node resumes from on its own, so every probe stays a full handshake.
const contextsByIdentity = new WeakMap<object, BoundedCache<string, SecureContext>>();
const noIdentity = {};
// The CA bundle's digest, by the bundle itself: the same PEM text comes with every probe, hashing it each time is waste.
const caDigests = new BoundedCache<string, string>(16);

export function secureContextFor(options: ProbeOptions): SecureContext {
  const owner = options.identity ?? noIdentity;
  let contexts = contextsByIdentity.get(owner);
  if (contexts === undefined) {
    contexts = new BoundedCache(16);
    contextsByIdentity.set(owner, contexts);
  }
  const { ca } = options;
  const digest = (): string => createHash('sha256').update(ca!).digest('base64');
  const caKey = ca === undefined ? 'system' : typeof ca === 'string' ? caDigests.getOrCreate(ca, digest) : digest();
  const key = `${caKey}|${options.tlsMinVersion ?? 'TLSv1.2'}|${options.tlsMaxVersion ?? ''}`;
  return contexts.getOrCreate(key, () =>
    createSecureContext({
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(options.identity ? { cert: options.identity.certificatePem, key: options.identity.tlsKey() } : {}),
      minVersion: options.tlsMinVersion ?? 'TLSv1.2',
      ...(options.tlsMaxVersion ? { maxVersion: options.tlsMaxVersion } : {}),
    }),
  );
}

/** Races a phase against its timeout and the caller's AbortSignal (already aborted too); `cleanup` runs on timeout or abort. */
export function phase<T>(name: string, ms: number, signal: AbortSignal | undefined, work: Promise<T>, cleanup: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new PhaseTimeout(name, ms));
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      cleanup();
      reject(new ProbeAbortedError());
    };
    // A cancel that came between two phases (from an onPhase callback, say) has no event left to fire: it ends this one.
    if (signal?.aborted === true) {
      work.catch(() => undefined);
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function parseTarget(options: ProbeOptions): { url: URL; host: string; port: number } {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (e) {
    throw new ProbeInputError('bad_url', `"${options.url}" is not a URL: give one like https://api.example.com/health.`, { cause: e });
  }
  if (url.protocol !== 'https:') {
    throw new ProbeInputError('bad_url', `"${options.url}" is not an https:// URL: mTLS needs TLS.`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { url, host, port: url.port ? Number(url.port) : 443 };
}

export function waitForConnect(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
}

export function waitForHandshake(socket: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      resolve();
    });
    socket.once('error', onError);
    socket.once('close', () => reject(Object.assign(new Error('The connection closed during the TLS handshake'), { code: 'ECONNRESET' })));
  });
}
