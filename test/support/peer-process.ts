// Running a real server binary as a test peer: find it (or fail loudly with the apt command), start it in the
// foreground as its own process group on a loopback port (another one when the port was taken first), wait until the
// process itself listens there, and stop it — also when the test process exits without calling stop(), so no server
// outlives the run.
// The same rules as peers.ts: a missing binary fails the test; only MTLS_PROBE_ALLOW_MISSING_PEERS=1 (never set
// in CI) turns that into a skip.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { listensOn, unusedPort } from './ports';

/**
 * The first existing path of `candidates`. When none exists: throws, naming the Debian packages to install, or —
 * only outside CI with MTLS_PROBE_ALLOW_MISSING_PEERS=1 and a test context — skips the test and returns null.
 */
export function requirePeerBinary(t: Pick<TestContext, 'skip'> | null, name: string, candidates: string[], debianPackages: string[]): string | null {
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  const message =
    `${name} is not installed (looked in ${candidates.join(', ')}): npm run test:all installs the test peers ` +
    `(or, as root: apt-get install -y --no-install-recommends ${debianPackages.join(' ')})`;
  if (t !== null && process.env.MTLS_PROBE_ALLOW_MISSING_PEERS === '1' && process.env.CI !== 'true') {
    t.skip(message);
    return null;
  }
  throw new Error(message);
}

export interface PeerProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM to the process group, SIGKILL after 3 s; resolves once the main process has ended. Idempotent. */
  stop(): Promise<void>;
}

// Peers still running when the test process exits (a crash, a forgotten stop()): killed synchronously on exit.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) killGroup(child, 'SIGKILL');
  });
}

/** The peer's bind failed because another process holds the port (caught by startPeerOnFreshPort, which moves on). */
export class PortInUseError extends Error {}

/** How every peer binary words EADDRINUSE: nginx, Apache "(98)Address already in use", HAProxy, Caddy "address already in use", OpenSSL. */
const addressInUse = /address already in use/i;

/**
 * Starts `command args` (its own process group, so a server's worker processes go with it) and resolves once the
 * process itself listens on 127.0.0.1:port — not merely something on that port: a port can be taken by another
 * process between being picked and being bound. Throws PortInUseError when the peer failed to bind for that reason.
 * `extraOutput` adds the server's own log files to error messages (and to the "address in use" check).
 */
export async function startPeerProcess(
  name: string,
  command: string,
  args: string[],
  port: number,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; extraOutput?: () => string } = {},
): Promise<PeerProcess> {
  installExitHook();
  // stdin stays an open pipe: openssl s_server reads commands from it and would stop at end of file.
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: options.env ?? process.env, cwd: options.cwd });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let failure: Error | undefined;
  const ended = new Promise<void>((resolve) => {
    // 'close', not 'exit': the output is complete by then, for the "address in use" check.
    child.once('close', () => {
      running.delete(child);
      resolve();
    });
    child.once('error', (e) => {
      failure = e;
      running.delete(child);
      resolve();
    });
  });
  let done = false;
  void ended.then(() => (done = true));
  const allOutput = (): string => output + (options.extraOutput?.() ?? '');
  const stop = async (): Promise<void> => {
    if (done) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
    await ended;
    clearTimeout(timer);
  };

  // Polled: nothing announces that a process has bound a port (nginx, Apache and HAProxy print nothing when they
  // listen). Each try looks at /proc; the process ending stops the wait at once. 400 tries, 25 ms apart at most.
  for (let tries = 0; tries < 400; tries++) {
    if (failure) throw new Error(`${name} could not be started (${command}): ${failure.message}`);
    if (done) {
      const text = allOutput();
      if (addressInUse.test(text)) throw new PortInUseError(`${name}: 127.0.0.1:${port} was taken before it could bind it:\n${text}`);
      throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode} before listening on 127.0.0.1:${port}:\n${text}`);
    }
    if (child.pid !== undefined && (await listensOn(child.pid, port))) return { child, output: () => output, stop };
    await Promise.race([ended, new Promise((r) => setTimeout(r, 25))]);
  }
  await stop();
  throw new Error(`${name} did not listen on 127.0.0.1:${port} after 400 looks:\n${allOutput()}`);
}

/** How to start a peer on a given port: the command and arguments, with its config already written for that port. */
export interface PeerLaunch {
  command: string;
  args: string[];
  options?: { env?: NodeJS.ProcessEnv; cwd?: string; extraOutput?: () => string };
}

let portSource: () => Promise<number> = unusedPort;

/** Replaces where startPeerOnFreshPort takes its ports (the test of the retry itself); returns the function that restores it. */
export function usePeerPortSource(source: () => Promise<number>): () => void {
  const previous = portSource;
  portSource = source;
  return () => {
    portSource = previous;
  };
}

/**
 * Starts a server that takes its port on its command line or in its config, which no such binary lets be 0.
 * `launch(port)` writes the config for `port` and says how to start the peer. The port is one nothing listened on a
 * moment earlier; if another process binds it first, the peer fails with "address in use" and is started again on
 * another port: at most 5 starts.
 */
export async function startPeerOnFreshPort(name: string, launch: (port: number) => Promise<PeerLaunch>): Promise<{ port: number; proc: PeerProcess }> {
  const taken: string[] = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await portSource();
    const { command, args, options } = await launch(port);
    try {
      return { port, proc: await startPeerProcess(name, command, args, port, options) };
    } catch (e) {
      if (!(e instanceof PortInUseError)) throw e;
      taken.push(e.message);
    }
  }
  throw new Error(`${name}: every port tried was taken before it could bind it:\n${taken.join('\n')}`);
}
