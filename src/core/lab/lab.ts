// The local lab: "ALB with mTLS + AWS WAF + a target" on this machine, with no AWS account. A test PKI from the
// certificate toolkit (one client identity per ALB verify failure), the ALB-shaped listener, a WAF stage with rules
// in the spirit of AWS's managed rules, a target that echoes what it got, and every log in AWS's own format and
// layout under `logs/` — written before the client sees the outcome, so a probe's evidence can read it at once.

import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generatePki, type GeneratedPkiManifest } from '../pki/generate-pki';
import { startAlbListener, type ListenerMode } from './alb-listener';
import { LabLogWriter } from './aws-log-writer';
import { trustStoreFrom } from './client-verification';
import { apiGatewayFront, cloudFrontFront, cloudFrontStatus, labFronts, type LabFront, type LabFrontName } from './lab-fronts';
import { labRequestHandler, type LabResources } from './lab-stages';
import { RateState } from './waf-rules';

export type LabMode = ListenerMode;
export const labModes: readonly LabMode[] = ['verify', 'passthrough', 'off'];

export interface LabOptions {
  /** Default: a free port. */
  port?: number;
  host?: string;
  /** Where the PKI (pki/) and the logs (logs/) go; reused when it already holds a PKI. Default: a temporary folder, removed on close. */
  dir?: string;
  mode?: LabMode;
  /** Which AWS front the lab stands in for (lab-fronts.ts); default `alb`. */
  front?: LabFrontName;
  /** ALB's AdvertiseTrustStoreCaNames (default on: the trace shows which CAs the listener wants). */
  advertiseCaNames?: boolean;
  /** ALB's IgnoreClientCertificateExpiry. */
  ignoreClientCertificateExpiry?: boolean;
  /** Addresses or CIDRs the WAF's IP set blocks. */
  blockedIps?: string[];
  /** The WAF's rate-based rule: requests per client address in the window (default 100 per 60 s). */
  rateLimit?: number;
  /**
   * Header names the WAF log writes as REDACTED (AWS WAF's RedactedFields), beyond Authorization, Cookie and the other
   * credentials it always redacts.
   */
  secretHeaders?: readonly string[];
}

/** What a probe with this identity should end with, in this mode. */
export interface LabExpectation {
  /** The connection log's tls_verify_status. */
  tlsVerifyStatus: string;
  stoppedAt: 'mtls' | null;
  /** The verdict's reason once the lab's logs confirm it. */
  reason: string;
}

export interface LabIdentity {
  /** The certificate and its intermediates (what a client sends). */
  cert: string;
  key: string;
  description: string;
  expected: LabExpectation;
}

/** What `mtls-probe lab --json` prints first: everything a client needs. */
export interface LabInfo {
  url: string;
  /** The CA a client trusts for the lab's server certificate. */
  ca: string;
  identities: Record<string, { cert: string; key: string }>;
  logs: string;
  mode: LabMode;
  front: LabFrontName;
  /** The trust store (CA bundle) and CRL the listener checks client certificates against. */
  trustStore: string;
  crl: string | null;
}

export interface Lab extends LabInfo {
  dir: string;
  details: Record<string, LabIdentity>;
  /** Writes the current minute's CloudWatch datapoints now (a short session would otherwise end before its minute). */
  flushMetrics(): Promise<void>;
  close(): Promise<void>;
}

/** The AWS names the lab's logs carry: a made-up account and resources, in AWS's shapes. */
export const labResources: LabResources = {
  accountId: '123456789012',
  region: 'eu-west-1',
  loadBalancer: { name: 'lab', id: '50dc6c495c0c9188' },
  webAclName: 'lab-web-acl',
  nodeIp: '10.0.0.1',
};

