// The real inputs the fuzzer mutates: captured TLS sessions (test/fixtures/captures), the certificate and key files of
// the product's own PKI generator (test/fuzz/corpus/pki.json, see make-corpus.ts), log lines in each format the
// evidence reads (as AWS, ModSecurity and the lab write them), workspace configs and saved runs. All fixed, so a
// seeded run sees the same seeds every time.

import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { starterConfigText } from '../../src/core/config/starter-config';
import { cloudFrontConnectionLogFields } from '../../src/core/evidence/logs/cloudfront-connection-log';
import type { WireDirection } from '../../src/core/tls/session-decoder';

export interface Capture {
  name: string;
  keyLog: string;
  chunks: Array<{ t: number; dir: WireDirection; data: Buffer }>;
}

let captureCache: Capture[] | undefined;

export function captures(): Capture[] {
  if (captureCache !== undefined) return captureCache;
  const dir = new URL('../fixtures/captures/', import.meta.url);
  captureCache = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const raw = JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as { keyLog: string; chunks: Array<{ t: number; dir: WireDirection; hex: string }> };
      return { name, keyLog: raw.keyLog, chunks: raw.chunks.map((c) => ({ t: c.t, dir: c.dir, data: Buffer.from(c.hex, 'hex') })) };
    });
  return captureCache;
}

let pkiCache: Map<string, Buffer> | undefined;

/** The PKI corpus by file name ("p256/valid.pem", "rsa2048/valid-3des.p12", …). */
export function pkiFiles(): Map<string, Buffer> {
  if (pkiCache !== undefined) return pkiCache;
  const corpus = JSON.parse(readFileSync(new URL('./corpus/pki.json', import.meta.url), 'utf8')) as { files: Array<{ name: string; base64: string }> };
  pkiCache = new Map(corpus.files.map((f) => [f.name, Buffer.from(f.base64, 'base64')]));
  return pkiCache;
}

export function pkiFile(name: string): Buffer {
  const file = pkiFiles().get(name);
  if (file === undefined) throw new Error(`no ${name} in test/fuzz/corpus/pki.json`);
  return file;
}

