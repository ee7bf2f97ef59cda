// A local server for tests that count what a probe leaves behind: bound to port 0 and reporting the port it got (no
// free-port race), its connections tracked so a test waits for the event that proves they closed (no fixed sleep),
// and the process's open file descriptors read from /proc/self/fd.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TrackedServer {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /**
   * Destroys the server's side of the connections still open (a server may keep a connection its client has left, as
   * an HTTP/2 server does after GOAWAY) and resolves once each has closed: then only the client's could be left.
   */
  dropConnections(): Promise<void>;
  /** Drops the connections left, closes the listener, and resolves once all of them are closed. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1, port 0. Works for node:net, node:tls, node:https and node:http2 secure servers: each emits
 * 'connection' with the TCP socket.
 */
export async function listenTracked(server: Server): Promise<TrackedServer> {
  const open = new Set<Socket>();
  let waiters: Array<() => void> = [];
  let accepted = 0;
  server.on('connection', (socket: Socket) => {
    accepted++;
    open.add(socket);
    socket.on('error', () => undefined); // a probe that resets or goes away is what these servers are for
    socket.once('close', () => {
      open.delete(socket);
      if (open.size > 0) return;
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const dropConnections = (): Promise<void> => {
    if (open.size === 0) return Promise.resolve();
    const closed = new Promise<void>((resolve) => waiters.push(resolve));
    for (const socket of open) socket.destroy();
    return closed;
  };
  return {
    port: (server.address() as AddressInfo).port,
    get accepted() {
      return accepted;
    },
    dropConnections,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([closed, dropConnections()]);
    },
  };
}

// tsx, which loads the tests, reads its compile cache while a module loads lazily (undici requires parts of itself on
// first use): those descriptors come and go with the loader, not with the code under test.
const loaderCache = join(tmpdir(), 'tsx-');

/** The process's open file descriptors, and how many of them are sockets (the test loader's own left out). */
export function openFileDescriptors(): { total: number; sockets: number } {
  let total = 0;
  let sockets = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the descriptor readdirSync itself held, closed by now
    }
    if (target.startsWith(loaderCache)) continue;
    total++;
    if (target.startsWith('socket:')) sockets++;
  }
  return { total, sockets };
}

/**
 * Sockets this process holds whose local port is `port`: for a client's port, its own end of the connection (the
 * server's end has the server's port). /proc/net/tcp{,6} map each socket's inode to its addresses.
 */
export function socketsOnLocalPort(port: number): number {
  const held = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
      if (inode !== undefined) held.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const local = columns[1];
      const inode = columns[9];
      if (local === undefined || inode === undefined) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && held.has(inode)) count++;
    }
  }
  return count;
}
