// The VSIX contents follow the .vscodeignore allow-list: only what runs is shipped.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

test('vsce lists exactly the allow-listed files', () => {
  const vsce = new URL('../../node_modules/@vscode/vsce/vsce', import.meta.url).pathname;
  const listed = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: new URL('../..', import.meta.url).pathname })
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
  assert.deepEqual(listed, ['LICENSE', 'README.md', 'dist/extension.js', 'package.json']);
});