/** The DER of every PEM block of a PEM file. */
export function pemDers(pem: Buffer): Buffer[] {
  return [...pem.toString('latin1').matchAll(/-----BEGIN [^-]+-----([^-]+)-----END [^-]+-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

/** Every certificate DER of the corpus. */
export function certificateDers(): Buffer[] {
  return [...pkiFiles()].filter(([name]) => /\.(pem)$/.test(name) && !name.endsWith('.key')).flatMap(([, pem]) => (pem.includes('BEGIN CERTIFICATE') ? pemDers(pem) : []));
}

// ---- logs ------------------------------------------------------------------------------------------------

/** The probe the log seeds are about, so the collector's matching code runs on them. */
export const logProbe = {
  traceId: 'Root=1-67891233-abcdef012345678912345678',
  clientIp: '203.0.113.7',
  clientPort: 49152,
  serial: '4A3B2C1D',
  connTraceId: 'TID_0123456789abcdef0123456789abcdef',
  from: '2026-01-15T12:00:00.000Z',
  to: '2026-01-15T12:00:02.000Z',
};

export const connectionLogLines = [
  `2026-01-15T12:00:00.500000Z 203.0.113.7 49152 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 0.004 "CN=probe client,O=mTLS Probe Test PKI" NotBefore=2024-01-01T00:00:00Z;NotAfter=2030-01-01T00:00:00Z 4A3B2C1D Success TID_0123456789abcdef0123456789abcdef x25519 app/edge/50dc6c495c0c9188 10.0.0.1`,
  `2026-01-15T12:00:01.000000Z 203.0.113.7 49153 443 - - - - - - Failed:ClientCertUntrusted TID_ffff456789abcdef0123456789abcdef - app/edge/50dc6c495c0c9188 10.0.0.1`,
  `2026-01-15T12:00:01.200000Z [2001:db8::1] 49154 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.002 "CN=a \\"quoted\\" name" - 00FF Failed:ClientCertExpired - x25519 - - extra1 extra2`,
];

export const accessLogLines = [
  `https 2026-01-15T12:00:00.900000Z app/edge/50dc6c495c0c9188 203.0.113.7:49152 10.0.1.5:8080 0.001 0.004 0.000 200 200 120 512 "GET https://api.example.com:443/health?q=1 HTTP/1.1" "curl/8.5.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067 "Root=1-67891233-abcdef012345678912345678" "api.example.com" "arn:aws:acm:eu-west-1:123456789012:certificate/12345678" 0 2026-01-15T12:00:00.895000Z "waf,forward" "-" "-" "10.0.1.5:8080" "200" "-" "-" TID_0123456789abcdef0123456789abcdef`,
  `h2 2026-01-15T12:00:01.100000Z app/edge/50dc6c495c0c9188 203.0.113.7:49153 - -1 -1 -1 403 - 96 214 "GET https://api.example.com:443/?id=1%27%20or%20%271%27=%271 HTTP/2.0" "Mozilla/5.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 - "Root=1-67891233-abcdef012345678912345678" "api.example.com" "-" 0 2026-01-15T12:00:01.090000Z "waf" "-" "-" "-" "-" "-" "-" -`,
];

export const wafLogLines = [
  JSON.stringify({
    timestamp: Date.parse('2026-01-15T12:00:01.000Z'),
    formatVersion: 1,
    webaclId: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/a1b2c3d4',
    terminatingRuleId: 'AWS-AWSManagedRulesSQLiRuleSet',
    terminatingRuleType: 'MANAGED_RULE_GROUP',
    action: 'BLOCK',
    httpSourceName: 'ALB',
    httpSourceId: '123456789012-app/edge/50dc6c495c0c9188',
    ruleGroupList: [{ ruleGroupId: 'AWS#AWSManagedRulesSQLiRuleSet', terminatingRule: { ruleId: 'SQLi_QUERYARGUMENTS', action: 'BLOCK' } }],
    labels: [{ name: 'awswaf:managed:aws:sql-database:SQLi_QueryArguments' }],
    httpRequest: {
      clientIp: '203.0.113.7',
      country: 'NL',
      headers: [
        { name: 'Host', value: 'api.example.com' },
        { name: 'X-Amzn-Trace-Id', value: 'Root=1-67891233-abcdef012345678912345678' },
      ],
      uri: '/',
      args: "id=1' or '1'='1",
      httpVersion: 'HTTP/2.0',
      httpMethod: 'GET',
      requestId: '1-67891233-abcdef012345678912345678',
    },
  }),
  JSON.stringify({ timestamp: Date.parse('2026-01-15T12:00:01.500Z'), action: 'ALLOW', terminatingRuleId: 'Default_Action', httpRequest: { clientIp: '203.0.113.7', headers: [], requestId: 'Root=1-67891233-abcdef012345678912345678' } }),
];

export const modSecurityLines = [
  JSON.stringify({
    transaction: {
      client_ip: '203.0.113.7',
      time_stamp: 'Thu Jan 15 12:00:01 2026',
      server_id: 'd5d4f1c2',
      client_port: 49152,
      host_ip: '127.0.0.1',
      host_port: 8443,
      unique_id: '176847840112.345678',
      request: { method: 'GET', http_version: 1.1, uri: "/?id=1' or '1'='1", headers: { Host: 'localhost', 'X-Amzn-Trace-Id': 'Root=1-67891233-abcdef012345678912345678' } },
      response: { http_code: 403, headers: {} },
      producer: { modsecurity: 'ModSecurity v3.0.9 (Linux)', connector: 'ModSecurity-nginx v1.0.3' },
      messages: [{ message: 'SQL Injection Attack Detected via libinjection', details: { ruleId: '942100', severity: '2', data: 'Matched Data: s&sos found', match: 'detected SQLi', file: 'REQUEST-942.conf', tags: ['attack-sqli'] } }],
    },
  }),
];

export const metricStreamLines = [
  JSON.stringify({
    metric_stream_name: 'mtls-probe-lab',
    account_id: '123456789012',
    region: 'eu-west-1',
    namespace: 'AWS/ApplicationELB',
    metric_name: 'ClientTLSNegotiationErrorCount',
    dimensions: { LoadBalancer: 'app/edge/50dc6c495c0c9188' },
    timestamp: Date.parse('2026-01-15T12:00:00.000Z'),
    value: { max: 1, min: 1, sum: 1, count: 1 },
    unit: 'Count',
  }),
  JSON.stringify({
    metric_stream_name: 'mtls-probe-lab',
    account_id: '123456789012',
    region: 'eu-west-1',
    namespace: 'AWS/WAFV2',
    metric_name: 'BlockedRequests',
    dimensions: { WebACL: 'edge', Region: 'eu-west-1', Rule: 'ALL' },
    timestamp: Date.parse('2026-01-15T12:00:00.000Z'),
    value: { max: 1, min: 1, sum: 2, count: 2 },
    unit: 'Count',
  }),
];

/** API Gateway access logs in two owners' JSON formats: one flat with clientCert fields (mutual TLS failed), one nested. */
export const apiGatewayAccessLines = [
  JSON.stringify({
    requestId: 'c0ffee00-1111-4222-8333-444455556666',
    extendedRequestId: 'Qm9vZ2llV29vZ2k=',
    ip: '203.0.113.7',
    requestTime: '15/Jan/2026:12:00:01 +0000',
    httpMethod: 'GET',
    resourcePath: '/orders',
    status: '403',
    errorMessage: 'Access denied. Reason: Could not find issuer for certificate',
    clientCertSubjectDN: 'CN=probe client,O=mTLS Probe Test PKI',
    clientCertSerialNumber: '4a:3b:2c:1d',
    clientCertNotAfter: '-',
  }),
  JSON.stringify({ context: { requestId: 'WSg1ihmdliAEJXA=', identity: { sourceIp: '203.0.113.7' }, requestTimeEpoch: Date.parse('2026-01-15T12:00:01.500Z'), status: 200, xrayTraceId: '1-67891233-abcdef012345678912345678' } }),
];

/** CloudFront connection logs: JSON (epoch ms), plain (tab-separated, the documented order), w3c (#Fields, ISO time). */
const cloudFrontConnection: Record<string, unknown> = Object.fromEntries(
  cloudFrontConnectionLogFields.map((name, i) => [
    name,
    [Date.parse('2026-01-15T12:00:01.000Z'), 'oLHiEKbQSn8lkuKfSGJ2mUn5nzg==', 'Failed:ClientCertUntrusted', '203.0.113.7', 49152, '99.84.71.136', 'E2DX1SLDPK0123', '-',
      'TLSv1.3', 'TLS_AES_128_GCM_SHA256', 153, 'd111111abcdef8.cloudfront.net', '00:4a:3b:2c:1d', 'C=US, CN=probe client', 'C=US, CN=probe CA',
      'NotBefore=2025-06-05T23:28:21Z;NotAfter=2026-06-05T23:28:21Z', 'REVOKED:00:4a:3b'][i],
  ]),
);
export const cloudFrontConnectionLines = [
  JSON.stringify(cloudFrontConnection),
  Object.values(cloudFrontConnection).join('\t'),
  '#Version: 1.0',
  '#Fields: connectionStatus clientIp clientPort clientLeafCertSerialNumber eventTimestamp',
  'Success\t203.0.113.7\t49152\t00:4a:3b:2c:1d\t2026-01-15T12:00:01.500Z',
];

export const allLogLines = [...connectionLogLines, ...accessLogLines, ...wafLogLines, ...modSecurityLines, ...metricStreamLines, ...apiGatewayAccessLines, ...cloudFrontConnectionLines];

/** Whole log files, plain and gzipped, for the line reader and the collector's scan. */
export function logFiles(): Buffer[] {
  const plain = [connectionLogLines, accessLogLines, wafLogLines, modSecurityLines, metricStreamLines, apiGatewayAccessLines, cloudFrontConnectionLines].map((lines) => Buffer.from(`${lines.join('\n')}\n`));
  const crlf = Buffer.from(`${accessLogLines.join('\r\n')}\r\n`);
  return [...plain, crlf, ...plain.map((b) => gzipSync(b))];
}

// ---- workspace configs and runs --------------------------------------------------------------------------

export const fullConfig = `// every field, as people write them
{
  "$schema": "https://example.com/schema.json",
  "identities": {
    "partner": { "cert": "certs/client.pem", "key": "certs/client.key" },
    "legacy":  { "pfx": "certs/legacy.p12" },
  },
  "trustStores": { "alb": "pki/ca-bundle.pem" },
  /* endpoints */
  "endpoints": [{
    "name": "prod-api", "url": "https://api.example.com/health",
    "ca": "certs/server-ca.pem", "connectTo": "203.0.113.10", "serverName": "api.example.com", "hostHeader": "api.example.com",
    "method": "POST", "headers": { "X-Api-Key": "secret", "Accept": "*/*" }, "alpn": ["h2", "http/1.1"], "timeoutMs": 5000,
    "identities": ["none", "partner", "legacy"],
    "expect": { "none": "mtls", "partner": "target", "legacy": 200, "other": { "stoppedAt": "mtls", "reason": "alert_unknown_ca" } },
    "aws": { "profile": "prod", "region": "eu-west-1",
             "listenerArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/edge/50dc/f2f7",
             "webAclArn": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/a1b2",
             "wafLogGroup": "aws-waf-logs-edge", "albLogs": "s3://edge-alb-logs/prod" },
    "logs": "logs/"
  }, { "name": "insecure", "url": "https://localhost:8443/", "insecure": true }]
}
`;

export function configSeeds(): string[] {
  return [fullConfig, starterConfigText({}), starterConfigText({ pkiDir: 'pki' }), starterConfigText({ lab: { dir: 'mtls-probe-lab', port: 8443 } }), '{}', ''];
}

/** Config seeds that are plain JSON, for structural mutation. */
export function jsonConfigSeeds(): string[] {
  const strip = (text: string): string => text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, '').replace(/,(\s*[}\]])/g, '$1');
  return configSeeds()
    .filter((t) => t.trim().length > 0)
    .map(strip)
    .filter((t) => {
      try {
        JSON.parse(t);
        return true;
      } catch {
        return false;
      }
    });
}

