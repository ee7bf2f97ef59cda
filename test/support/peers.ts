// Real TLS peers for integration tests: nginx, HAProxy and openssl s_server from Debian's packages,
// and Node servers, all on loopback, each in its own temp directory. A missing binary fails the test
// with the install command; only MTLS_PROBE_ALLOW_MISSING_PEERS=1 (never set in CI) turns that into a skip.
// Ports: the Node servers listen on port 0 and report the port they got; the binaries, which take their port in
// their config or arguments, are started through peer-process.ts (again on another port when theirs was taken).

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { TestContext } from 'node:test';
import { generateTestPki, writeTestPki, type TestPki, type WrittenPki } from '../../src/core/pki/test-pki';
import { startPeerOnFreshPort, type PeerLaunch } from './peer-process';
import { unusedPort } from './ports';

export interface RunningPeer {
  name: string;
  port: number;
  url: string;
  /** The server's own log (error log, stderr), for assertions and for debugging a failure. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

const installHint = 'npm run test:all installs them (or apt-get install -y --no-install-recommends nginx haproxy apache2 caddy openssl)';

/** Resolves a peer binary; fails loudly when missing unless the developer explicitly allowed skipping. */
export function requireBinary(t: Pick<TestContext, 'skip'> | null, name: string, candidates: string[]): string | null {
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  const message = `${name} is not installed (looked in ${candidates.join(', ')}): ${installHint}`;
  if (t !== null && process.env.MTLS_PROBE_ALLOW_MISSING_PEERS === '1' && process.env.CI !== 'true') {
    t.skip(message);
    return null;
  }
  throw new Error(message);
}

/**
 * A port nothing listened on a moment ago, released before it returns: a race for whoever binds it next. The peers
 * here do not use it directly (startPeerOnFreshPort retries when the port was taken; Node servers listen on port 0),
 * and a port that must refuse connections is holdClosedPort()'s (ports.ts). Kept for test/e2e, which gives VS Code's
 * lab a port setting.
 */
export const freePort = unusedPort;

/** A binary peer started on a fresh port (retried when the port was taken first), as a RunningPeer. */
async function spawnPeer(name: string, launch: (port: number) => Promise<PeerLaunch>, extraLog?: string): Promise<RunningPeer> {
  const { port, proc } = await startPeerOnFreshPort(name, launch);
  return {
    name,
    port,
    url: `https://localhost:${port}/`,
    log: async () => proc.output() + (extraLog && existsSync(extraLog) ? await readFile(extraLog, 'utf8') : ''),
    stop: proc.stop,
  };
}

export interface TestPkiFiles {
  pki: TestPki;
  files: WrittenPki;
}

export async function makePkiFiles(prefix = 'mtls-probe-pki-'): Promise<TestPkiFiles> {
  const pki = await generateTestPki();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { pki, files: await writeTestPki(dir, pki) };
}

/** Extra nginx configuration for a peer variant (the ModSecurity one below). */
export interface NginxVariant {
  /** Lines before `events` (e.g. load_module). */
  main?: string;
  /** Lines inside `server` that replace the default `location / { return 200 … }`. */
  server?: string;
  /** A name for the temp folder and messages. */
  name?: string;
}

/** nginx with ssl_verify_client on: the handshake succeeds without a certificate and HTTP says 400. */
export async function startNginx(t: Pick<TestContext, 'skip'> | null, pki: WrittenPki, variant: NginxVariant = {}): Promise<RunningPeer & { dir: string } | null> {
  const nginx = requireBinary(t, 'nginx', ['/usr/sbin/nginx']);
  if (nginx === null) return null;
  const dir = await mkdtemp(join(tmpdir(), `mtls-probe-${variant.name ?? 'nginx'}-`));
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const errorLog = join(dir, 'error.log');
  const launch = async (port: number): Promise<PeerLaunch> => {
    const conf = `${variant.main ?? ''}
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${errorLog} info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${pki.serverCert};
    ssl_certificate_key ${pki.serverKey};
    ssl_client_certificate ${pki.caFile};
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
${variant.server ?? '    location / { return 200 "ok from nginx\\n"; }'}
  }
}
`;
    await writeFile(join(dir, 'nginx.conf'), conf);
    // A start on a port that was taken leaves its bind errors behind: each start has the log to itself.
    await rm(errorLog, { force: true });
    return { command: nginx, args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', errorLog] };
  };
  const peer = await spawnPeer(variant.name ?? 'nginx', launch, errorLog);
  return { ...peer, dir };
}

const modsecurityModule = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so';
const crsRules = '/usr/share/modsecurity-crs/rules';
const crsSetup = '/etc/modsecurity/crs/crs-setup.conf';

/**
 * nginx with ssl_verify_client on in front of ModSecurity v3 and the OWASP CRS, writing JSON audit records to
 * `<dir>/modsec_audit.log`. It serves a file: ModSecurity does not see requests answered by `return`.
 */
export async function startNginxWithModSecurity(pki: WrittenPki): Promise<RunningPeer & { dir: string; auditLog: string }> {
  requireBinary(null, 'the nginx ModSecurity module (libnginx-mod-http-modsecurity)', [modsecurityModule]);
  requireBinary(null, 'the OWASP CRS (modsecurity-crs)', [crsSetup]);
  const rulesDir = await mkdtemp(join(tmpdir(), 'mtls-probe-modsecurity-rules-'));
  const www = join(rulesDir, 'www');
  await mkdir(www, { recursive: true });
  await writeFile(join(www, 'index.html'), 'ok from nginx behind ModSecurity\n');
  const auditLog = join(rulesDir, 'modsec_audit.log');
  // The packaged owasp-crs.load uses IncludeOptional, which libmodsecurity rejects: include the rules directly.
  await writeFile(
    join(rulesDir, 'modsecurity.conf'),
    `SecRuleEngine On
SecRequestBodyAccess On
SecAuditEngine RelevantOnly
SecAuditLogRelevantStatus "^(?:5|4(?!04))"
SecAuditLogParts ABIJDEFHZ
SecAuditLogFormat JSON
SecAuditLogType Serial
SecAuditLog ${auditLog}
Include ${crsSetup}
Include ${crsRules}/*.conf
`,
  );
  const peer = await startNginx(null, pki, {
    name: 'modsecurity',
    main: `load_module ${modsecurityModule};`,
    server: `    modsecurity on;
    modsecurity_rules_file ${rulesDir}/modsecurity.conf;
    root ${www};
    location / { try_files $uri /index.html; }`,
  });
  return { ...peer!, dir: rulesDir, auditLog };
}

/** HAProxy in front of a 200 answer, with one bind line's TLS settings and the frontend's extra rules. */
async function startHaproxyFrontend(t: Pick<TestContext, 'skip'> | null, pki: WrittenPki, name: string, bindTls: string, rules: string[]): Promise<RunningPeer | null> {
  const haproxy = requireBinary(t, 'haproxy', ['/usr/sbin/haproxy']);
  if (haproxy === null) return null;
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-haproxy-'));
  const bundle = join(dir, 'server-bundle.pem');
  await writeFile(bundle, (await readFile(pki.serverCert, 'utf8')) + (await readFile(pki.serverKey, 'utf8')), { mode: 0o600 });
  return spawnPeer(name, async (port) => {
    // noreuseport: HAProxy sets SO_REUSEPORT by default (for seamless reloads); a test peer must fail on a taken
    // port, so the start can move to another one, rather than share it with whoever holds it.
    const conf = `global
  log stderr format raw local0 info
  noreuseport
defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend mtls
  bind 127.0.0.1:${port} ssl crt ${bundle} ca-file ${pki.caFile} ${bindTls} alpn h2,http/1.1
${rules.map((rule) => `  ${rule}\n`).join('')}  http-request return status 200 content-type text/plain string "ok from haproxy"
`;
    await writeFile(join(dir, 'haproxy.cfg'), conf);
    return { command: haproxy, args: ['-f', join(dir, 'haproxy.cfg'), '-db'] };
  });
}

/** HAProxy with verify required in TLS 1.3: the rejection arrives as an encrypted alert after the handshake. */
export function startHaproxy(t: Pick<TestContext, 'skip'> | null, pki: WrittenPki): Promise<RunningPeer | null> {
  return startHaproxyFrontend(t, pki, 'haproxy', 'verify required ssl-min-ver TLSv1.3', []);
}

/**
 * HAProxy with `verify optional` (TLS 1.2 and 1.3) and a rule that denies requests made without a client
 * certificate: the handshake completes either way and a request without one gets HAProxy's own 403 page.
 */
export function startHaproxyOptionalCertificate(t: Pick<TestContext, 'skip'> | null, pki: WrittenPki): Promise<RunningPeer | null> {
  return startHaproxyFrontend(t, pki, 'haproxy (verify optional, deny without a certificate)', 'verify optional', ['http-request deny if !{ ssl_c_used }']);
}

/** What an `openssl s_server` variant is given: its certificate, the CAs it trusts, and any further flags. */
export interface OpensslServerVariant {
  cert: string;
  key: string;
  /** Extra certificates the server sends after its own (-cert_chain). */
  certChain?: string;
  /** The CAs client certificates are checked against; also the CA names its CertificateRequest lists. */
  caFile: string;
  version: '1.2' | '1.3';
  /** E.g. ['-client_sigalgs', 'RSA+SHA256'] or ['-no_ca_names']. */
  args?: string[];
}

/** openssl s_server with -Verify 2 -verify_return_error and the given files and flags. */
export async function startOpensslServerVariant(t: Pick<TestContext, 'skip'> | null, variant: OpensslServerVariant): Promise<RunningPeer | null> {
  const openssl = requireBinary(t, 'openssl', ['/usr/bin/openssl']);
  if (openssl === null) return null;
  return spawnPeer(`openssl s_server (TLS ${[variant.version, ...(variant.args ?? [])].join(' ')})`, async (port) => ({
    command: openssl,
    args: [
      's_server', '-accept', `127.0.0.1:${port}`, '-cert', variant.cert, '-key', variant.key,
      ...(variant.certChain !== undefined ? ['-cert_chain', variant.certChain] : []),
      '-CAfile', variant.caFile, '-Verify', '2', '-verify_return_error', variant.version === '1.2' ? '-tls1_2' : '-tls1_3',
      ...(variant.args ?? []), '-www', '-quiet',
    ],
  }));
}

/** openssl s_server with -Verify and -verify_return_error in TLS 1.2: fatal alerts during the handshake. */
export function startOpensslServer(t: Pick<TestContext, 'skip'> | null, pki: WrittenPki, version: '1.2' | '1.3' = '1.2'): Promise<RunningPeer | null> {
  return startOpensslServerVariant(t, { cert: pki.serverCert, key: pki.serverKey, caFile: pki.caFile, version });
}

/** A Node TLS server that resets the TCP connection when the client certificate is missing or invalid. */
export async function startResetServer(pki: TestPki, maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<RunningPeer> {
  const server = createTlsServer({
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.rootCa.certPem,
    requestCert: true,
    rejectUnauthorized: false,
    maxVersion,
    ALPNProtocols: ['http/1.1'],
  });
  const events: string[] = [];
  const connections = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('error', () => undefined);
    if (!socket.authorized) {
      events.push(`reset: ${socket.authorizationError}`);
      (socket as unknown as { _parent: Socket })._parent.resetAndDestroy();
      return;
    }
    // Answer the request, not the handshake: over TLS 1.2 an answer before the request would reach a client that
    // has not asked yet.
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 14\r\nconnection: close\r\n\r\nok from node\r\n'));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    name: `node reset server (max ${maxVersion})`,
    port,
    url: `https://localhost:${port}/`,
    log: async () => events.join('\n'),
    stop: () =>
      new Promise<void>((resolve) => {
        // close() waits for every connection: end the ones a reset left half-open.
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs `body` against a started peer and stops it after; a failing assertion gets the peer's log. A null peer (a
 * missing binary skipped outside CI) runs nothing.
 */
export async function withPeer(start: () => Promise<RunningPeer | null>, body: (peer: RunningPeer) => Promise<void>): Promise<void> {
  const peer = await start();
  if (peer === null) return;
  try {
    await body(peer);
  } catch (e) {
    (e as Error).message += `\n--- ${peer.name} log ---\n${(await peer.log()).slice(-3000)}`;
    throw e;
  } finally {
    await peer.stop();
  }
}
