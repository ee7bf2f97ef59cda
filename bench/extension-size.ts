// Sizes of what the extension ships (targets: activation bundle and the extension's code ≤ 500 KB minified before
// AWS code, VSIX ≤ 3 MB). Activation time is measured in a real VS Code by bench/activation.ts. Also the CLI's
// start-up, which the AWS SDK (its own bundle) must not slow down.
// Baseline in the same run: the same entry bundled as one file without the lazy split.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { median } from './statistics';

export interface ExtensionSizeResult {
  bundles: Record<string, number>;
  activationBundleBytes: number;
  /** The activation bundle plus what the first probe loads (probe engine; PKCS#12 only for PFX identities). */
  probePathBytes: number;
  /** The activation bundle plus what the first hover loads. */
  hoverPathBytes: number;
  /** The activation bundle plus what evidence from AWS loads after a probe (evidence tools and the AWS source). */
  awsEvidencePathBytes: number;
  totalShippedJsBytes: number;
  unsplitBaselineBytes: number;
  activationVsUnsplit: number;
  vsixBytes: number;
  /** Median time to require each lazy bundle in a fresh Node process (they do not use the vscode module). */
  lazyRequireMs: Record<string, number>;
  /** Median start-up of `mtls-probe --version` (the CLI bundle without the AWS source), and of `node -e 0`. */
  cliStartMs: number;
  nodeStartMs: number;
}

function startMs(args: string[], runs = 7): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

function requireMs(file: string, runs = 7): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
    times.push(Number(execFileSync(process.execPath, ['-e', script]).toString()));
  }
  return median(times);
}

const root = new URL('..', import.meta.url).pathname;

export async function runExtensionSizeBench(): Promise<ExtensionSizeResult> {
  const dist = join(root, 'dist');
  const bundles: Record<string, number> = {};
  for (const file of await readdir(dist)) {
    if (file.endsWith('.js') && file !== 'cli.js') bundles[file] = (await stat(join(dist, file))).size;
  }
  const work = await mkdtemp(join(tmpdir(), 'mtls-probe-size-'));
  try {
    const unsplit = join(work, 'extension-unsplit.js');
    await esbuild.build({ entryPoints: [join(root, 'src/extension/extension.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, legalComments: 'none', external: ['vscode'], outfile: unsplit, logLevel: 'error' });
    const unsplitBytes = (await stat(unsplit)).size;
    const vsix = join(work, 'mtls-probe.vsix');
    execFileSync(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--out', vsix], { cwd: root, stdio: 'ignore' });
    const activation = bundles['extension.js'] ?? 0;
    return {
      bundles,
      activationBundleBytes: activation,
      probePathBytes: activation + (bundles['probe-engine.js'] ?? 0),
      hoverPathBytes: activation + (bundles['certificate-tools.js'] ?? 0),
      // Evidence from AWS after a probe: the engine is loaded already; then the wording, the log readers and the SDK.
      awsEvidencePathBytes: activation + (bundles['evidence-tools.js'] ?? 0) + (bundles['collect.js'] ?? 0) + (bundles['aws-evidence-source.js'] ?? 0),
      totalShippedJsBytes: Object.values(bundles).reduce((a, b) => a + b, 0),
      unsplitBaselineBytes: unsplitBytes,
      activationVsUnsplit: activation / unsplitBytes,
      vsixBytes: (await stat(vsix)).size,
      lazyRequireMs: Object.fromEntries(Object.keys(bundles).filter((f) => f !== 'extension.js').map((f) => [f, requireMs(join(dist, f))])),
      cliStartMs: startMs([join(dist, 'cli.js'), '--version']),
      nodeStartMs: startMs(['-e', '0']),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const kb = (n: number): string => `${(n / 1024).toFixed(0)} KB`;

export function describeExtensionSizeBench(r: ExtensionSizeResult): string {
  return [
    `Extension bundles (minified): ${Object.entries(r.bundles).map(([f, n]) => `${f} ${kb(n)}`).join(', ')}`,
    `  activation bundle ${kb(r.activationBundleBytes)} vs ${kb(r.unsplitBaselineBytes)} unsplit = ${r.activationVsUnsplit.toFixed(2)} (target ≤ 500 KB)`,
    `  first probe loads ${kb(r.probePathBytes)}, first hover ${kb(r.hoverPathBytes)}, AWS evidence ${kb(r.awsEvidencePathBytes)}, all shipped JS ${kb(r.totalShippedJsBytes)}`,
    `  lazy bundles, require() in a fresh process: ${Object.entries(r.lazyRequireMs).map(([f, ms]) => `${f} ${ms.toFixed(1)} ms`).join(', ')}`,
    `VSIX ${kb(r.vsixBytes)} (target ≤ 3 MB)`,
    `CLI start-up (mtls-probe --version) ${r.cliStartMs.toFixed(0)} ms vs node -e 0 ${r.nodeStartMs.toFixed(0)} ms = ${(r.cliStartMs / r.nodeStartMs).toFixed(2)}×`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  void runExtensionSizeBench().then((r) => console.log(describeExtensionSizeBench(r)));
}
