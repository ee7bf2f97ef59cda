// The distribution's viewer mTLS setup, read with CloudFront GetDistributionConfig and GetTrustStore (the API is
// global: us-east-1): what explains the probe before any log arrives, shown beside the verdict as the ALB
// listener's mode is ("this distribution requires a client certificate, so a missing one ends the handshake").

import { GetDistributionConfigCommand, GetTrustStoreCommand } from '@aws-sdk/client-cloudfront';
import type { AwsEndpointSettings } from '../../config/types';
import type { EvidenceContext } from '../types';
import { awsCall, type AwsClients } from './aws-clients';
import type { WebAclRef } from './aws-resources';

/** CloudFront's API, its connection logs and the WAF of a distribution live in this region. */
export const cloudFrontRegion = 'us-east-1';

/** `off`: the distribution has no ViewerMtlsConfig. */
export type ViewerMtlsMode = 'required' | 'optional' | 'passthrough' | 'off';

export interface DistributionViewerMtls {
  distributionId: string;
  mode: ViewerMtlsMode;
  trustStoreId: string | null;
  trustStoreName: string | null;
  /** active, pending or failed (GetTrustStore). */
  trustStoreStatus: string | null;
  /** Why the trust store is pending or failed, when CloudFront says. */
  trustStoreReason: string | null;
  caCertificates: number | null;
  advertiseTrustStoreCaNames: boolean | null;
  ignoreCertificateExpiry: boolean | null;
  /** The connection function associated with the distribution (runs during the handshake, may deny). */
  connectionFunctionId: string | null;
  aliases: string[];
  /** HTTP versions the distribution serves (viewer mTLS does not work over HTTP/3). */
  httpVersion: string | null;
}

export async function describeDistributionViewerMtls(clients: AwsClients, distributionId: string, signal?: AbortSignal): Promise<DistributionViewerMtls> {
  const global = clients.inRegion(cloudFrontRegion);
  const access = global.access;
  const resource = `CloudFront distribution ${distributionId}`;
  const output = await awsCall({ action: 'cloudfront:GetDistributionConfig', resource, access }, signal, () =>
    global.cloudFront().send(new GetDistributionConfigCommand({ Id: distributionId }), { abortSignal: signal }),
  );
  const config = output.DistributionConfig;
  const mtls = config?.ViewerMtlsConfig;
  const trust = mtls?.TrustStoreConfig;
  const mode = mtls === undefined ? 'off' : ((mtls.Mode ?? 'required').toLowerCase() as ViewerMtlsMode);
  const viewer: DistributionViewerMtls = {
    distributionId,
    mode: mode === 'optional' || mode === 'passthrough' || mode === 'off' ? mode : 'required',
    trustStoreId: trust?.TrustStoreId ?? null,
    trustStoreName: null,
    trustStoreStatus: null,
    trustStoreReason: null,
    caCertificates: null,
    advertiseTrustStoreCaNames: trust?.AdvertiseTrustStoreCaNames ?? null,
    ignoreCertificateExpiry: trust?.IgnoreCertificateExpiry ?? null,
    connectionFunctionId: config?.ConnectionFunctionAssociation?.Id ?? null,
    aliases: config?.Aliases?.Items ?? [],
    httpVersion: config?.HttpVersion ?? null,
  };
  if (viewer.trustStoreId !== null) {
    const id = viewer.trustStoreId;
    const store = await awsCall({ action: 'cloudfront:GetTrustStore', resource: `CloudFront trust store ${id}`, access }, signal, () =>
      global.cloudFront().send(new GetTrustStoreCommand({ Identifier: id }), { abortSignal: signal }),
    );
    viewer.trustStoreName = store.TrustStore?.Name ?? null;
    viewer.trustStoreStatus = store.TrustStore?.Status ?? null;
    viewer.trustStoreReason = store.TrustStore?.Reason ?? null;
    viewer.caCertificates = store.TrustStore?.NumberOfCaCertificates ?? null;
  }
  return viewer;
}

