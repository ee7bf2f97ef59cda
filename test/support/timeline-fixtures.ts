// Hand-built timeline models for the renderer's tests and benchmark: what the timeline builder makes of real
// probes of an AWS ALB in mTLS verify mode (the trace shapes of README's "What a probe shows" and `--json`),
// with the evidence AWS returns about them. Times are in ms from the probe's start, to the microsecond.

import { timelineLanes } from '../../src/core/timeline/build-timeline';
import type { ByteSpan, CertificateCard, DetailField, EvidenceStatus, MarkDetail, TimelineMark, TimelineModel, TimelineRun, VerdictBanner } from '../../src/core/timeline/model';

// The lanes as the builder names them: the renderer is tested against the model it will get.
export { timelineLanes };

const url = 'https://api.example.com/health';
const lbArn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/edge/50dc6c495c0c9188/f2f7dc8efc522ab2';

/** ISO 8601 to the microsecond. */
function isoAt(epochMs: number): string {
  const whole = Math.floor(epochMs);
  return `${new Date(whole).toISOString().slice(0, -1)}${String(Math.round((epochMs - whole) * 1000) % 1000).padStart(3, '0')}Z`;
}

type MarkInput = Omit<TimelineMark, 'id' | 'time' | 'detail'> & { detail?: Partial<MarkDetail> };

/** Collects one run's marks in the order they happened; ids are `${runId}:${index}` as the builder makes them. */
class RunMarks {
  readonly marks: TimelineMark[] = [];
  constructor(
    readonly runId: string,
    readonly originMs: number,
  ) {}

  add(input: MarkInput): TimelineMark {
    const { detail, ...rest } = input;
    const mark: TimelineMark = {
      ...rest,
      id: `${this.runId}:${this.marks.length}`,
      time: isoAt(this.originMs + input.t),
      detail: { title: detail?.title ?? input.label, fields: detail?.fields ?? [], ...detail },
    };
    this.marks.push(mark);
    return mark;
  }

  /** A TLS handshake message; `flight` marks arrive at the same instant, in one TCP segment. */
  tls(t: number, dir: 'out' | 'in', label: string, summary: string, extra: Partial<MarkInput> = {}): TimelineMark {
    return this.add({ lane: 'tls', t, dir, kind: 'handshake', label, summary: `TLS 1.2, ${dir === 'out' ? 'client → server' : 'server → client'}: ${summary}`, tone: 'neutral', version: 'TLSv1.2', ...extra });
  }
}

// ---- the ClientHello as it was on the wire, with each field's byte span ----------------------------------------

class ByteWriter {
  hex = '';
  spans: ByteSpan[] = [];
  get length(): number {
    return this.hex.length / 2;
  }
  put(hex: string, path?: string, label?: string): void {
    if (path !== undefined) this.spans.push({ path, label: label ?? path, start: this.length, end: this.length + hex.length / 2 });
    this.hex += hex;
  }
}

const u8 = (n: number): string => n.toString(16).padStart(2, '0');
const u16 = (n: number): string => n.toString(16).padStart(4, '0');
const u24 = (n: number): string => n.toString(16).padStart(6, '0');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const vector16 = (hex: string): string => u16(hex.length / 2) + hex;

const cipherSuites: Array<[number, string]> = [
  [0x1302, 'TLS_AES_256_GCM_SHA384'], [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'], [0x1301, 'TLS_AES_128_GCM_SHA256'],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'], [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'], [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0x00ff, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV'],
];

