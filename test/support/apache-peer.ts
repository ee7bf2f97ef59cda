// Apache httpd 2.4 with mod_ssl (Debian `apache2`) as a real peer on a loopback port, with its own config in a
// temp dir, in the foreground (-DFOREGROUND; no systemd, no apache2ctl, no /etc/apache2 and none of Debian's
// APACHE_RUN_* variables: those belong to /etc/apache2/apache2.conf, which is not used).
//
// Two ways to require a client certificate, which is what issue 15 is about:
// - `host`: `SSLVerifyClient require` for the whole virtual host: the CertificateRequest is part of the handshake
//   (TLS 1.2: a fatal alert during the handshake; TLS 1.3: the alert comes after the client's Finished).
// - `location`: `SSLVerifyClient require` only in `<Location /secure>`: Apache asks after it has read the request
//   for /secure/ — by renegotiation over TLS 1.2 (HelloRequest, then a new handshake with a CertificateRequest), by
//   post-handshake authentication over TLS 1.3, which needs the client's `post_handshake_auth` extension (without
//   it: 403 and `AH10158: cannot perform post-handshake authentication` in the error log, nothing asked).
// `/` is public in `location` mode; `/secure/` answers "ok from apache (secure)\n", `/` "ok from apache (public)\n".
// `location` mode also has `/denied/`, refused with 403 by an access rule whatever the TLS version and certificate
// (Apache never asks for a certificate there): a 403 that has nothing to do with client certificates.
//
// Run as root (the tests and CI do), the workers drop to www-data: the temp dir and the files served are made
// world-readable; the server key is read by the root parent before that. Run as another user, Apache keeps it.
//
// The error log starts with Debian's harmless `AH01882: … mod_ssl was compiled against a newer library` warning.
// The port is picked for it (startPeerOnFreshPort: another one if it was taken before Apache bound it); it counts as
// started once the Apache process listens there, without a connection to it.

import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ServerPkiFiles } from './generated-pki';
import type { RunningPeer } from './peers';
import { requirePeerBinary, startPeerOnFreshPort } from './peer-process';

export const apacheBinary = '/usr/sbin/apache2';
export const apacheModules = '/usr/lib/apache2/modules';
export const apacheDebianPackages = ['apache2'];

export type ApacheClientCertMode = 'host' | 'location';
export type PeerTlsVersion = '1.2' | '1.3' | 'both';

export interface ApachePeerOptions {
  /** `host`: required for the whole virtual host, during the handshake; `location`: only for /secure/, after the request. */
  mode: ApacheClientCertMode;
  /** The only protocol version the server accepts ('both': TLS 1.2 and 1.3). */
  tls: PeerTlsVersion;
  /** Default 'info'; 'debug' shows each handshake step. */
  sslLogLevel?: 'info' | 'debug' | 'trace3';
}

export interface ApachePeerLogs {
  /** The error log (mod_ssl's AH… lines: AH02263, AH02262, AH02276, AH10158, AH02039, …). */
  error: string;
  /** One line per request: `127.0.0.1 "GET /secure/ HTTP/1.1" 403 239 tls=TLSv1.3 verify=NONE dn="-"`. */
  access: string;
  /** What the process wrote to stdout/stderr (startup warnings). */
  output: string;
}

export interface ApachePeer extends RunningPeer {
  /** The temp dir: httpd.conf, error.log, access.log, www/. */
  dir: string;
  mode: ApacheClientCertMode;
  tls: PeerTlsVersion;
  /** https://localhost:PORT/ (the URL of RunningPeer). */
  url: string;
  /** https://localhost:PORT/secure/ */
  secureUrl: string;
  /** The server's logs as they are now. */
  logs(): Promise<ApachePeerLogs>;
}

function sslProtocol(tls: PeerTlsVersion): string {
  if (tls === '1.2') return '-all +TLSv1.2';
  if (tls === '1.3') return '-all +TLSv1.3';
  return '-all +TLSv1.2 +TLSv1.3';
}

