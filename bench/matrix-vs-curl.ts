// Matrix: 200 probes (4 servers × 5 identities × 10) in one `mtls-probe matrix` process against the same
// 200 attempts as sequential curl processes, same servers, same run. Reports the speed ratio (target ≥ 10×)
// and the CLI's peak resident memory (target ≤ 150 MB), read by GNU time.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makePkiFiles, startHaproxy, startNginx, startOpensslServer, type RunningPeer } from '../test/support/peers';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const repeat = Number(process.env.BENCH_MATRIX_REPEAT ?? 10);
const pfxPassphrase = 'bench-pfx-pass';

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The ALB-like demo target, in its own process so its work is not counted in either side. */
export async function startTargetProcess(dir: string): Promise<RunningPeer> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./serve-alb-like-target.ts', import.meta.url).pathname, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`ALB-like target exited with ${code}`)));
  });
  return {
    name: 'alb-like target',
    port,
    url: `https://localhost:${port}/`,
    log: async () => '',
    stop: async () => {
      child.kill();
    },
  };
}

export interface MatrixBenchResult {
  probes: number;
  matrixSeconds: number;
  curlSeconds: number;
  speedup: number;
  peakRssMb: number;
}

export async function runMatrixBench(): Promise<MatrixBenchResult> {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: npm run build');
  if (!existsSync('/usr/bin/time')) throw new Error('GNU time is required to read peak memory: apt-get install -y time');
  const { files } = await makePkiFiles('mtls-probe-bench-');
  const pfx = join(files.dir, 'valid.p12');
  execFileSync('openssl', ['pkcs12', '-export', '-in', files.client('valid').cert, '-inkey', files.client('valid').key, '-out', pfx, '-passout', `pass:${pfxPassphrase}`], { stdio: 'pipe' });
  const peers = [await startNginx(null, files), await startHaproxy(null, files), await startOpensslServer(null, files, '1.2'), await startTargetProcess(files.dir)];
  try {
    const urls = peers.map((p) => p!.url);
    const identities: Array<{ label: string; cli: string; curl: string[] }> = [
      { label: 'none', cli: 'none', curl: [] },
      ...(['valid', 'expired', 'untrusted'] as const).map((name) => ({
        label: name,
        cli: `${name}=${files.client(name).cert},${files.client(name).key}`,
        curl: ['--cert', files.client(name).cert, '--key', files.client(name).key],
      })),
      { label: 'pfx', cli: `pfx=${pfx}`, curl: ['--cert-type', 'P12', '--cert', `${pfx}:${pfxPassphrase}`] },
    ];
    const probes = urls.length * identities.length * repeat;

    const matrixArgs = ['-f', '%e %M', process.execPath, cli, 'matrix', ...urls, '--cacert', files.caFile, ...identities.flatMap((i) => ['--identity', i.cli]), '--pass-env', 'BENCH_PFX_PASS', '--repeat', String(repeat), '--concurrency', '16', '--timeout', '5000', '--json'];
    const matrix = await run('/usr/bin/time', matrixArgs, { BENCH_PFX_PASS: pfxPassphrase });
    if (matrix.code !== 0) throw new Error(`matrix failed: ${matrix.stderr}`);
    const rows = matrix.stdout.trim().split('\n');
    if (rows.length !== probes) throw new Error(`matrix printed ${rows.length} rows, expected ${probes}`);
    const [elapsed, maxRssKb] = matrix.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number];

    const curlStart = performance.now();
    for (let i = 0; i < repeat; i++) {
      for (const url of urls) {
        for (const identity of identities) {
          await run('curl', ['-s', '-o', '/dev/null', '--max-time', '5', '--cacert', files.caFile, ...identity.curl, url]);
        }
      }
    }
    const curlSeconds = (performance.now() - curlStart) / 1000;
    return { probes, matrixSeconds: elapsed, curlSeconds, speedup: curlSeconds / elapsed, peakRssMb: maxRssKb / 1024 };
  } finally {
    for (const p of peers) await p?.stop();
  }
}

export function describeMatrixBench(r: MatrixBenchResult): string {
  return `matrix: ${r.probes} probes in one CLI process ${r.matrixSeconds.toFixed(2)} s vs sequential curl ${r.curlSeconds.toFixed(2)} s: ${r.speedup.toFixed(1)}x faster (target >= 10x); peak RSS ${r.peakRssMb.toFixed(1)} MB (target <= 150 MB)`;
}

if (process.argv[1]?.endsWith('matrix-vs-curl.ts')) {
  void runMatrixBench().then((r) => console.log(describeMatrixBench(r)));
}