function clientHello(serverName: string): { bytes: MarkDetail['bytes']; fields: DetailField[] } {
  const host = ascii(serverName);
  // [type, registry name, data, decoded value, the decoded field's name when the decoder has one]
  const extensions: Array<[number, string, string, string, string?]> = [
    [0, 'server_name', u16(host.length / 2 + 3) + '00' + vector16(host), serverName, 'serverName'],
    [11, 'ec_point_formats', '03000102', 'uncompressed, ansiX962_compressed_prime, ansiX962_compressed_char2'],
    [10, 'supported_groups', vector16('001d0017001e00190018'), 'x25519, secp256r1, x448, secp521r1, secp384r1', 'supportedGroups'],
    [35, 'session_ticket', '', 'empty'],
    [16, 'application_layer_protocol_negotiation', vector16('02683208687474702f312e31'), 'h2, http/1.1', 'alpn'],
    [23, 'extended_master_secret', '', 'empty'],
    [13, 'signature_algorithms', vector16('040305030603080708080804080508060401050106010201'), 'ecdsa_secp256r1_sha256, … 12 algorithms', 'signatureAlgorithms'],
    [43, 'supported_versions', '0403040303', 'TLSv1.3, TLSv1.2', 'supportedVersions'],
    [45, 'psk_key_exchange_modes', '0101', 'psk_dhe_ke'],
    [51, 'key_share', vector16('001d0020' + '358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254'), 'x25519', 'keyShareGroups'],
  ];
  const random = '8cfa9e43a7a7574225d208fde73f5f9516441b361cb1e00b00e61bf9a2f1cd95';
  const sessionId = '9bc0c3fe9949859a48d9c4de6b27ffb8499ee0601b0eae1a78a3cc245289c1b6';
  const suites = cipherSuites.map(([code]) => u16(code)).join('');
  const extensionBytes = extensions.map(([type, , data]) => u16(type) + vector16(data)).join('');
  const bodyLength = 2 + 32 + 33 + 2 + suites.length / 2 + 2 + 2 + extensionBytes.length / 2;
  const w = new ByteWriter();
  w.put(`01${u24(bodyLength)}`, 'header', 'Handshake header (type, length)');
  w.put('0303', 'legacyVersion', 'Legacy version');
  w.put(random, 'random', 'Random');
  w.put(u8(32) + sessionId, 'sessionId', 'Session id');
  w.put(vector16(suites), 'cipherSuites', 'Cipher suites');
  w.put('0100', 'compressionMethods', 'Compression methods');
  const extensionsStart = w.length;
  w.put(u16(extensionBytes.length / 2));
  const pathOf = (name: string, field?: string): string => field ?? `extensions.${name}`;
  for (const [type, name, data, , field] of extensions) w.put(u16(type) + vector16(data), pathOf(name, field), name);
  w.spans.push({ path: 'extensions', label: 'Extensions', start: extensionsStart, end: w.length });
  const fields: DetailField[] = [
    { name: 'Handshake header', value: `Client hello (1), ${bodyLength} bytes`, path: 'header' },
    { name: 'Legacy version', value: 'TLSv1.2 (0x0303)', path: 'legacyVersion' },
    { name: 'Random', value: random, path: 'random' },
    { name: 'Session id', value: `32 bytes: ${sessionId}`, path: 'sessionId' },
    { name: 'Cipher suites', value: `${cipherSuites.length} suites`, path: 'cipherSuites', children: cipherSuites.map(([code, name]) => ({ name, value: `0x${u16(code)}` })) },
    { name: 'Compression methods', value: 'null (0)', path: 'compressionMethods' },
    { name: 'Extensions', value: `${extensions.length} extensions`, path: 'extensions', children: extensions.map(([type, name, , value, field]) => ({ name, value: `${value} (type ${type})`, path: pathOf(name, field) })) },
  ];
  return { bytes: { hex: w.hex, spans: w.spans }, fields };
}

// ---- certificates --------------------------------------------------------------------------------------------

const serverCertificates: CertificateCard[] = [
  { role: 'server certificate 1 of 2', subject: 'CN=api.example.com', issuer: 'CN=Amazon RSA 2048 M02,O=Amazon,C=US', serialNumber: '0B1F5E3C7A9D24E18C6F0A2B4D7E9F13', notBefore: '2026-03-02T00:00:00.000Z', notAfter: '2027-03-31T23:59:59.000Z', validity: 'valid for 115 more days', subjectAltNames: ['DNS:api.example.com', 'DNS:*.api.example.com'], publicKey: 'RSA 2048', sha256: '9f3c1a7e52d04b8ce6f1a2d3b4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7', isCA: false },
  { role: 'server certificate 2 of 2', subject: 'CN=Amazon RSA 2048 M02,O=Amazon,C=US', issuer: 'CN=Amazon Root CA 1,O=Amazon,C=US', serialNumber: '077312380B9D6688A33B1ED9BF9CCDA68E0E0F', notBefore: '2022-08-23T22:25:30.000Z', notAfter: '2030-08-23T22:25:30.000Z', validity: 'valid for 3 years 8 months more', subjectAltNames: [], publicKey: 'RSA 2048', sha256: 'b0f330a31a0c50987e1c3a7bb02c2dda682991d3165b517bd44fba4a6020bd94', isCA: true },
];

const clientCertificate: CertificateCard = { role: 'client certificate', subject: 'CN=partner-valid,O=Example Partner', issuer: 'CN=Example Partner Issuing CA,O=Example Partner', serialNumber: '7CC57ECFDF1FF086EC7B4DCD', notBefore: '2026-12-01T00:00:00.000Z', notAfter: '2027-12-01T00:00:00.000Z', validity: 'valid for 360 more days', subjectAltNames: ['DNS:partner.example.net'], publicKey: 'EC prime256v1', sha256: '39e2c7facdd3b6bb0fdef7a3133aa539ec108044e75763856d8df6ea67cc31c9', isCA: false };

