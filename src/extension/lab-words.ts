// The local lab and a generated test PKI in the extension's words: what VS Code offers next, never a CLI command
// (the VSIX does not ship the CLI). No vscode import: unit-tested as is.

import * as path from 'node:path';
import type { Lab } from '../core/lab/lab';
import type { GeneratedPkiManifest } from '../core/pki/generate-pki';

const keyWords: Record<GeneratedPkiManifest['keyAlgorithm'], string> = { p256: 'ECDSA P-256', rsa2048: 'RSA 2048' };

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`.trimEnd());
}

/** What the output channel says when the lab starts: where it listens, who gets what, where its logs go. */
export function labDescription(lab: Pick<Lab, 'url' | 'mode' | 'ca' | 'trustStore' | 'crl' | 'logs' | 'details'>): string {
  const identities = Object.entries(lab.details).map(([name, d]) => [name, d.expected.stoppedAt === null ? 'accepted: the target answers' : `refused: ${d.expected.tlsVerifyStatus}`]);
  return [
    `mTLS Probe local lab (${lab.mode} mode): ${lab.url}`,
    '  an ALB-shaped TLS listener with mutual TLS, an AWS-WAF-like rule set and a target that echoes what it received',
    `  trust for its server certificate: ${lab.ca}`,
    `  trust store: ${lab.trustStore}${lab.crl !== null ? `, CRL ${lab.crl}` : ''}`,
    '  client identities (certificate chain and key in the same folder):',
    ...table(identities).map((line) => `  ${line}`),
    `  logs, in AWS's formats and layout: ${lab.logs}`,
    'Probe it from the Endpoints view (Create Workspace Config → Use the Local Lab writes a config for it). It runs while',
    'VS Code is open; Stop Local Lab, or a click on its status bar item, stops it.',
  ].join('\n');
}

/** The summary of a generated test PKI: the trust material, the server's certificate, each identity and its outcome. */
export function pkiSummary(dir: string, manifest: GeneratedPkiManifest, shown: (file: string) => string = (f) => f): string {
  const file = (name: string): string => shown(path.join(dir, name));
  const lines = [
    `Test PKI in ${shown(dir)} (${keyWords[manifest.keyAlgorithm]} keys, generated ${manifest.generatedAt.slice(0, 10)})`,
    '',
    `Trust store  ${file(manifest.trustStore)} (root + intermediate CA: what a load balancer checks client certificates against)`,
  ];
  if (manifest.crl !== undefined) lines.push(`CRL          ${file(manifest.crl)} (revokes "revoked")`);
  lines.push(`Server       ${file(manifest.server.cert)} + ${file(manifest.server.key)} (${manifest.server.names.join(', ')})`, '');
  lines.push('Client identities: a client sends the .chain.pem file (certificate + intermediate CA) with its .key.');
  lines.push(...table([['IDENTITY', 'LOAD BALANCER SAYS', 'CHAIN'], ...manifest.identities.map((id) => [id.name, id.expectedTlsVerifyStatus, id.chain])]));
  lines.push('', `Private keys (*.key) are readable by you only. ${file('manifest.json')} describes every identity.`);
  return `${lines.join('\n')}\n`;
}