const traceEvents = [
  { t: 0, dir: 'out', layer: 'tcp', event: 'connected', detail: { address: '127.0.0.1', port: 8443 } },
  { t: 1.5, dir: 'out', layer: 'tls', event: 'handshake', detail: { type: 1, name: 'ClientHello', version: 'TLSv1.3', length: 512, encrypted: false } },
  { t: 3.2, dir: 'in', layer: 'tls', event: 'alert', detail: { level: 'fatal', description: 'certificate_required', code: 116, encrypted: true } },
];

const probeResult = {
  target: { url: 'https://localhost:8443/', host: 'localhost', port: 8443, address: '127.0.0.1' },
  identity: { label: 'valid', kind: 'pem' },
  startedAt: '2026-01-15T12:00:00.000Z',
  timings: { dns: 0.1, tcp: 0.4, tls: 3.1, total: 4 },
  tls: { version: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', alpn: 'h2' },
  trace: traceEvents,
  http: null,
  correlationId: 'Root=1-67891233-abcdef012345678912345678',
  verdict: { stoppedAt: 'mtls', reason: 'alert_certificate_required', summary: 'The server asked for a certificate.', confidence: 'probe', evidence: [] },
};

export function runSeeds(): string[] {
  const run = {
    ...probeResult,
    run: { format: 'mtls-probe/run', version: 1, id: 'r1', endpoint: 'lab', identity: 'valid' },
    probeVerdict: probeResult.verdict,
    evidence: { events: [], stats: { files: 1, lines: 2, skippedLines: 0 }, problems: [], window: { from: logProbe.from, to: logProbe.to }, keys: { traceId: logProbe.traceId }, sourceLabel: 'logs/' },
    expectation: { expected: 'mtls', outcome: { kind: 'layer', layer: 'mtls' }, passed: true, message: 'met' },
  };
  return [
    JSON.stringify(probeResult),
    JSON.stringify(run),
    JSON.stringify([run, probeResult]),
    JSON.stringify({ results: [{ run }] }),
    JSON.stringify({ runs: [{ result: probeResult }, { result: null }] }),
    JSON.stringify({ result: probeResult }),
  ];
}
