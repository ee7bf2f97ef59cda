// Bundles the extension (vscode external) and the CLI (standalone, with a shebang).
// Type checking is separate (`npm run typecheck`): esbuild only strips types.
//
// The extension is split so activation loads only the glue: every `import('./local-module')` in the extension's
// sources becomes its own bundle in dist/ (the probe engine with undici, the certificate tools, the PKCS#12 reader),
// required on first use. The CLI stays one file: it runs one command per process.
import * as esbuild from 'esbuild';
import { chmod, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  define: { MTLS_PROBE_VERSION: JSON.stringify(pkg.version) },
};

function resolveSource(resolveDir, specifier) {
  const base = resolve(resolveDir, specifier);
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  throw new Error(`cannot resolve lazy module ${specifier} from ${resolveDir}`);
}

/** Marks local dynamic imports external, as `./<name>.js` beside the bundle, and collects them as entry points. */
function lazyChunks(chunks) {
  return {
    name: 'lazy-chunks',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const source = resolveSource(args.resolveDir, args.path);
        const name = basename(source, '.ts');
        const known = chunks.get(name);
        if (known && known !== source) throw new Error(`two lazy modules named ${name}: ${known} and ${source}`);
        chunks.set(name, source);
        return { path: `./${name}.js`, external: true };
      });
    },
  };
}

/** The extension's entry and every lazy chunk reachable from it, each built once. */
async function buildExtension() {
  const chunks = new Map();
  const built = new Set();
  const pending = [['extension', 'src/extension/extension.ts']];
  while (pending.length > 0) {
    const [name, source] = pending.shift();
    built.add(name);
    await esbuild.build({
      ...common,
      entryPoints: [source],
      outfile: `dist/${name}.js`,
      external: ['vscode'],
      plugins: [lazyChunks(chunks)],
    });
    for (const [chunk, chunkSource] of chunks) {
      if (!built.has(chunk) && !pending.some(([n]) => n === chunk)) pending.push([chunk, chunkSource]);
    }
  }
  return [...built];
}

const cli = { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } };

if (watch) {
  // Watch mode rebuilds the CLI and the extension's entry; lazy chunks are rebuilt by a full build.
  for (const options of [cli, { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [lazyChunks(new Map())] }]) {
    const context = await esbuild.context(options);
    await context.watch();
  }
} else {
  // A chunk that is no longer imported must not linger in dist/ and end up in the VSIX.
  await rm('dist', { recursive: true, force: true });
  await Promise.all([buildExtension(), esbuild.build(cli)]);
  await chmod('dist/cli.js', 0o755);
}