function snakeCase(code: string): string {
  return code.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/**
 * In verify mode a failed check ends at mTLS with the front's own reason once its logs confirm it: ALB's and
 * CloudFront's from their connection logs (a CRL hit is CloudFront's connection function refusing), API
 * Gateway's 403 from its access log. Otherwise the application answers.
 */
export function labExpectation(tlsVerifyStatus: string, mode: LabMode, front: LabFrontName = 'alb'): LabExpectation {
  if (mode !== 'verify' || tlsVerifyStatus === 'Success') return { tlsVerifyStatus: mode === 'verify' ? tlsVerifyStatus : 'Success', stoppedAt: null, reason: 'target_responded' };
  const code = snakeCase(tlsVerifyStatus.replace(/^Failed:/, ''));
  if (front === 'cloudfront') {
    const status = cloudFrontStatus(tlsVerifyStatus).status;
    const reason = snakeCase(status.replace(/^Failed:/, ''));
    return { tlsVerifyStatus: status, stoppedAt: 'mtls', reason: reason === 'connection_function_denied' ? reason : `cloudfront_${reason}` };
  }
  if (front === 'apigateway') {
    // API Gateway checks no revocation: a revoked certificate is accepted there.
    if (tlsVerifyStatus === 'Failed:ClientCertCrlHit') return { tlsVerifyStatus: 'Success', stoppedAt: null, reason: 'target_responded' };
    const named: Record<string, string> = {
      'Failed:ClientCertMissing': 'apigateway_403_no_client_certificate',
      'Failed:ClientCertUntrusted': 'apigateway_client_cert_untrusted',
      'Failed:ClientCertExpired': 'apigateway_client_cert_expired',
    };
    return { tlsVerifyStatus, stoppedAt: 'mtls', reason: named[tlsVerifyStatus] ?? 'apigateway_client_cert_refused' };
  }
  return { tlsVerifyStatus, stoppedAt: 'mtls', reason: `alb_${code}` };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The PKI in DIR/pki: generated once, reused by later labs on the same folder (its manifest marks it complete). */
async function labPki(dir: string): Promise<GeneratedPkiManifest> {
  const pkiDir = join(dir, 'pki');
  const manifestFile = join(pkiDir, 'manifest.json');
  if (!(await exists(manifestFile))) return generatePki(pkiDir);
  return JSON.parse(await readFile(manifestFile, 'utf8')) as GeneratedPkiManifest;
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const mode = options.mode ?? 'verify';
  if (!labModes.includes(mode)) throw new TypeError(`mode must be verify, passthrough or off, not "${String(mode)}"`);
  const frontName = options.front ?? 'alb';
  if (!labFronts.includes(frontName)) throw new TypeError(`front must be alb, cloudfront or apigateway, not "${String(frontName)}"`);
  const temporary = options.dir === undefined;
  const dir = options.dir !== undefined ? resolve(options.dir) : await mkdtemp(join(tmpdir(), 'mtls-probe-lab-'));
  const pkiDir = join(dir, 'pki');
  const manifest = await labPki(dir);
  const file = (name: string): string => join(pkiDir, name);
  const [bundle, crl, serverCert, serverKey] = await Promise.all([
    readFile(file(manifest.trustStore), 'utf8'),
    manifest.crl !== undefined ? readFile(file(manifest.crl), 'utf8') : Promise.resolve(''),
    readFile(file(manifest.server.cert), 'utf8'),
    readFile(file(manifest.server.key), 'utf8'),
  ]);
  const logs = join(dir, 'logs');
  // There before the first connection: a client may name it as its evidence folder straight away.
  await mkdir(logs, { recursive: true });
  const writer = new LabLogWriter({ dir: logs, ...labResources });
  const trustStore = trustStoreFrom(bundle, crl === '' ? [] : [crl], { ignoreClientCertificateExpiry: options.ignoreClientCertificateExpiry ?? false });
  const front: LabFront | undefined = frontName === 'cloudfront' ? cloudFrontFront(writer) : frontName === 'apigateway' ? apiGatewayFront(writer, trustStoreFrom(bundle, [], { ignoreClientCertificateExpiry: false })) : undefined;
  const listener = await startAlbListener({
    mode: front?.listenerMode(mode) ?? mode,
    tls: {
      certPem: serverCert,
      keyPem: serverKey,
      trustStorePem: bundle,
      trustStore,
      advertiseCaNames: options.advertiseCaNames ?? true,
      ...(front !== undefined ? { maxVersion: front.maxVersion } : {}),
    },
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...labRequestHandler(writer, new RateState({ ...(options.blockedIps !== undefined ? { blockedIps: options.blockedIps } : {}), ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}) }), options.secretHeaders, front),
  });
  const details: Record<string, LabIdentity> = {};
  for (const identity of manifest.identities) {
    details[identity.name] = { cert: file(identity.chain), key: file(identity.key), description: identity.description, expected: labExpectation(identity.expectedTlsVerifyStatus, mode, frontName) };
  }
  let closed = false;
  return {
    url: `https://localhost:${listener.port}/`,
    ca: file('root-ca.pem'),
    identities: Object.fromEntries(Object.entries(details).map(([name, d]) => [name, { cert: d.cert, key: d.key }])),
    logs,
    mode,
    front: frontName,
    trustStore: file(manifest.trustStore),
    crl: manifest.crl !== undefined ? file(manifest.crl) : null,
    dir,
    details,
    flushMetrics: () => writer.flushMetrics(),
    close: async () => {
      if (closed) return;
      closed = true;
      await listener.close();
      await writer.close();
      if (temporary) await rm(dir, { recursive: true, force: true });
    },
  };
}
