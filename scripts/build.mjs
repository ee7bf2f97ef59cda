// Bundles the extension (vscode external), the CLI (standalone, with a shebang) and the timeline renderer for the
// browser (the webview panel and the self-contained HTML report inline the same dist/webview/timeline.js).
// Type checking is separate (`npm run typecheck`): esbuild only strips types.
//
// The extension is split so activation loads only the glue: every `import('./local-module')` in the extension's
// sources becomes its own bundle in dist/ (the probe engine with undici, the certificate tools, the PKCS#12 reader),
// required on first use. The CLI is split by command: dist/cli.js holds only the shell (the command table, the
// overview, --version); each command's definition (its words, help and options) is a small bundle in
// dist/cli/definitions/, and the code that runs it a bundle in dist/cli/, required only when the command runs —
// parsing the whole 1.3 MB for `--version` was most of the CLI's start-up, and the probe command's 760 KB most of
// `probe --help`'s. One command per process, so a command's bundle carries all it needs (code shared between
// commands is repeated on disk, never loaded twice); the AWS evidence source and the PKCS#12 reader are the
// extension's chunks, required by the commands that need them.
//
// The workspace config's JSON Schema (schemas/mtls-probe.schema.json, which package.json's jsonValidation names) is
// built too: made from the config reader's field tables (src/core/config/config-schema.ts), never edited by hand.
import * as esbuild from 'esbuild';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

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

/** The code of the CLI's commands: each is a lazy chunk in dist/cli/ (the folder keeps them out of the VSIX's dist/*.js). */
const cliCommand = /[\\/]src[\\/]cli[\\/]commands[\\/]/;
/** Their definitions (words, help, options): each a small lazy chunk in dist/cli/definitions/, all that --help loads. */
const cliDefinition = /[\\/]src[\\/]cli[\\/]definitions[\\/]/;

/**
 * The core's lazy modules that only some runs of a probing command need: evidence collection (probe --evidence) and
 * the exports (--report, --otlp). The extension splits them too; the CLI builds its own copies in dist/cli/, which
 * load their own lazy chunks with require().
 */
const cliCoreChunk = /[\\/]core[\\/](?:evidence[\\/]collect|report[\\/]run-exports)\.ts$/;

/**
 * A lazy chunk's name, its path in dist/ without `.js`: `probe-engine`, `cli/probe` for the code of a CLI command,
 * `cli/definitions/probe` for its definition, `cli/collect` for a core module the CLI splits off (`inCli`).
 */
function chunkName(source, inCli) {
  const name = basename(source, '.ts');
  if (cliCommand.test(source) || (inCli && cliCoreChunk.test(source))) return `cli/${name}`;
  return cliDefinition.test(source) ? `cli/definitions/${name}` : name;
}

/**
 * Marks local dynamic imports external, as the chunk's path relative to the importing bundle (`./<name>.js` beside
 * it), and collects them as entry points. `only`: just the imports whose source matches (the CLI splits off its
 * commands and the AWS evidence source). `from`: the importing bundle's own chunk name.
 */
function lazyChunks(chunks, only = /./, from = '') {
  return {
    name: 'lazy-chunks',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        // Only the product's own lazy modules: a library's dynamic imports stay inside its bundle.
        if (args.kind !== 'dynamic-import' || /[\\/]node_modules[\\/]/.test(args.importer)) return undefined;
        const source = resolveSource(args.resolveDir, args.path);
        if (!only.test(source)) return undefined;
        // A command that loads another (probe → evidence) keeps it in its own bundle: one copy of their classes.
        if (cliCommand.test(source) && cliCommand.test(args.importer)) return undefined;
        const name = chunkName(source, from === 'cli' || from.startsWith('cli/'));
        const known = chunks.get(name);
        if (known && known !== source) throw new Error(`two lazy modules named ${name}: ${known} and ${source}`);
        chunks.set(name, source);
        const path = relative(dirname(from), name).split('\\').join('/');
        return { path: `${path.startsWith('.') ? '' : './'}${path}.js`, external: true };
      });
    },
  };
}

/** The AWS SDK's ES module builds let esbuild drop the commands and models this product never calls. */
const awsChunk = /[\\/]evidence[\\/]aws[\\/]/;

