// Caddy 2 (Debian `caddy`; Go's crypto/tls) as a real peer on a loopback port, with its own Caddyfile, storage
// and HOME in a temp dir: `client_auth { mode require_and_verify }` for the whole host (Go has no per-path
// client authentication: no renegotiation, no post-handshake authentication), the protocol version pinned.
// Go's server alerts differ from OpenSSL's: `bad_certificate` (42) both for no certificate and for one from an
// unknown CA, in TLS 1.2 and in TLS 1.3 (Go 1.19, which built Debian bookworm's Caddy 2.6.2).
// `/secure/` answers "ok from caddy (secure)", anything else "ok from caddy (public)" — both behind the same check.
//
// Two settings make it answer when reached by IP as well as by name: the site address has no host (so the TLS
// connection policy, with client_auth, applies with or without SNI — with `https://localhost:PORT` a client that
// connects to 127.0.0.1 sends no SNI and gets a handshake WITHOUT client authentication and a 421), and
// `strict_sni_host insecure_off` (client_auth turns strict SNI-Host checking on: Host 127.0.0.1 with no SNI → 421).

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ServerPkiFiles } from './generated-pki';
import type { RunningPeer } from './peers';
import { requirePeerBinary, startPeerOnFreshPort } from './peer-process';

export const caddyBinary = '/usr/bin/caddy';
export const caddyDebianPackages = ['caddy'];

export interface CaddyPeerOptions {
  /** The only protocol version the server accepts. */
  tls: '1.2' | '1.3';
  /** Default require_and_verify (the case of issue 15); the others are Caddy's other client_auth modes. */
  clientAuthMode?: 'require_and_verify' | 'verify_if_given' | 'require' | 'request';
}

export interface CaddyPeerLogs {
  /** Caddy's JSON log lines (debug level: `http: TLS handshake error from …: tls: client didn't provide a certificate`). */
  output: string;
}

export interface CaddyPeer extends RunningPeer {
  dir: string;
  tls: '1.2' | '1.3';
  /** https://localhost:PORT/ */
  url: string;
  /** https://localhost:PORT/secure/ */
  secureUrl: string;
  logs(): Promise<CaddyPeerLogs>;
}

/** The Caddyfile the peer runs with. */
export function caddyConfig(dir: string, port: number, pki: ServerPkiFiles, options: CaddyPeerOptions): string {
  const version = options.tls === '1.2' ? 'tls1.2' : 'tls1.3';
  return `# mTLS Probe test peer: Caddy, client_auth ${options.clientAuthMode ?? 'require_and_verify'}, TLS ${options.tls}
{
	admin off
	auto_https off
	storage file_system ${dir}/data
	servers {
		protocols h1 h2
		strict_sni_host insecure_off
	}
	log {
		output stderr
		format json
		level DEBUG
	}
}

https://:${port} {
	bind 127.0.0.1
	tls ${pki.serverCert} ${pki.serverKey} {
		protocols ${version} ${version}
		client_auth {
			mode ${options.clientAuthMode ?? 'require_and_verify'}
			trusted_ca_cert_file ${pki.caFile}
		}
	}
	respond /secure/* "ok from caddy (secure)" 200
	respond "ok from caddy (public)" 200
}
`;
}

/** Starts Caddy on 127.0.0.1 (a fresh port: another one if it was taken first). Null only when skipping is allowed and it is missing. */
export async function startCaddy(t: Pick<TestContext, 'skip'> | null, pki: ServerPkiFiles, options: CaddyPeerOptions): Promise<CaddyPeer | null> {
  const caddy = requirePeerBinary(t, 'Caddy (Debian caddy)', [caddyBinary], caddyDebianPackages);
  if (caddy === null) return null;
  const dir = await mkdtemp(join(tmpdir(), `mtls-probe-caddy-tls${options.tls}-`));
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'config'), { recursive: true });
  const file = join(dir, 'Caddyfile');
  const name = `caddy (client_auth ${options.clientAuthMode ?? 'require_and_verify'}, TLS ${options.tls})`;
  // HOME and XDG_* in the temp dir: Caddy writes nothing under the user's own folders.
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
  const { port, proc } = await startPeerOnFreshPort(name, async (port) => {
    await writeFile(file, caddyConfig(dir, port, pki, options));
    return { command: caddy, args: ['run', '--config', file, '--adapter', 'caddyfile'], options: { env, cwd: dir } };
  });
  return {
    name,
    port,
    dir,
    tls: options.tls,
    url: `https://localhost:${port}/`,
    secureUrl: `https://localhost:${port}/secure/`,
    logs: async () => ({ output: proc.output() }),
    log: async () => proc.output(),
    // The temp dir stays, like the other peers' (a failing test's logs).
    stop: proc.stop,
  };
}
