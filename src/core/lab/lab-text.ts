// The lab in words and as JSON: what `mtls-probe lab` prints and what the extension logs when it starts one.

import { shellQuote } from '../report/reproduce-commands';
import type { Lab, LabInfo } from './lab';

/** What a client needs: `mtls-probe lab --json` prints exactly this. */
export function labInfo(lab: Lab): LabInfo {
  return { url: lab.url, ca: lab.ca, identities: lab.identities, logs: lab.logs, mode: lab.mode, front: lab.front, trustStore: lab.trustStore, crl: lab.crl };
}

const frontWords = { alb: 'ALB', cloudfront: 'CloudFront', apigateway: 'API Gateway' } as const;
const frontShape = {
  alb: 'an ALB-shaped TLS listener with mutual TLS',
  cloudfront: 'a CloudFront-shaped viewer-mTLS edge (connection logs, CloudFront-Viewer-Cert-* headers)',
  apigateway: 'an API-Gateway-shaped custom domain with mutual TLS (HTTP 403 and access-log records)',
} as const;

/** What a person reads: where it listens, what to trust, who probes with what outcome, and a command to try. */
export function describeLab(lab: Lab): string {
  const valid = lab.identities.valid;
  const identities = Object.entries(lab.details).map(([name, d]) => `    ${name.padEnd(19)} ${d.expected.stoppedAt === null ? 'accepted: the target answers' : `refused: ${d.expected.tlsVerifyStatus}`}`);
  return [
    `mTLS Probe lab (${frontWords[lab.front]}, ${lab.mode} mode): ${lab.url}`,
    `  ${frontShape[lab.front]}, an AWS-WAF-like rule set and a target that echoes what it received`,
    `  trust for its server certificate: ${lab.ca}`,
    `  trust store: ${lab.trustStore}${lab.crl !== null ? `, CRL ${lab.crl}` : ''}`,
    '  client identities (certificate chain and key in the same folder):',
    ...identities,
    `  logs, in AWS's formats and layout: ${lab.logs}`,
    '',
    'Try:',
    `  mtls-probe probe ${lab.url} --cacert ${shellQuote(lab.ca)} --evidence ${shellQuote(lab.logs)}`,
    ...(valid !== undefined ? [`  mtls-probe probe ${lab.url} --cacert ${shellQuote(lab.ca)} --cert ${shellQuote(valid.cert)} --key ${shellQuote(valid.key)} --evidence ${shellQuote(lab.logs)}`] : []),
    '',
    'Stop with Ctrl-C.',
  ].join('\n');
}

