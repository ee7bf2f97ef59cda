// Activation of the packaged extension in a real VS Code (code-server), target ≤ 30 ms. The extension logs its own
// cost (bundle evaluation + activate(), see src/extension/extension.ts). Baseline in the same sessions: a minimal
// extension (one command, one log channel) installed beside it and timed the same way, so the ratio shows what
// the extension adds over the least an extension can cost on this machine at the same moment of start-up.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageExtension, startVsCode } from '../test/e2e/support/vscode-session';
import { median } from './statistics';

export interface ActivationResult {
  sessions: number;
  extensionMs: number[];
  baselineMs: number[];
  medianExtensionMs: number;
  medianBaselineMs: number;
  ratio: number;
}

const root = new URL('..', import.meta.url).pathname;


/** The baseline: the same clock as the real extension around the least an extension does. */
async function packageBaselineExtension(dir: string): Promise<string> {
  await mkdir(join(dir, 'dist'), { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'activation-baseline', displayName: 'Activation baseline', publisher: 'mtls-probe', version: '0.0.1', license: 'MIT',
      repository: 'https://example.invalid/baseline', engines: { vscode: '^1.95.0' }, main: './dist/extension.js', activationEvents: ['onStartupFinished'],
      contributes: { commands: [{ command: 'activationBaseline.hello', title: 'Hello' }] },
    }),
  );
  await writeFile(join(dir, 'README.md'), 'Activation baseline.\n');
  await writeFile(join(dir, 'LICENSE'), 'MIT\n');
  await writeFile(
    join(dir, 'dist/extension.js'),
    `const start = require('node:perf_hooks').performance.now();
const vscode = require('vscode');
const evaluated = require('node:perf_hooks').performance.now();
exports.activate = (context) => {
  const t = require('node:perf_hooks').performance.now();
  const output = vscode.window.createOutputChannel('Activation baseline', { log: true });
  context.subscriptions.push(output, vscode.commands.registerCommand('activationBaseline.hello', () => output.info('hello')));
  const own = evaluated - start + require('node:perf_hooks').performance.now() - t;
  output.info('baseline activated in ' + own.toFixed(1) + ' ms');
};
`,
  );
  const vsix = join(dir, 'baseline.vsix');
  execFileSync(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix], { cwd: dir, stdio: 'ignore' });
  return vsix;
}

export async function runActivationBench(sessions = Number(process.env.BENCH_ACTIVATION_SESSIONS ?? 5)): Promise<ActivationResult> {
  const work = await mkdtemp(join(tmpdir(), 'mtls-probe-activation-'));
  try {
    const [vsix, baseline] = await Promise.all([packageExtension(), packageBaselineExtension(join(work, 'baseline'))]);
    const workspace = join(work, 'workspace');
    await mkdir(join(workspace, '.vscode'), { recursive: true });
    await writeFile(join(workspace, '.vscode/mtls-probe.json'), '{ "endpoints": [] }\n');
    const extensionMs: number[] = [];
    const baselineMs: number[] = [];
    for (let i = 0; i < sessions; i++) {
      const session = await startVsCode({ workspace, trusted: true, vsix, extraVsix: [baseline] });
      try {
        const ours = await session.waitForOutputLog('mTLS Probe', /activated in ([\d.]+) ms/);
        const theirs = await session.waitForOutputLog('Activation baseline', /baseline activated in ([\d.]+) ms/);
        extensionMs.push(Number(/activated in ([\d.]+) ms/.exec(ours)![1]));
        baselineMs.push(Number(/baseline activated in ([\d.]+) ms/.exec(theirs)![1]));
      } finally {
        await session.close();
      }
    }
    const medianExtensionMs = median(extensionMs);
    const medianBaselineMs = median(baselineMs);
    return { sessions, extensionMs, baselineMs, medianExtensionMs, medianBaselineMs, ratio: medianExtensionMs / medianBaselineMs };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function describeActivationBench(r: ActivationResult): string {
  return [
    `Activation in code-server (${r.sessions} sessions): median ${r.medianExtensionMs.toFixed(1)} ms (target ≤ 30 ms) vs ${r.medianBaselineMs.toFixed(1)} ms for a minimal extension = ${r.ratio.toFixed(1)}×`,
    `  each: ${r.extensionMs.map((v) => v.toFixed(1)).join(', ')} ms; baseline ${r.baselineMs.map((v) => v.toFixed(1)).join(', ')} ms`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  void runActivationBench().then((r) => {
    console.log(describeActivationBench(r));
    process.exit(0);
  });
}
