// What the end-to-end tests that probe start from: a test PKI, the ALB-like target it serves, and a workspace folder
// with the PKI's CA as certs/ca.pem and an empty .vscode/ for the test's own config and identity files.

import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../../src/core/demo/alb-like-target';
import { makePkiFiles, type TestPkiFiles } from '../../support/peers';

export interface ProbeWorkspace {
  pki: TestPkiFiles;
  albLike: AlbLikeTarget;
  /** The workspace folder. */
  dir: string;
  /** Stops the target and removes the folder and the PKI's files. */
  close(): Promise<void>;
}

/** `name` goes into the temporary folders' names (mtls-probe-e2e-NAME-…). */
export async function makeProbeWorkspace(name: string): Promise<ProbeWorkspace> {
  const pki = await makePkiFiles(`mtls-probe-e2e-${name}-pki-`);
  const albLike = await startAlbLikeTarget({ pki: pki.pki });
  const dir = await mkdtemp(join(tmpdir(), `mtls-probe-e2e-${name}-`));
  const close = async (): Promise<void> => {
    await albLike.close();
    await rm(dir, { recursive: true, force: true });
    await rm(pki.files.dir, { recursive: true, force: true });
  };
  await mkdir(join(dir, 'certs'));
  await mkdir(join(dir, '.vscode'));
  await copyFile(pki.files.caFile, join(dir, 'certs/ca.pem'));
  return { pki, albLike, dir, close };
}
