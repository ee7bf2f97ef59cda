// Runs the in-host suite (desktop-suite.ts) in desktop VS Code through @vscode/test-electron, which downloads
// VS Code: for machines that can reach update.code.visualstudio.com. CI runs the code-server suite (test/e2e),
// which needs no download. Usage: npm run test:desktop
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { runTests } from '@vscode/test-electron';
import { generatePki } from '../../src/core/pki/generate-pki';

async function main(): Promise<void> {
  const root = new URL('../..', import.meta.url).pathname;
  const work = await mkdtemp(join(tmpdir(), 'mtls-probe-desktop-'));
  const suite = join(work, 'desktop-suite.js');
  await build({ entryPoints: [join(root, 'test/desktop/desktop-suite.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: suite, external: ['vscode'] });

  const workspace = join(work, 'workspace');
  await generatePki(join(workspace, 'pki'));
  await mkdir(join(workspace, '.vscode'), { recursive: true });
  await writeFile(
    join(workspace, '.vscode/mtls-probe.json'),
    JSON.stringify({ identities: { valid: { cert: 'pki/valid.chain.pem', key: 'pki/valid.key' } }, trustStores: { alb: 'pki/ca-bundle.pem' }, endpoints: [{ name: 'local', url: 'https://localhost:1/', expect: { none: 'tcp' } }] }, null, 2),
  );
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: suite,
    launchArgs: [workspace, '--disable-extensions'],
    ...(process.env.MTLS_PROBE_VSCODE_VERSION ? { version: process.env.MTLS_PROBE_VSCODE_VERSION } : {}),
  });
}

main().catch((error: unknown) => {
  console.error(`desktop tests failed: ${(error as Error).message}`);
  process.exit(1);
});
