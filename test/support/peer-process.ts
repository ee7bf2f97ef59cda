// Running a real server binary as a test peer: find it (or fail loudly with the apt command), start it in the
// foreground as its own process group, wait until it listens on its loopback port, and stop it — also when the
// test process exits without calling stop(), so no server outlives the run.
// The same rules as peers.ts: a missing binary fails the test; only MTLS_PROBE_ALLOW_MISSING_PEERS=1 (never set
// in CI) turns that into a skip.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

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
  /** SIGTERM to the process group, SIGKILL after 3 s; resolves once the main process has exited. Idempotent. */
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
 * Starts `command args` (its own process group, so a server's worker processes go with it), and waits up to 10 s for
 * 127.0.0.1:port to accept connections. `extraOutput` adds the server's own log files to error messages.
 */
export async function startPeerProcess(
  name: string,
  command: string,
  args: string[],
  port: number,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; extraOutput?: () => string } = {},
): Promise<PeerProcess> {
  installExitHook();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: options.env ?? process.env, cwd: options.cwd });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const allOutput = (): string => output + (options.extraOutput?.() ?? '');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 10_000;
  let failure: Error | undefined;
  void spawnError.then((e) => (failure = e));
  while (Date.now() < deadline) {
    if (failure) throw new Error(`${name} could not be started (${command}): ${failure.message}`);
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before listening:\n${allOutput()}`);
    if (await canConnect(port)) return { child, output: () => output, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within 10 s:\n${allOutput()}`);
}
