// The listener's mutual-TLS setup, read with ELBv2 DescribeListeners and DescribeTrustStores: what explains
// the probe before any log arrives ("this listener is in verify mode, so a missing certificate is rejected
// during the handshake").

import { DescribeListenersCommand, DescribeTrustStoresCommand, type Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EvidenceContext } from '../types';
import { awsCall, type AwsClients } from './aws-clients';

export type MutualTlsMode = 'off' | 'passthrough' | 'verify';

export interface ListenerMutualTls {
  listenerArn: string;
  port: number | null;
  protocol: string | null;
  mode: MutualTlsMode;
  trustStoreArn: string | null;
  trustStoreName: string | null;
  /** ACTIVE or DELETED (the trust store), or the listener's association status. */
  trustStoreStatus: string | null;
  caCertificates: number | null;
  revokedEntries: number | null;
  advertiseTrustStoreCaNames: boolean | null;
  ignoreClientCertificateExpiry: boolean | null;
}

export interface ListenerLookup {
  listenerArn?: string;
  loadBalancerArn?: string;
  /** The probe's port: picks the listener when only the load balancer is known. */
  port?: number;
}

function mutualTlsOf(listener: Listener): ListenerMutualTls {
  const mtls = listener.MutualAuthentication;
  const mode = (mtls?.Mode ?? 'off').toLowerCase();
  return {
    listenerArn: listener.ListenerArn ?? '',
    port: listener.Port ?? null,
    protocol: listener.Protocol ?? null,
    mode: mode === 'verify' || mode === 'passthrough' ? mode : 'off',
    trustStoreArn: mtls?.TrustStoreArn ?? null,
    trustStoreName: null,
    trustStoreStatus: mtls?.TrustStoreAssociationStatus ?? null,
    caCertificates: null,
    revokedEntries: null,
    advertiseTrustStoreCaNames: mtls?.AdvertiseTrustStoreCaNames === undefined ? null : mtls.AdvertiseTrustStoreCaNames === 'on',
    ignoreClientCertificateExpiry: mtls?.IgnoreClientCertificateExpiry ?? null,
  };
}

/**
 * The listeners to show: the one named, or the load balancer's HTTPS listener on the probe's port (all its
 * HTTPS listeners when none is on that port).
 */
export async function describeListenerMutualTls(clients: AwsClients, lookup: ListenerLookup, signal?: AbortSignal): Promise<ListenerMutualTls[]> {
  const access = clients.access;
  const listeners: Listener[] = [];
  if (lookup.listenerArn !== undefined) {
    const context = { action: 'elasticloadbalancing:DescribeListeners', resource: lookup.listenerArn, access };
    const page = await awsCall(context, signal, () => clients.elbv2().send(new DescribeListenersCommand({ ListenerArns: [lookup.listenerArn!] }), { abortSignal: signal }));
    listeners.push(...(page.Listeners ?? []));
  } else if (lookup.loadBalancerArn !== undefined) {
    const context = { action: 'elasticloadbalancing:DescribeListeners', resource: lookup.loadBalancerArn, access };
    let marker: string | undefined;
    do {
      const page = await awsCall(context, signal, () =>
        clients.elbv2().send(new DescribeListenersCommand({ LoadBalancerArn: lookup.loadBalancerArn, ...(marker !== undefined ? { Marker: marker } : {}) }), { abortSignal: signal }),
      );
      listeners.push(...(page.Listeners ?? []));
      marker = page.NextMarker || undefined;
    } while (marker !== undefined);
  }
  const https = listeners.filter((l) => l.Protocol === undefined || l.Protocol === 'HTTPS');
  const onPort = https.filter((l) => lookup.port !== undefined && l.Port === lookup.port);
  const chosen = (lookup.listenerArn !== undefined ? listeners : onPort.length > 0 ? onPort : https).map(mutualTlsOf);

  const trustStoreArns = [...new Set(chosen.map((l) => l.trustStoreArn).filter((arn): arn is string => arn !== null))];
  if (trustStoreArns.length > 0) {
    const context = { action: 'elasticloadbalancing:DescribeTrustStores', resource: trustStoreArns.join(', '), access };
    const page = await awsCall(context, signal, () => clients.elbv2().send(new DescribeTrustStoresCommand({ TrustStoreArns: trustStoreArns }), { abortSignal: signal }));
    for (const store of page.TrustStores ?? []) {
      for (const listener of chosen.filter((l) => l.trustStoreArn === store.TrustStoreArn)) {
        listener.trustStoreName = store.Name ?? null;
        listener.trustStoreStatus = store.Status ?? listener.trustStoreStatus;
        listener.caCertificates = store.NumberOfCaCertificates ?? null;
        listener.revokedEntries = store.TotalRevokedEntries ?? null;
      }
    }
  }
  return chosen;
}

/** What the listener's mode means for a probe, in one paragraph. */
export function describeListener(listener: ListenerMutualTls): string {
  const where = `Listener ${listener.protocol ?? 'HTTPS'}:${listener.port ?? '?'}`;
  switch (listener.mode) {
    case 'verify': {
      const store = listener.trustStoreName ?? listener.trustStoreArn ?? 'its trust store';
      const facts = [
        listener.caCertificates !== null ? `${listener.caCertificates} CA certificate${listener.caCertificates === 1 ? '' : 's'}` : null,
        listener.revokedEntries ? `${listener.revokedEntries} revoked entries` : null,
        listener.advertiseTrustStoreCaNames === null ? null : `CA names ${listener.advertiseTrustStoreCaNames ? '' : 'not '}advertised`,
        listener.ignoreClientCertificateExpiry === true ? 'client certificate expiry ignored' : listener.ignoreClientCertificateExpiry === false ? 'client certificate expiry checked' : null,
        listener.trustStoreStatus !== null && !/^active$/i.test(listener.trustStoreStatus) ? `trust store ${listener.trustStoreStatus}` : null,
      ].filter((f): f is string => f !== null);
      return (
        `${where} is in mTLS verify mode with trust store ${store}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}: ` +
        'the load balancer checks the client certificate during the TLS handshake, so a missing, untrusted or expired certificate ends the connection before any HTTP request exists — no access-log line, no WAF rule.'
      );
    }
    case 'passthrough':
      return `${where} is in mTLS passthrough mode: the load balancer does not verify the client certificate; it forwards the chain to the target in X-Amzn-Mtls-Clientcert, so any rejection comes from the target (after the WAF).`;
    case 'off':
      return `${where} has mutual TLS off: the load balancer does not ask for a client certificate, so a certificate the probe sends is ignored.`;
  }
}

export function listenerContext(listener: ListenerMutualTls): EvidenceContext {
  return { title: `ALB listener (mTLS ${listener.mode})`, summary: describeListener(listener), resource: listener.listenerArn, record: { ...listener } };
}