/** The httpd.conf the peer runs with (exported so a failing test can print it, and for scratch experiments). */
export function apacheConfig(dir: string, port: number, pki: ServerPkiFiles, options: ApachePeerOptions, runAsRoot: boolean): string {
  const verify =
    options.mode === 'host'
      ? '  SSLVerifyClient require'
      : `  <Location /secure>
    SSLVerifyClient require
  </Location>
  <Location /denied>
    Require all denied
  </Location>`;
  const modules = ['mpm_event', 'authz_core', 'mime', 'dir', 'socache_shmcb', 'ssl'];
  return `# mTLS Probe test peer: Apache httpd, client certificate required ${options.mode === 'host' ? 'for the whole host' : 'for /secure only'}, TLS ${options.tls}
ServerRoot ${dir}
ServerName localhost
Listen 127.0.0.1:${port}
PidFile ${dir}/httpd.pid
DefaultRuntimeDir ${dir}
ErrorLog ${dir}/error.log
LogLevel warn ssl:${options.sslLogLevel ?? 'info'}
${modules.map((m) => `LoadModule ${m}_module ${apacheModules}/mod_${m}.so`).join('\n')}
${runAsRoot ? 'User www-data\nGroup www-data' : '# not root: the workers keep the current user'}
TypesConfig /etc/mime.types
DirectoryIndex index.txt
StartServers 1
Timeout 10
LogFormat "%h \\"%r\\" %>s %b tls=%{SSL_PROTOCOL}x verify=%{SSL_CLIENT_VERIFY}x dn=\\"%{SSL_CLIENT_S_DN}x\\"" probe
CustomLog ${dir}/access.log probe
SSLSessionCache shmcb:${dir}/ssl_scache(512000)
<VirtualHost 127.0.0.1:${port}>
  DocumentRoot ${dir}/www
  <Directory ${dir}/www>
    Require all granted
  </Directory>
  SSLEngine on
  SSLProtocol ${sslProtocol(options.tls)}
  SSLCertificateFile ${pki.serverCert}
  SSLCertificateKeyFile ${pki.serverKey}
  SSLCACertificateFile ${pki.caFile}
  # The default depth (1) rejects a leaf below an intermediate below the root.
  SSLVerifyDepth 10
${verify}
</VirtualHost>
`;
}

/** Starts Apache httpd with mod_ssl on 127.0.0.1 (a fresh port). Null only when skipping is allowed and it is missing. */
export async function startApache(t: Pick<TestContext, 'skip'> | null, pki: ServerPkiFiles, options: ApachePeerOptions): Promise<ApachePeer | null> {
  const apache = requirePeerBinary(t, 'Apache httpd (Debian apache2)', [apacheBinary], apacheDebianPackages);
  if (apache === null) return null;
  if (requirePeerBinary(t, 'mod_ssl (Debian apache2-bin)', [join(apacheModules, 'mod_ssl.so')], apacheDebianPackages) === null) return null;

  const dir = await mkdtemp(join(tmpdir(), `mtls-probe-apache-${options.mode}-tls${options.tls}-`));
  const runAsRoot = process.getuid?.() === 0;
  // mkdtemp makes 0700: the www-data workers must reach www/ (the key files stay as they are; root reads them).
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'www', 'secure'), { recursive: true, mode: 0o755 });
  await writeFile(join(dir, 'www', 'index.txt'), 'ok from apache (public)\n', { mode: 0o644 });
  await writeFile(join(dir, 'www', 'secure', 'index.txt'), 'ok from apache (secure)\n', { mode: 0o644 });
  const conf = join(dir, 'httpd.conf');
  const errorLog = join(dir, 'error.log');
  const accessLog = join(dir, 'access.log');
  const readIfThere = async (path: string): Promise<string> => (existsSync(path) ? readFile(path, 'utf8') : '');
  const name = `apache httpd (client certificate ${options.mode === 'host' ? 'for the host' : 'for /secure'}, TLS ${options.tls})`;
  const { port, proc } = await startPeerOnFreshPort(name, async (port) => {
    await writeFile(conf, apacheConfig(dir, port, pki, options, runAsRoot));
    // A start on a port that was taken leaves its errors behind: each start has the log to itself.
    await rm(errorLog, { force: true });
    return {
      command: apache,
      args: ['-f', conf, '-DFOREGROUND'],
      // Apache writes startup errors to the error log once it is open (a taken port it reports on stderr).
      options: { extraOutput: () => `\n(see ${errorLog})` },
    };
  });
  const logs = async (): Promise<ApachePeerLogs> => ({ error: await readIfThere(errorLog), access: await readIfThere(accessLog), output: proc.output() });
  return {
    name,
    port,
    dir,
    mode: options.mode,
    tls: options.tls,
    url: `https://localhost:${port}/`,
    secureUrl: `https://localhost:${port}/secure/`,
    logs,
    log: async () => {
      const l = await logs();
      return `${l.output}--- error.log ---\n${l.error}--- access.log ---\n${l.access}`;
    },
    stop: proc.stop,
  };
}
