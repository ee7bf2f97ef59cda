// Which files a workspace config names lie outside the workspace folders: the extension asks before reading those.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathsOutside } from '../../src/extension/outside-paths';

describe('files a workspace config names outside the workspace folders', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mtls-probe-outside-'));
  const workspace = join(root, 'workspace');
  const other = join(root, 'other-folder');
  const home = join(root, 'home');
  await mkdir(join(workspace, 'pki'), { recursive: true });
  await mkdir(other, { recursive: true });
  await mkdir(home, { recursive: true });
  await writeFile(join(workspace, 'pki', 'client.key'), 'key');
  await writeFile(join(home, 'id.key'), 'key');
  await writeFile(join(other, 'ca.pem'), 'ca');
  await symlink(join(home, 'id.key'), join(workspace, 'pki', 'linked.key'));

  test('a file inside the folder is not outside; one elsewhere is', async () => {
    assert.deepEqual(await pathsOutside([join(workspace, 'pki', 'client.key'), join(home, 'id.key')], [workspace]), [join(home, 'id.key')]);
  });
  test('a link inside the folder to a file outside it is outside', async () => {
    assert.deepEqual(await pathsOutside([join(workspace, 'pki', 'linked.key')], [workspace]), [join(workspace, 'pki', 'linked.key')]);
  });
  test('".." out of the folder is outside; a name that only starts like the folder is outside too', async () => {
    const sibling = `${workspace}-copy/key.pem`;
    assert.deepEqual(await pathsOutside([join(workspace, '..', 'home', 'id.key'), sibling], [workspace]), [join(workspace, '..', 'home', 'id.key'), sibling]);
  });
  test('any workspace folder will do (multi-root)', async () => {
    assert.deepEqual(await pathsOutside([join(other, 'ca.pem'), join(workspace, 'pki', 'client.key')], [workspace, other]), []);
  });
  test('a file that does not exist is judged by its path (reading it will then say it is missing); each path once', async () => {
    const missing = join(home, 'missing.key');
    assert.deepEqual(await pathsOutside([missing, missing, join(workspace, 'pki', 'missing.pem')], [workspace]), [missing]);
  });
  test('with no workspace folder open, every file is outside', async () => {
    assert.deepEqual(await pathsOutside([join(workspace, 'pki', 'client.key')], []), [join(workspace, 'pki', 'client.key')]);
  });
});
