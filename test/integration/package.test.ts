// The VSIX contents follow the .vscodeignore allow-list: only what runs is shipped, and everything that runs is.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;

function vsceList(): string[] {
  const vsce = new URL('../../node_modules/@vscode/vsce/vsce', import.meta.url).pathname;
  return execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root })
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

test('vsce lists exactly the allow-listed files', () => {
  assert.deepEqual(vsceList(), [
    'LICENSE',
    'README.md',
    'dist/aws-evidence-source.js',
    'dist/certificate-tools.js',
    'dist/collect.js',
    'dist/evidence-tools.js',
    'dist/extension.js',
    'dist/lab-tools.js',
    'dist/pkcs12.js',
    'dist/pki-generator.js',
    'dist/probe-engine.js',
    'dist/webview/timeline.js',
    'media/mtls-probe.svg',
    'media/timeline.css',
    'media/walkthrough/config.md',
    'media/walkthrough/lab.md',
    'media/walkthrough/probe.md',
    'media/walkthrough/timeline.md',
    'package.json',
    'schemas/mtls-probe.schema.json',
  ]);
});

test('every bundle the build made for the extension is shipped (a new lazy chunk must join the allow-list)', () => {
  const built = readdirSync(`${root}dist`).filter((f) => f.endsWith('.js') && f !== 'cli.js').map((f) => `dist/${f}`);
  const listed = new Set(vsceList());
  for (const file of built) assert.ok(listed.has(file), `${file} is built but not in .vscodeignore's allow-list`);
});

test('package.json contributes exactly the commands of the command table', () => {
  const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { contributes: { commands: Array<{ command: string }> } };
  const contributed = manifest.contributes.commands.map((c) => c.command).sort();
  const table = readFileSync(`${root}src/extension/commands.ts`, 'utf8');
  const inTable = [...table.matchAll(/^\s+'(mtlsProbe\.\w+)':/gm)].map((m) => m[1]!).sort();
  assert.deepEqual(inTable, contributed);
});
