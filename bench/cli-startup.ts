// CLI start-up against Node's own (issue 18: ≤ 1.4× `node -e 0`). Whole processes, interleaved (each round runs
// every variant once, in a rotating order, so drift on the machine falls on all of them alike), medians.
// `--version`, `--help` and a command's --help (`probe --help`, `matrix --help`) load only the shell, which holds
// every command's help and options. "probe (refused)" loads the probe command's code (its bundle: the probe engine,
// undici) and probes a loopback port that refuses at once: what a probing command costs before any network wait.
// "probe (HTTP/1.1 answer)" probes a loopback HTTPS server (Node's own, in a process of its own) to its answer over
// HTTP/1.1: the whole of a short CLI run, its exit included (undici's parser is WebAssembly: see src/cli/wasm-tiering.ts).
// Run alone: node --import tsx bench/cli-startup.ts [RUNS]   (needs a built dist/: npm run build)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestPki } from '../src/core/pki/test-pki';
import { holdClosedPort } from '../test/support/ports';
import { median } from './statistics';

export interface CliStartupVariant {
  label: string;
  medianMs: number;
  /** The median over `node -e 0`'s median in the same run. */
  ratio: number;
}

export interface CliStartupResult {
  runs: number;
  variants: CliStartupVariant[];
}

const root = new URL('..', import.meta.url).pathname;

/** One run of a probe, checked: it must end with the verdict expected, or it measures something else. */
function checkProbe(args: string[], expected: RegExp): void {
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', timeout: 10_000 });
  if (!expected.test(out)) throw new Error(`the probe did not end as expected (${expected.source}):\n${out}`);
}

/** An HTTPS server that answers "ok", in a process of its own (the bench's own loop is blocked while it times). */
async function startAnsweringServer(): Promise<{ url: string; caFile: string; stop: () => Promise<void> }> {
  const pki = await generateTestPki();
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-bench-startup-'));
  const files = { cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem'), ca: join(dir, 'ca.pem') };
  await Promise.all([writeFile(files.cert, pki.server.certPem), writeFile(files.key, pki.server.keyPem), writeFile(files.ca, pki.rootCa.certPem)]);
  const script = `const fs = require('node:fs');
    const server = require('node:https').createServer({ cert: fs.readFileSync(${JSON.stringify(files.cert)}), key: fs.readFileSync(${JSON.stringify(files.key)}) }, (_q, r) => r.end('ok\\n'));
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the HTTPS server exited with ${code}`)));
  });
  const stop = async (): Promise<void> => {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  };
  return { url: `https://localhost:${port}/`, caFile: files.ca, stop };
}

export async function runCliStartupBench(runs = Number(process.env.BENCH_CLI_STARTUP_RUNS ?? 40)): Promise<CliStartupResult> {
  // BENCH_CLI: another build's entry (a copy of dist/ taken before a change, say), to compare builds.
  const cli = process.env.BENCH_CLI ?? join(root, 'dist/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  // Held for the whole run: bound and never listening, so each connection is refused (RST) with no wait.
  const closed = await holdClosedPort();
  const refused = [cli, 'probe', `https://127.0.0.1:${closed.port}/`, '--timeout', '1000'];
  const server = await startAnsweringServer();
  const answered = [cli, 'probe', server.url, '--cacert', server.caFile, '--alpn', 'http/1.1'];
  const variants: Array<{ label: string; args: string[] }> = [
    { label: 'node -e 0', args: ['-e', '0'] },
    { label: 'mtls-probe --version', args: [cli, '--version'] },
    { label: 'mtls-probe --help', args: [cli, '--help'] },
    { label: 'mtls-probe probe --help', args: [cli, 'probe', '--help'] },
    { label: 'mtls-probe matrix --help', args: [cli, 'matrix', '--help'] },
    { label: 'mtls-probe probe (refused)', args: refused },
    { label: 'mtls-probe probe (HTTP/1.1 answer)', args: answered },
  ];
  try {
    checkProbe(refused, /Verdict: stopped at tcp — connection_refused/);
    checkProbe(answered, /Verdict: passed \(the application answered\) — target_responded/);
    return { runs, variants: timeVariants(variants, runs) };
  } finally {
    await closed.release();
    await server.stop();
  }
}

function timeVariants(variants: Array<{ label: string; args: string[] }>, runs: number): CliStartupVariant[] {
  const times = variants.map(() => [] as number[]);
  // One unmeasured round warms the file cache.
  for (const v of variants) execFileSync(process.execPath, v.args, { stdio: 'ignore' });
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + round) % variants.length;
      const t = process.hrtime.bigint();
      execFileSync(process.execPath, variants[i]!.args, { stdio: 'ignore' });
      times[i]!.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  const medians = times.map(median);
  return variants.map((v, i) => ({ label: v.label, medianMs: medians[i]!, ratio: medians[i]! / medians[0]! }));
}

export function describeCliStartupBench(r: CliStartupResult): string {
  return [
    `CLI start-up, ${r.runs} interleaved whole processes each (target ≤ 1.4× node -e 0):`,
    ...r.variants.map((v) => `  ${v.label.padEnd(34)} ${v.medianMs.toFixed(1).padStart(6)} ms  ${v.ratio.toFixed(2)}×`),
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const runs = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  void runCliStartupBench(runs).then((r) => console.log(describeCliStartupBench(r)));
}
