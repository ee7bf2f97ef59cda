// Matrix vs the raw-Node floor: the same endpoints (nginx, HAProxy, openssl s_server, the ALB-like demo target)
// × the same four identities (valid, untrusted, expired, none), repeated to 208 probes, at the same concurrency
// (1 and 8), each side a whole process: `node dist/cli.js matrix … --json` against bench/matrix-floor-client.mjs
// (plain tls.connect + GET, a SecureContext built once per identity, the same bounded pool). Runs are
// interleaved (the order alternating) so drift hits both alike; the ratios are of medians (target ≤ 1.3×).
// Both sides speak the same HTTP: `http/1.1` (the matrix with --http1.1, the floor offering http/1.1 only), and
// `h2,http/1.1` (the matrix's default, as curl offers; the floor then GETs over node:http2 where the server picks h2).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makePkiFiles, startHaproxy, startNginx, startOpensslServer, type RunningPeer } from '../test/support/peers';
import { startTargetProcess } from './matrix-vs-curl';
import { median } from './statistics';

// BENCH_CLI: another build's entry (a copy of dist/ taken before a change, say), to compare builds.
const cli = process.env.BENCH_CLI ?? new URL('../dist/cli.js', import.meta.url).pathname;
// BENCH_THREADS=N: the matrix runs with --threads N (the floor stays one thread, as a plain client is).
const threads = process.env.BENCH_THREADS;
const floorClient = new URL('./matrix-floor-client.mjs', import.meta.url).pathname;
const runs = Math.max(5, Number(process.env.BENCH_FLOOR_RUNS ?? 7));
const repeat = Number(process.env.BENCH_FLOOR_REPEAT ?? 13);
const concurrencies = [1, 8];
const protocols = ['http/1.1', 'h2,http/1.1'] as const;
type Protocols = (typeof protocols)[number];
const timeoutMs = 5000;

function timed(args: string[]): Promise<{ ms: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Only newlines are counted: the matrix prints megabytes of traces, and keeping them would load this process.
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      const ms = performance.now() - start;
      if (code !== 0) reject(new Error(`${args.slice(0, 2).join(' ')} exited with ${code}: ${stderr}`));
      else resolve({ ms, lines });
    });
  });
}

export interface MatrixFloorResult {
  probes: number;
  /** The matrix's --threads (BENCH_THREADS), 1 by default. */
  threads: number;
  runs: number;
  concurrency: number;
  /** What both sides offer in ALPN. */
  alpn: Protocols;
  matrixMedianMs: number;
  floorMedianMs: number;
  ratio: number;
}

export async function runMatrixFloorBench(): Promise<MatrixFloorResult[]> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: npm run build`);
  const { files } = await makePkiFiles('mtls-probe-bench-');
  const peers: RunningPeer[] = [];
  try {
    peers.push((await startNginx(null, files))!, (await startHaproxy(null, files))!, (await startOpensslServer(null, files, '1.2'))!, await startTargetProcess(files.dir));
    const urls = peers.map((p) => p.url);
    const named = (['valid', 'untrusted', 'expired'] as const).map((label) => ({ label, cert: files.client(label).cert, key: files.client(label).key }));
    const identities = [...named, { label: 'none' }];
    const probes = urls.length * identities.length * repeat;
    const matrixArgs = (concurrency: number, alpn: Protocols): string[] => [
      cli, 'matrix', ...urls, '--cacert', files.caFile, ...named.flatMap((i) => ['--identity', `${i.label}=${i.cert},${i.key}`]), '--identity', 'none',
      '--repeat', String(repeat), '--concurrency', String(concurrency), '--timeout', String(timeoutMs), '--json', '--alpn', alpn,
      ...(threads !== undefined ? ['--threads', threads] : []),
    ];
    const floorArgs = async (concurrency: number, alpn: Protocols): Promise<string[]> => {
      const config = join(files.dir, `floor-${concurrency}-${alpn.replace(/\W/g, '')}.json`);
      await writeFile(config, JSON.stringify({ urls, ca: files.caFile, identities, repeat, concurrency, timeoutMs, alpn: alpn.split(',') }));
      return [floorClient, config];
    };
    const pairs = concurrencies.flatMap((concurrency) => protocols.map((alpn) => ({ concurrency, alpn })));
    const sides = await Promise.all(
      pairs.map(async ({ concurrency, alpn }) => ({ concurrency, alpn, matrix: matrixArgs(concurrency, alpn), floor: await floorArgs(concurrency, alpn), matrixMs: [] as number[], floorMs: [] as number[] })),
    );
    const check = (what: string, lines: number): void => {
      if (lines !== probes) throw new Error(`${what} printed ${lines} rows, expected ${probes}`);
    };
    // One warm-up round (page cache, servers' session state), not counted.
    for (const s of sides) {
      check('floor', (await timed(s.floor)).lines);
      check('matrix', (await timed(s.matrix)).lines);
    }
    for (let run = 0; run < runs; run++) {
      for (const s of sides) {
        const order = run % 2 === 0 ? (['floor', 'matrix'] as const) : (['matrix', 'floor'] as const);
        for (const side of order) {
          const { ms, lines } = await timed(s[side]);
          check(side, lines);
          s[`${side}Ms`].push(ms);
        }
      }
    }
    return sides.map((s) => {
      const matrixMedianMs = median(s.matrixMs);
      const floorMedianMs = median(s.floorMs);
      return { probes, threads: Number(threads ?? 1), runs, concurrency: s.concurrency, alpn: s.alpn, matrixMedianMs, floorMedianMs, ratio: matrixMedianMs / floorMedianMs };
    });
  } finally {
    for (const p of peers) await p.stop();
  }
}

export function describeMatrixFloorBench(r: MatrixFloorResult): string {
  return `matrix vs raw-Node floor, concurrency ${r.concurrency}, ALPN ${r.alpn}${r.threads > 1 ? `, matrix in ${r.threads} threads` : ''}: ${r.probes} probes, medians of ${r.runs} whole-process runs: matrix ${r.matrixMedianMs.toFixed(0)} ms, floor ${r.floorMedianMs.toFixed(0)} ms: ${r.ratio.toFixed(2)}x (target <= 1.3x)`;
}

if (process.argv[1]?.endsWith('matrix-floor.ts')) {
  void runMatrixFloorBench().then((results) => {
    for (const r of results) console.log(describeMatrixFloorBench(r));
  });
}