/** An entry and every lazy chunk reachable from it, each built once (`built` is shared between entries). */
async function buildWithChunks(name, source, options, built, only) {
  const chunks = new Map();
  const pending = [[name, source]];
  while (pending.length > 0) {
    const [bundle, bundleSource] = pending.shift();
    built.add(bundle);
    await esbuild.build({
      ...common,
      ...options(bundle),
      ...(awsChunk.test(bundleSource) ? { mainFields: ['module', 'main'] } : {}),
      entryPoints: [bundleSource],
      outfile: `dist/${bundle}.js`,
      plugins: [lazyChunks(chunks, only, bundle)],
    });
    for (const [chunk, file] of chunks) {
      if (!built.has(chunk) && !pending.some(([n]) => n === chunk)) pending.push([chunk, file]);
    }
  }
}

const extensionOptions = () => ({ external: ['vscode'] });
// The CLI's bundles load their lazy chunks with require(), not import(): import() of a CommonJS file goes through the
// ES module loader, which scans the whole chunk for its exports first.
const cliSplit = { supported: { 'dynamic-import': false } };
const cliOptions = (name) => (name === 'cli' ? { ...cliSplit, banner: { js: '#!/usr/bin/env node' } } : name.startsWith('cli/') ? cliSplit : {});
/** The PKCS#12 reader: node-forge (~215 KB) loads only for a PKCS#12 file, in the extension and the CLI alike. */
const pkcs12Chunk = /[\\/]core[\\/]formats[\\/]pkcs12\.ts$/;
/**
 * What the CLI splits off: its commands' definitions and code, evidence collection and the exports, the AWS evidence
 * source (the SDK would double every command's start-up) and the PKCS#12 reader (the last two are the extension's
 * dist/aws-evidence-source.js and dist/pkcs12.js, shared by the commands that need them).
 */
const cliChunks = new RegExp(`${cliDefinition.source}|${cliCommand.source}|${cliCoreChunk.source}|${awsChunk.source}|${pkcs12Chunk.source}`);
// The timeline renderer runs in a browser page: no Node built-ins, one classic script (the report inlines it).
const webview = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  entryPoints: ['src/webview/main.ts'],
  outfile: 'dist/webview/timeline.js',
};

const schemaFile = 'schemas/mtls-probe.schema.json';

/**
 * Writes the JSON Schema from the field tables: the generator is bundled to a temporary module and run. In watch
 * mode it is written again whenever the tables change.
 */
async function buildSchema() {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-schema-'));
  const outfile = join(dir, 'config-schema.mjs');
  let generation = 0;
  const writeSchema = {
    name: 'write-schema',
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length > 0) return;
        // A new URL each time: the module cache would otherwise hand back the first generator.
        const { workspaceConfigSchema } = await import(`${pathToFileURL(outfile).href}?${++generation}`);
        await mkdir('schemas', { recursive: true });
        await writeFile(schemaFile, `${JSON.stringify(workspaceConfigSchema(), null, 2)}\n`);
      });
    },
  };
  const options = { bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning', entryPoints: ['src/core/config/config-schema.ts'], outfile, plugins: [writeSchema] };
  if (watch) {
    await (await esbuild.context(options)).watch();
    return;
  }
  try {
    await esbuild.build(options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const cli = { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [lazyChunks(new Map(), awsChunk)] };

await buildSchema();

if (watch) {
  // Watch mode rebuilds the CLI, the extension's entry and the timeline renderer; lazy chunks are rebuilt by a full build.
  for (const options of [cli, webview, { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [lazyChunks(new Map())] }]) {
    const context = await esbuild.context(options);
    await context.watch();
  }
} else {
  // A chunk that is no longer imported must not linger in dist/ and end up in the VSIX.
  await rm('dist', { recursive: true, force: true });
  // One after the other: a chunk both import (the AWS evidence source) is built once, by the first.
  const built = new Set();
  await buildWithChunks('extension', 'src/extension/extension.ts', extensionOptions, built, /./);
  await buildWithChunks('cli', 'src/cli/main.ts', cliOptions, built, cliChunks);
  await chmod('dist/cli.js', 0o755);
  // A matrix's worker threads run this entry (the probe engine and its lanes; see src/core/probe/matrix-threads.ts).
  await esbuild.build({ ...common, entryPoints: ['src/core/probe/matrix-worker.ts'], outfile: 'dist/cli/matrix-worker.js' });
  await esbuild.build(webview);
}
