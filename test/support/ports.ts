// Loopback ports for tests, without races.
// - A Node server a test starts listens on port 0 and reads server.address().port: the kernel picks and holds it.
// - A server binary takes its port on its command line or in its config (nginx, HAProxy, Apache, Caddy, openssl
//   s_server): none binds port 0 and says which port it got. It is given unusedPort(); if something else binds that
//   port first, the peer fails with "address in use" and peer-process.ts starts it again on another port. It counts
//   as started once the process itself listens on the port (listensOn), so a stranger on the port is never taken for it.
// - A port that must refuse connections is held by holdClosedPort(): bound, never listening, and nothing else can
//   listen on it while it is held.

import { readdir, readFile, readlink } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A loopback port nothing listened on a moment ago, released before this returns: whoever binds it next may be
 * somebody else. Only for a peer started through peer-process.ts (which retries on "address in use" and checks that
 * the peer itself listens), never for a port that must stay free.
 */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ClosedPort {
  port: number;
  release(): Promise<void>;
}

/**
 * A loopback port where a connection is refused (RST: ECONNREFUSED) until release(). The port is the local end of a
 * connected socket: bound without SO_REUSEADDR and not listening, so a connection to it is refused and no listener
 * (which binds with SO_REUSEADDR) can take it meanwhile — unlike a port merely found free, which another test may bind.
 */
export async function holdClosedPort(): Promise<ClosedPort> {
  const accepted: Socket[] = [];
  const server: Server = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const holder = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  await new Promise<void>((resolve, reject) => {
    holder.once('connect', resolve);
    holder.once('error', reject);
  });
  return {
    port: holder.localPort!,
    release: async () => {
      holder.destroy();
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The inodes of the sockets process `pid` holds open (/proc/PID/fd). Empty once it has exited. */
async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  return inodes;
}

/**
 * Whether /proc can tell which process listens where (Linux); elsewhere listensOn falls back to a TCP connect. Asked
 * of this process, not the peer's: a peer that is exiting has no /proc entry, and a connect would then reach whoever
 * else holds the port and take it for the peer.
 */
async function canSeeListeners(): Promise<boolean> {
  return readFile('/proc/self/net/tcp', 'utf8').then(
    () => true,
    () => false,
  );
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * Whether process `pid` itself listens on 127.0.0.1:port (or on every address at that port): a LISTEN socket of that
 * port in /proc/PID/net/tcp whose inode is one of the process's open sockets. Without /proc (not Linux): whether
 * anything accepts a connection there.
 */
export async function listensOn(pid: number, port: number): Promise<boolean> {
  if (!(await canSeeListeners())) return canConnect(port);
  const table = await readFile(`/proc/${pid}/net/tcp`, 'utf8').catch(() => '');
  const wanted = port.toString(16).toUpperCase().padStart(4, '0');
  const listening = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [address, localPort] = (fields[1] ?? '').split(':');
    // st 0A is LISTEN; the address is 127.0.0.1 (in host byte order: 0100007F little-endian, 7F000001 big-endian) or any.
    if (fields[3] === '0A' && localPort === wanted && ['0100007F', '7F000001', '00000000'].includes(address ?? '') && fields[9] !== undefined) listening.add(fields[9]);
  }
  if (listening.size === 0) return false;
  for (const inode of await socketInodes(pid)) if (listening.has(inode)) return true;
  return false;
}
