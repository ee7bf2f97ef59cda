// The API Gateway custom domain's mutual-TLS setup, read with GetDomainName (API Gateway's REST API, which serves the
// custom domains of REST and HTTP APIs alike): what explains the probe before any access log arrives ("this domain
// checks client certificates against this trust store, and AWS warns about two of its CAs").

import { GetDomainNameCommand, type DomainName } from '@aws-sdk/client-api-gateway';
import type { EvidenceContext } from '../types';
import { awsCall, type AwsClients } from './aws-clients';

export interface ApiGatewayDomainMutualTls {
  domainName: string;
  domainNameArn: string | null;
  /** AVAILABLE, UPDATING, PENDING, PENDING_CERTIFICATE_REIMPORT, PENDING_OWNERSHIP_VERIFICATION, FAILED. */
  status: string | null;
  statusMessage: string | null;
  /** REGIONAL, EDGE, PRIVATE. */
  endpointTypes: string[];
  securityPolicy: string | null;
  /** Null when mutual TLS is off for the domain. */
  truststoreUri: string | null;
  truststoreVersion: string | null;
  /** What API Gateway found wrong in the trust store: those CAs are not trusted, mutual TLS stays on. */
  truststoreWarnings: string[];
  ownershipVerificationCertificateArn: string | null;
}

function mutualTlsOf(name: string, domain: DomainName): ApiGatewayDomainMutualTls {
  const mtls = domain.mutualTlsAuthentication;
  return {
    domainName: domain.domainName ?? name,
    domainNameArn: domain.domainNameArn ?? null,
    status: domain.domainNameStatus ?? null,
    statusMessage: domain.domainNameStatusMessage ?? null,
    endpointTypes: [...(domain.endpointConfiguration?.types ?? [])],
    securityPolicy: domain.securityPolicy ?? null,
    truststoreUri: mtls?.truststoreUri ?? null,
    truststoreVersion: mtls?.truststoreVersion ?? null,
    truststoreWarnings: [...(mtls?.truststoreWarnings ?? [])],
    ownershipVerificationCertificateArn: domain.ownershipVerificationCertificateArn ?? null,
  };
}

/** The custom domain's mutual-TLS setup and status (apigateway:GET on /domainnames/{name}). */
export async function describeApiGatewayDomain(clients: AwsClients, domainName: string, signal?: AbortSignal): Promise<ApiGatewayDomainMutualTls> {
  const context = { action: 'apigateway:GET (GetDomainName)', resource: `custom domain ${domainName}`, access: clients.access };
  const domain = await awsCall(context, signal, () => clients.apiGateway().send(new GetDomainNameCommand({ domainName }), { abortSignal: signal }));
  return mutualTlsOf(domainName, domain);
}

function listed(values: readonly string[], max = 3): string {
  return values.length <= max ? values.join('; ') : `${values.slice(0, max).join('; ')} … (+${values.length - max})`;
}

/** What the domain's setup means for a probe, in one paragraph. */
export function describeApiGatewayDomainSetup(domain: ApiGatewayDomainMutualTls): string {
  const facts = [domain.endpointTypes.length > 0 ? domain.endpointTypes.join(', ') : null, domain.securityPolicy].filter((f) => f !== null);
  const where = `Custom domain ${domain.domainName}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
  const status =
    domain.status !== null && domain.status !== 'AVAILABLE'
      ? ` Its status is ${domain.status}${domain.statusMessage !== null ? ` ("${domain.statusMessage}")` : ''}: until it is AVAILABLE a change of its trust store may not be in effect.`
      : '';
  if (domain.truststoreUri === null) {
    return `${where} has mutual TLS off: API Gateway does not ask for a client certificate, so a 403 from it is not mutual TLS's.${status}`;
  }
  const version = domain.truststoreVersion !== null ? ` (version ${domain.truststoreVersion})` : '';
  const warnings =
    domain.truststoreWarnings.length > 0
      ? ` API Gateway warns about ${domain.truststoreWarnings.length === 1 ? 'one' : domain.truststoreWarnings.length} of its certificates (${listed(domain.truststoreWarnings)}): mutual TLS stays on, but a client whose certificate chains to one of them may be refused (AWS: "some clients might not be able to access your API").`
      : ' API Gateway has no warning about the trust store.';
  return (
    `${where} requires mutual TLS with the trust store ${domain.truststoreUri}${version}:` +
    ' it asks for a client certificate in the TLS handshake, and answers a request whose certificate is missing or refused with HTTP 403 after the handshake — the refusal is an HTTP answer, not a reset or an alert.' +
    `${warnings}${status}`
  );
}

export function apiGatewayDomainContext(domain: ApiGatewayDomainMutualTls): EvidenceContext {
  const state = domain.truststoreUri === null ? 'mTLS off' : domain.truststoreWarnings.length > 0 ? `mTLS on, ${domain.truststoreWarnings.length} truststore warning${domain.truststoreWarnings.length === 1 ? '' : 's'}` : 'mTLS on';
  return {
    title: `API Gateway custom domain (${state})`,
    summary: describeApiGatewayDomainSetup(domain),
    resource: domain.domainNameArn ?? domain.domainName,
    record: { ...domain, truststoreWarnings: [...domain.truststoreWarnings], endpointTypes: [...domain.endpointTypes] },
  };
}