function trustStoreFacts(viewer: DistributionViewerMtls): string {
  const store = viewer.trustStoreName ?? viewer.trustStoreId;
  const facts = [
    viewer.caCertificates !== null ? `${viewer.caCertificates} CA certificate${viewer.caCertificates === 1 ? '' : 's'}` : null,
    viewer.advertiseTrustStoreCaNames === null ? null : `CA names ${viewer.advertiseTrustStoreCaNames ? '' : 'not '}advertised`,
    viewer.ignoreCertificateExpiry === true ? 'client certificate expiry ignored' : viewer.ignoreCertificateExpiry === false ? 'client certificate expiry checked' : null,
    viewer.trustStoreStatus !== null && !/^active$/i.test(viewer.trustStoreStatus) ? `trust store ${viewer.trustStoreStatus}${viewer.trustStoreReason ? `: ${viewer.trustStoreReason}` : ''}` : null,
  ].filter((f): f is string => f !== null);
  return store === null ? '' : ` with trust store ${store}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
}

/** What the distribution's viewer mTLS mode means for a probe, in one paragraph. */
export function describeViewerMtls(viewer: DistributionViewerMtls): string {
  const where = `Distribution ${viewer.distributionId}${viewer.aliases.length > 0 ? ` (${viewer.aliases.join(', ')})` : ''}`;
  const fn =
    viewer.connectionFunctionId !== null
      ? ` Connection function ${viewer.connectionFunctionId} runs after the certificate checks and allows or denies each connection (a denial is connectionStatus Failed:ConnectionFunctionDenied).`
      : '';
  const http3 = viewer.httpVersion !== null && /3/.test(viewer.httpVersion) ? ' Viewer mTLS does not work over HTTP/3: probe over HTTP/1.1 or HTTP/2.' : '';
  switch (viewer.mode) {
    case 'required':
      return (
        `${where} requires a client certificate (viewer mTLS required)${trustStoreFacts(viewer)}: CloudFront checks it at the edge during the TLS handshake, so a missing, ` +
        `untrusted or expired certificate ends the connection before any HTTP request exists — no access-log line, no WAF rule; the connection log says why.${fn}${http3}`
      );
    case 'optional':
      return `${where} asks for a client certificate without requiring one (viewer mTLS optional)${trustStoreFacts(viewer)}: a connection without one goes on, an invalid one is denied during the TLS handshake.${fn}${http3}`;
    case 'passthrough':
      return `${where} passes the client certificate to the origin (viewer mTLS passthrough): CloudFront checks only that the client holds the certificate's key, and the origin receives it in Client-Cert and Client-Cert-Chain, so any rejection of the certificate itself comes from the origin.${fn}${http3}`;
    case 'off':
      return `${where} has no viewer mTLS: CloudFront does not ask for a client certificate, so a certificate the probe sends is not checked at the edge.`;
  }
}

export function distributionContext(viewer: DistributionViewerMtls): EvidenceContext {
  return {
    title: `CloudFront distribution (viewer mTLS ${viewer.mode})`,
    summary: describeViewerMtls(viewer),
    resource: `CloudFront distribution ${viewer.distributionId}`,
    record: { ...viewer },
  };
}

/**
 * The region of the WAF's records: a distribution's web ACL (scope CLOUDFRONT), its logs, sampled requests and
 * CloudWatch metrics are in us-east-1. Known from the web ACL's ARN when one is given; otherwise a CloudFront endpoint
 * with no load balancer named is taken to be protected at the edge. The note says so when that is not the endpoint's
 * region, and that a load balancer's metrics are still read in the endpoint's region.
 */
export function wafRegionFor(settings: AwsEndpointSettings, webAcl: WebAclRef | null, region: string): { region: string; note: EvidenceContext | null } {
  const withLoadBalancer = settings.listenerArn !== undefined || settings.loadBalancerArn !== undefined;
  const atEdge = webAcl !== null ? webAcl.scope === 'CLOUDFRONT' : settings.cloudFront !== undefined && !withLoadBalancer;
  if (!atEdge || region === cloudFrontRegion || (settings.wafLogGroup === undefined && webAcl === null)) return { region: atEdge ? cloudFrontRegion : region, note: null };
  // The web ACL's own records: its settings and CloudWatch metrics always, its sampled requests when no log group is read instead.
  const aclRecords = settings.wafLogGroup === undefined ? 'its settings, CloudWatch metrics and sampled requests' : 'its settings and CloudWatch metrics';
  const what = [settings.wafLogGroup !== undefined ? `the log group ${settings.wafLogGroup}` : null, webAcl !== null ? `the web ACL ${webAcl.name} (${aclRecords})` : null].filter((w) => w !== null).join(' and ');
  const loadBalancer = webAcl !== null && withLoadBalancer ? ` The load balancer's CloudWatch metrics are read in ${region}.` : '';
  return {
    region: cloudFrontRegion,
    note: {
      title: 'AWS WAF for CloudFront',
      summary: `A distribution's web ACL and its logs are in ${cloudFrontRegion}: ${what} ${webAcl !== null && settings.wafLogGroup !== undefined ? 'are' : 'is'} read there, not in ${region} (the endpoint's "region").${loadBalancer}`,
      resource: webAcl?.arn ?? settings.wafLogGroup ?? cloudFrontRegion,
      record: { region: cloudFrontRegion, configuredRegion: region },
    },
  };
}
