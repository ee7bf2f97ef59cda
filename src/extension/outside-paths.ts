import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

// Which of the files a workspace config names lie outside every workspace folder, once links are followed: a key
// file inside the workspace that is a symbolic link to ~/.ssh is outside. Kept free of `vscode` so it is tested
// as plain Node.

/** The path with its links followed; as written (resolved) when it does not exist yet: reading it will say so. */
async function real(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

function within(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The paths (as given, each once) that are in none of `folders`. */
export async function pathsOutside(paths: readonly string[], folders: readonly string[]): Promise<string[]> {
  const realFolders = await Promise.all(folders.map(real));
  const outside: string[] = [];
  for (const path of new Set(paths)) {
    const target = await real(path);
    if (!realFolders.some((folder) => within(folder, target))) outside.push(path);
  }
  return outside;
}