const acceptableCas = ['CN=Example Partner Root CA,O=Example Partner', 'CN=Example Partner Issuing CA,O=Example Partner'];

function record(origin: string, rows: Array<[string, string, boolean?]>, matchedBy: string[]): MarkDetail['record'] {
  return { origin, rows: rows.map(([key, value, matched]) => ({ key, value, matched: matched === true })), matchedBy };
}

// ---- one probe of the ALB --------------------------------------------------------------------------------------

interface ProbeShape {
  runId: string;
  originMs: number;
  clientPort: number;
  traceId: string;
  /** null: no client certificate. */
  certificate: CertificateCard | null;
  query?: string;
}

/** DNS, TCP and the TLS 1.2 handshake up to the client's flight; returns when the flight went out. */
function handshake(m: RunMarks, p: ProbeShape): number {
  m.add({ lane: 'client', t: 0.412, dir: 'local', kind: 'dns', label: 'DNS lookup', summary: 'DNS lookup of api.example.com', tone: 'neutral', detail: { fields: [{ name: 'Host', value: 'api.example.com' }] } });
  m.add({ lane: 'client', t: 1.618, dir: 'local', kind: 'dns', label: 'Resolved', summary: 'api.example.com resolved to 203.0.113.10, 203.0.113.24', tone: 'ok', detail: { fields: [{ name: 'Addresses', value: '203.0.113.10, 203.0.113.24' }] } });
  m.add({ lane: 'tcp', t: 1.627, dir: 'out', kind: 'tcp', label: 'SYN', summary: 'TCP connecting to 203.0.113.10:443', tone: 'neutral', detail: { fields: [{ name: 'Address', value: '203.0.113.10' }, { name: 'Port', value: '443' }] } });
  m.add({ lane: 'tcp', t: 4.903, dir: 'in', kind: 'tcp', label: 'Connected', summary: `TCP connected to 203.0.113.10:443 from 198.51.100.23:${p.clientPort}`, tone: 'ok', detail: { fields: [{ name: 'Local address', value: `198.51.100.23:${p.clientPort}` }] } });
  const hello = clientHello('api.example.com');
  m.tls(5.281, 'out', 'ClientHello', 'Client hello (TLS 1.3 and 1.2 offered, SNI api.example.com, ALPN h2, http/1.1)', { version: 'TLSv1.3', detail: { title: 'Client hello', fields: hello.fields, bytes: hello.bytes } });
  const flight = 11.536;
  m.tls(flight, 'in', 'ServerHello', 'Server hello (TLSv1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ALPN h2)', { detail: { fields: [{ name: 'Version', value: 'TLSv1.2' }, { name: 'Cipher suite', value: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xc02f)' }, { name: 'ALPN', value: 'h2' }] } });
  m.tls(flight, 'in', 'Certificate', 'Certificate (2 certificates: CN=api.example.com, CN=Amazon RSA 2048 M02)', { detail: { fields: [{ name: 'Certificates', value: '2' }], certificates: serverCertificates } });
  m.tls(flight, 'in', 'ServerKeyExchange', 'Server key exchange (x25519, rsa_pss_rsae_sha256)', { detail: { fields: [{ name: 'Curve', value: 'x25519' }, { name: 'Signature algorithm', value: 'rsa_pss_rsae_sha256' }] } });
  m.tls(flight, 'in', 'CertificateRequest', `Certificate request (${acceptableCas.length} acceptable CA names)`, { tone: 'warning', detail: { fields: [{ name: 'Certificate types', value: 'rsa_sign, ecdsa_sign' }, { name: 'Signature algorithms', value: 'ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256 … 9 in all' }, { name: 'Acceptable CA names', value: `${acceptableCas.length}`, children: acceptableCas.map((name, i) => ({ name: `CA ${i + 1}`, value: name })) }] } });
  m.tls(flight, 'in', 'ServerHelloDone', 'Server hello done');
  const out = 12.508;
  const empty = p.certificate === null;
  m.tls(out, 'out', 'Certificate', empty ? 'Certificate (empty: no client certificate sent)' : `Certificate (${p.certificate!.subject})`, { tone: empty ? 'warning' : 'neutral', detail: { fields: [{ name: 'Certificates', value: empty ? '0 — no client certificate sent' : '1' }], ...(empty ? {} : { certificates: [p.certificate!] }) } });
  m.tls(out, 'out', 'ClientKeyExchange', 'Client key exchange (x25519 public key)');
  if (!empty) m.tls(out, 'out', 'CertificateVerify', 'Certificate verify (ecdsa_secp256r1_sha256)');
  m.add({ lane: 'tls', t: out, dir: 'out', kind: 'change-cipher-spec', label: 'ChangeCipherSpec', summary: 'TLS 1.2, client → server: Change cipher spec', tone: 'neutral', version: 'TLSv1.2' });
  m.tls(out, 'out', 'Finished', 'Finished (decrypted)', { encrypted: true, decrypted: true, detail: { fields: [{ name: 'Verify data', value: '5f0a7c11d2e94b3a86c1f007', path: 'verifyData' }], bytes: { hex: '1400000c5f0a7c11d2e94b3a86c1f007', spans: [{ path: 'header', label: 'Handshake header (type, length)', start: 0, end: 4 }, { path: 'verifyData', label: 'Verify data', start: 4, end: 16 }] } } });
  return out;
}

const probeFacts = (p: ProbeShape, tls: string, http: string): TimelineRun['facts'] => [
  { label: 'Target', value: p.query === undefined ? url : `${url}?q=${p.query}` },
  { label: 'Connected to', value: '203.0.113.10:443' },
  { label: 'TLS', value: tls },
  { label: 'HTTP', value: http },
  { label: 'Correlation id', value: `X-Amzn-Trace-Id: ${p.traceId}` },
];

const listenerContext: EvidenceStatus['context'] = [{ title: 'Listener mTLS mode', summary: 'verify — trust store edge-partners (2 CA certificates), CA names advertised', resource: lbArn }];

function minuteMetric(m: RunMarks, name: string, namespace: string, value: number, tone: TimelineMark['tone']): TimelineMark {
  const minute = Math.floor(m.originMs / 60_000) * 60_000;
  const span = `${isoAt(minute).slice(11, 16)}–${isoAt(minute + 60_000).slice(11, 16)} UTC`;
  return m.add({ lane: namespace === 'AWS/WAFV2' ? 'waf' : 'load-balancer', t: minute - m.originMs, duration: 60_000, dir: 'server', kind: 'metric', label: `${name} ${value}`, summary: `CloudWatch ${namespace} ${name} = ${value} (Sum, ${span})`, tone, detail: { fields: [{ name: 'Value', value: String(value) }], record: record('CloudWatch GetMetricData', [['Namespace', namespace], ['MetricName', name, true], ['Dimension', namespace === 'AWS/WAFV2' ? 'WebACL=edge, Rule=ALL, Region=eu-west-1' : 'LoadBalancer=app/edge/50dc6c495c0c9188', true], ['Period', '60'], ['Statistic', 'Sum'], ['Timestamp', isoAt(minute)], ['Value', String(value)]], ['the minute that holds the probe', 'the listener’s load balancer']) } });
}

function noCertificateRun(runId: string, originMs: number): TimelineRun {
  const p: ProbeShape = { runId, originMs, clientPort: 52814, traceId: 'Root=1-6b14ac5a-767a3441bb0dc3c494abafe3', certificate: null };
  const m = new RunMarks(runId, originMs);
  handshake(m, p);
  const reset = m.add({ lane: 'tcp', t: 14.141, dir: 'in', kind: 'tcp', label: 'RST', summary: "TCP reset by the server after the client's Certificate/Client key exchange/Change cipher spec/Finished flight, before the server's Finished", tone: 'error', detail: { fields: [{ name: 'Code', value: 'ECONNRESET' }, { name: 'Phase', value: "after the client's certificate flight, before the server's Finished" }], meaning: 'The server asked for a client certificate, got an empty Certificate and dropped the connection without an alert: this is how an AWS ALB in mTLS verify mode rejects a connection. No HTTP request was sent.' } });
  m.add({ lane: 'client', t: 14.397, dir: 'local', kind: 'verdict', label: 'ECONNRESET', summary: 'Recv failure: Connection reset by peer (read ECONNRESET)', tone: 'error', detail: { fields: [{ name: 'Error', value: 'read ECONNRESET' }] } });
  const log = m.add({ lane: 'load-balancer', t: 17.2, dir: 'server', kind: 'log-record', label: 'Failed:ClientCertMissing', summary: 'ALB connection log: tls_verify_status Failed:ClientCertMissing for 198.51.100.23:52814', tone: 'error', detail: { title: 'ALB connection log record', fields: [{ name: 'tls_verify_status', value: 'Failed:ClientCertMissing' }], record: record('ALB connection log s3://edge-alb-logs/prod/AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2026/12/06/conn_log_123456789012_elasticloadbalancing_eu-west-1_app.edge.50dc6c495c0c9188_20261206T1205Z_10.0.1.17_4f2ab8.log.gz, line 418', [['timestamp', isoAt(originMs + 17.2)], ['client_ip', '198.51.100.23', true], ['client_port', '52814', true], ['listener_port', '443'], ['tls_protocol', '-'], ['tls_cipher', '-'], ['tls_handshake_latency', '-'], ['leaf_client_cert_subject', '-'], ['leaf_client_cert_validity', '-'], ['leaf_client_cert_serial_number', '-'], ['tls_verify_status', 'Failed:ClientCertMissing'], ['conn_trace_id', 'TID_c0a8e1f2b3d44a5f9e7d6c5b4a392817']], ['client address and port 198.51.100.23:52814', 'time within 2 s of the probe']) } });
  const metrics = [minuteMetric(m, 'ClientTLSNegotiationErrorCount', 'AWS/ApplicationELB', 1, 'error'), minuteMetric(m, 'NewConnectionCount', 'AWS/ApplicationELB', 1, 'neutral')];
  const verdict: VerdictBanner = {
    stoppedAt: 'mtls', reason: 'reset_after_client_certificate', headline: 'Stopped at mTLS (client certificate)',
    summary: "The server reset (RST) the connection after the client's Certificate/Client key exchange/Change cipher spec/Finished flight, before the server's Finished: it asked for a client certificate and no client certificate was sent; this is how a load balancer in mTLS verify mode (e.g. AWS ALB) rejects it.",
    wafReach: 'The request never reached the WAF.', confidence: 'confirmed', confidenceText: 'Confirmed by the ALB connection log (Failed:ClientCertMissing)',
    hint: 'Probe again with an identity whose certificate chains to one of the 2 CA names the server advertised.',
    expectation: { expected: 'mtls', passed: true, message: 'stopped at mtls as expected' },
  };
  return {
    id: runId, title: 'prod-api · no certificate', url, identity: 'no client certificate', startedAt: isoAt(originMs), originMs, connectionStartMs: 1.627,
    probeWindow: { from: 0, to: 14.397 }, verdict, facts: probeFacts(p, 'TLSv1.2 · handshake not finished', 'no request sent'),
    phases: [
      { lane: 'client', name: 'dns', label: 'DNS lookup 1.21 ms', from: 0.412, to: 1.618, outcome: 'ok' },
      { lane: 'tcp', name: 'tcp', label: 'TCP connect 3.28 ms', from: 1.627, to: 4.903, outcome: 'ok' },
      { lane: 'tls', name: 'tls', label: 'TLS handshake (ended by a reset) 8.86 ms', from: 5.281, to: reset.t, outcome: 'failed' },
    ],
    marks: m.marks,
    notes: [
      { kind: 'granularity', text: 'CloudWatch datapoints cover whole minutes: the bars are the minute that holds the probe, not the moment of the error.', markIds: metrics.map((x) => x.id) },
      { kind: 'late-evidence', text: 'The ALB connection log arrived 6 min after the probe: ALB delivers a log file every 5 minutes.', markIds: [log.id] },
      { kind: 'clock-skew', text: 'The ALB stamps records with its own clock; the record was matched by client address and port, and sits 2.8 ms after the reset.', markIds: [log.id] },
    ],
    evidence: {
      sourceLabel: 'AWS',
      coverage: [
        { evidence: 'ELBv2 listener', state: 'found', detail: 'mTLS verify mode, trust store edge-partners (DescribeListeners)' },
        { evidence: 'CloudWatch metrics', state: 'found', detail: '2 datapoints in the probe’s minute' },
        { evidence: 'ALB connection log', state: 'found', detail: '1 record matched by client port' },
        { evidence: 'ALB access log', state: 'missing', detail: 'no line: a connection that failed the handshake writes none' },
        { evidence: 'AWS WAF log', state: 'not-yet-available', detail: 'WAF logs arrive 5–10 minutes after the request', expectedBy: isoAt(originMs + 10 * 60_000) },
        { evidence: 'WAF sampled requests', state: 'not-configured', detail: 'set aws.webAclArn to look at sampled requests' },
      ],
      context: listenerContext,
      problems: [],
    },
    collectingEvidence: true,
  };
}

/** A full handshake with a client certificate, then one HTTP request; the WAF allows it or blocks it. */
function certificateRun(runId: string, originMs: number, blocked: boolean): TimelineRun {
  const query = blocked ? '<script>alert(1)</script>' : undefined;
  const p: ProbeShape = { runId, originMs, clientPort: blocked ? 52822 : 52818, traceId: blocked ? 'Root=1-6b14ac5b-0c1d2e3f4a5b6c7d8e9f0a1b' : 'Root=1-6b14ac5a-1d0af799449e488520e572dc', certificate: clientCertificate, ...(query === undefined ? {} : { query }) };
  const m = new RunMarks(runId, originMs);
  const out = handshake(m, p);
  m.tls(out + 4.1, 'in', 'NewSessionTicket', 'New session ticket (lifetime 300 s)');
  m.add({ lane: 'tls', t: out + 4.1, dir: 'in', kind: 'change-cipher-spec', label: 'ChangeCipherSpec', summary: 'TLS 1.2, server → client: Change cipher spec', tone: 'neutral', version: 'TLSv1.2' });
  m.tls(out + 4.1, 'in', 'Finished', 'Finished (decrypted)', { encrypted: true, decrypted: true, tone: 'ok' });
  const established = out + 4.9;
  m.add({ lane: 'client', t: established, dir: 'local', kind: 'handshake', label: 'Established', summary: 'TLS established: TLSv1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ALPN h2', tone: 'ok' });
  const path = blocked ? `/health?q=${query}` : '/health';
  const request = m.add({ lane: 'http', t: established + 0.5, dir: 'out', kind: 'http', label: `GET ${path}`, summary: `HTTP/2 request: GET ${path}`, tone: 'neutral', detail: { fields: [{ name: 'Method', value: 'GET' }, { name: 'Path', value: path }, { name: 'Headers', children: [{ name: 'user-agent', value: 'mtls-probe/0.1' }, { name: 'x-amzn-trace-id', value: p.traceId }] }] } });
  m.add({ lane: 'tls', t: request.t + 0.3, dir: 'out', kind: 'application-data', label: 'Application data', summary: 'TLS 1.2, client → server: application data (165 bytes, encrypted)', tone: 'neutral', version: 'TLSv1.2', encrypted: true });
  const waf = m.add({ lane: 'waf', t: request.t + 1.9, dir: 'server', kind: 'log-record', label: blocked ? 'BLOCK' : 'ALLOW', summary: blocked ? 'AWS WAF BLOCK by AWS-AWSManagedRulesCommonRuleSet (CrossSiteScripting_QUERYARGUMENTS)' : 'AWS WAF ALLOW (Default_Action)', tone: blocked ? 'error' : 'ok', detail: { title: 'AWS WAF log record', fields: [{ name: 'action', value: blocked ? 'BLOCK' : 'ALLOW' }], record: record('CloudWatch Logs aws-waf-logs-edge, stream eu-west-1_edge_0', [['timestamp', String(Math.round(originMs + request.t + 1.9))], ['action', blocked ? 'BLOCK' : 'ALLOW'], ['terminatingRuleId', blocked ? 'AWS-AWSManagedRulesCommonRuleSet' : 'Default_Action'], ['terminatingRuleType', blocked ? 'MANAGED_RULE_GROUP' : 'REGULAR'], ...(blocked ? [['terminatingRuleMatchDetails', 'XSS in QUERY_STRING: <script>'] as [string, string]] : []), ['httpSourceName', 'ALB'], ['httpRequest.clientIp', '198.51.100.23'], ['httpRequest.uri', '/health'], ['httpRequest.args', blocked ? `q=${query}` : ''], ['httpRequest.requestId', p.traceId.slice(5), true]], ['X-Amzn-Trace-Id (httpRequest.requestId)']) } });
  const status = blocked ? 403 : 200;
  m.add({ lane: 'tls', t: waf.t + (blocked ? 0.7 : 3.4), dir: 'in', kind: 'application-data', label: 'Application data', summary: `TLS 1.2, server → client: application data (${blocked ? 312 : 1402} bytes, encrypted)`, tone: 'neutral', version: 'TLSv1.2', encrypted: true });
  if (!blocked) m.add({ lane: 'target', t: waf.t + 2.1, dir: 'server', kind: 'log-record', label: '200 from target', summary: 'The target answered 200 in 1.2 ms (access log target_status_code)', tone: 'ok', detail: { fields: [{ name: 'target', value: '10.0.3.41:8080' }, { name: 'target_status_code', value: '200' }, { name: 'target_processing_time', value: '0.001' }] } });
  const response = m.add({ lane: 'http', t: waf.t + (blocked ? 1.4 : 4.0), dir: 'in', kind: 'http', label: `${status}`, summary: `HTTP/2 response: ${status} ${blocked ? 'Forbidden (server: awselb/2.0)' : 'OK'}`, tone: blocked ? 'error' : 'ok', detail: { fields: [{ name: 'Status', value: String(status) }, { name: 'Headers', children: [{ name: 'server', value: 'awselb/2.0' }, { name: 'content-type', value: blocked ? 'text/html' : 'application/json' }] }] } });
  m.add({ lane: 'load-balancer', t: response.t + 0.6, dir: 'server', kind: 'log-record', label: `access log ${status}`, summary: `ALB access log: ${status}, actions_executed ${blocked ? 'waf' : 'waf,forward'}`, tone: blocked ? 'error' : 'ok', detail: { title: 'ALB access log line', fields: [], record: record('ALB access log s3://edge-alb-logs/prod/…/20261206T1205Z_10.0.1.17_77c1e0.log.gz, line 2210', [['type', 'h2'], ['client:port', `198.51.100.23:${p.clientPort}`, true], ['target:port', blocked ? '-' : '10.0.3.41:8080'], ['elb_status_code', String(status)], ['target_status_code', blocked ? '-' : '200'], ['request', `GET ${url}${blocked ? `?q=${query}` : ''} HTTP/2.0`], ['trace_id', p.traceId, true], ['actions_executed', blocked ? 'waf' : 'waf,forward']], ['X-Amzn-Trace-Id (trace_id)', 'client address and port']) } });
  const metric = blocked ? [minuteMetric(m, 'BlockedRequests', 'AWS/WAFV2', 1, 'error')] : [];
  const verdict: VerdictBanner = blocked
    ? { stoppedAt: 'waf', reason: 'aws_waf_block', headline: 'Stopped at the WAF (blocked)', summary: 'AWS WAF blocked the request: rule group AWS-AWSManagedRulesCommonRuleSet matched cross-site scripting in the query string; the load balancer answered 403.', confidence: 'confirmed', confidenceText: 'Confirmed by the AWS WAF log (BLOCK by AWS-AWSManagedRulesCommonRuleSet)', expectation: { expected: 'waf', passed: true, message: 'stopped at waf as expected' } }
    : { stoppedAt: null, reason: 'target_responded', headline: 'Passed: the application answered (HTTP 200)', summary: 'The request passed every layer: HTTP 200 from the target.', confidence: 'confirmed', confidenceText: 'Confirmed by the AWS WAF log (ALLOW) and the ALB access log', expectation: { expected: 'target', passed: true, message: 'the application answered' } };
  const end = response.t + 0.8;
  return {
    id: runId, title: blocked ? 'prod-api · valid certificate · ?q=<script>' : 'prod-api · valid certificate', url: p.query === undefined ? url : `${url}?q=${p.query}`, identity: `partner — ${clientCertificate.subject}`, startedAt: isoAt(originMs), originMs, connectionStartMs: 1.627,
    probeWindow: { from: 0, to: end }, verdict, facts: probeFacts(p, 'TLSv1.2 · TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 · h2', `${status} (HTTP/2)`),
    phases: [
      { lane: 'client', name: 'dns', label: 'DNS lookup 1.21 ms', from: 0.412, to: 1.618, outcome: 'ok' },
      { lane: 'tcp', name: 'tcp', label: 'TCP connect 3.28 ms', from: 1.627, to: 4.903, outcome: 'ok' },
      { lane: 'tls', name: 'tls', label: 'TLS handshake 11.5 ms', from: 5.281, to: established, outcome: 'ok' },
      { lane: 'http', name: 'http', label: `HTTP ${status} ${(response.t - request.t).toFixed(1)} ms`, from: request.t, to: response.t, outcome: blocked ? 'failed' : 'ok' },
    ],
    marks: m.marks,
    notes: metric.length > 0 ? [{ kind: 'granularity', text: 'CloudWatch datapoints cover whole minutes.', markIds: metric.map((x) => x.id) }] : [],
    evidence: { sourceLabel: 'AWS', coverage: [{ evidence: 'AWS WAF log', state: 'found', detail: `1 record (${blocked ? 'BLOCK' : 'ALLOW'}) by trace id` }, { evidence: 'ALB access log', state: 'found', detail: '1 line by trace id' }, { evidence: 'CloudWatch metrics', state: blocked ? 'found' : 'not-yet-available', detail: blocked ? 'BlockedRequests 1' : 'datapoints appear about a minute later', ...(blocked ? {} : { expectedBy: isoAt(originMs + 120_000) }) }], context: listenerContext, problems: [] },
    collectingEvidence: false,
  };
}

/** The same run with a slower resolver: everything from the DNS answer on happens `ms` later (not the minute a metric covers). */
function slowerDns(run: TimelineRun, ms: number): TimelineRun {
  const resolved = run.phases.find((p) => p.name === 'dns')!.to;
  const later = (t: number): number => (t >= resolved ? Math.round((t + ms) * 1000) / 1000 : t);
  const marks = run.marks.map((m) => (m.kind === 'metric' ? m : { ...m, t: later(m.t), time: isoAt(run.originMs + later(m.t)) }));
  const phases = run.phases.map((p) => (p.name === 'dns' ? { ...p, to: later(p.to), label: `DNS lookup ${(later(p.to) - p.from).toFixed(2)} ms` } : { ...p, from: later(p.from), to: later(p.to) }));
  return { ...run, marks, phases, connectionStartMs: later(run.connectionStartMs), probeWindow: { from: run.probeWindow.from, to: later(run.probeWindow.to) } };
}

const singleOrigin = Date.parse('2026-12-06T12:05:42.318Z');

export function singleRunModel(): TimelineModel {
  return { version: 1, title: 'prod-api with no certificate', generatedAt: '2026-12-06T12:11:50.000Z', lanes: timelineLanes, runs: [noCertificateRun('run-no-certificate', singleOrigin)] };
}

export function compareModel(): TimelineModel {
  return {
    version: 1,
    title: 'Compare 3 runs',
    generatedAt: '2026-12-06T12:16:02.000Z',
    lanes: timelineLanes,
    runs: [noCertificateRun('run-a', singleOrigin), slowerDns(certificateRun('run-b', singleOrigin + 1_742.9, false), 2.35), slowerDns(certificateRun('run-c', singleOrigin + 3_918.25, true), 0.81)],
  };
}

/** Deterministic pseudo-random numbers (mulberry32), so every bench run draws the same trace. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One long HTTP/2 connection: the handshake, then requests and their data records over ~2 s, the evidence minutes later. */
export function largeTimelineModel(events = 10_000): TimelineModel {
  const base = certificateRun('run-large', singleOrigin, false);
  const m = new RunMarks('run-large', singleOrigin);
  const random = seeded(7);
  const head = base.marks.filter((mark) => mark.kind !== 'metric').slice(0, 24);
  for (const mark of head) m.add({ ...mark, detail: mark.detail });
  const evidenceCount = Math.min(40, Math.floor(events / 250));
  let t = m.marks[m.marks.length - 1]!.t;
  let stream = 1;
  while (m.marks.length < events - evidenceCount) {
    t += 0.02 + random() * 0.36;
    const kind = m.marks.length % 4;
    if (kind === 0) m.add({ lane: 'http', t, dir: 'out', kind: 'http', label: `GET /items/${stream}`, summary: `HTTP/2 stream ${stream}: GET /items/${stream}`, tone: 'neutral' });
    else if (kind === 3) m.add({ lane: 'http', t, dir: 'in', kind: 'http', label: '200', summary: `HTTP/2 stream ${stream++}: 200 OK`, tone: 'ok' });
    else m.add({ lane: 'tls', t, dir: kind === 1 ? 'out' : 'in', kind: 'application-data', label: 'Application data', summary: `TLS 1.2 application data, ${kind === 1 ? 'client → server' : 'server → client'} (${Math.round(80 + random() * 1300)} bytes)`, tone: 'neutral', version: 'TLSv1.2', encrypted: true });
  }
  for (let i = 0; m.marks.length < events; i++) {
    const late = 60_000 * (2 + (i % 3)) + i * 917.5;
    m.add({ lane: i % 2 === 0 ? 'load-balancer' : 'waf', t: late, dir: 'server', kind: 'log-record', label: i % 2 === 0 ? 'access log 200' : 'ALLOW', summary: i % 2 === 0 ? 'ALB access log: 200 (stream batch)' : 'AWS WAF ALLOW (Default_Action)', tone: 'ok' });
  }
  const marks = m.marks.sort((a, b) => a.t - b.t);
  return { version: 1, title: `${events} events on one connection`, generatedAt: '2026-12-06T12:20:00.000Z', lanes: timelineLanes, runs: [{ ...base, id: 'run-large', title: 'prod-api · long HTTP/2 connection', marks, probeWindow: { from: 0, to: t + 1 }, phases: base.phases.filter((p) => p.name !== 'http'), notes: [], collectingEvidence: false }] };
}
