import * as path from 'node:path';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { workspaceConfigRelativePath } from '../../core/config/types';
import { starterConfigText } from '../../core/config/starter-config';
import type { GeneratedPkiManifest } from '../../core/pki/generate-pki';
import type { CommandServices } from '../commands';
import { pkiSummary } from '../lab-words';
import { loadPkiGenerator } from '../lazy-modules';
import { labFolderName, LocalLab } from '../local-lab';
import { CancelledError } from '../probe-runner';
import { requireTrust } from '../workspace-trust';
import { notify, pickFolder, withProgress } from './ui';

type FolderState = 'missing' | 'empty' | 'pki' | 'other' | 'file';

/** What a folder holds, for "reuse it or give another name" (never a raw EEXIST). */
async function folderState(dir: string): Promise<FolderState> {
  try {
    if (!(await stat(dir)).isDirectory()) return 'file';
  } catch {
    return 'missing';
  }
  const entries = await readdir(dir);
  if (entries.length === 0) return 'empty';
  return entries.includes('manifest.json') ? 'pki' : 'other';
}

async function readManifest(dir: string): Promise<GeneratedPkiManifest> {
  return JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as GeneratedPkiManifest;
}

/** The test PKI in dir: the one already there, or a new one; `fix` says what to do when dir holds something else. */
async function ensurePki(s: CommandServices, dir: string, shown: string, fix: string): Promise<{ manifest: GeneratedPkiManifest; reused: boolean }> {
  const state = await folderState(dir);
  if (state === 'pki') return { manifest: await readManifest(dir), reused: true };
  if (state === 'other' || state === 'file') throw new Error(`${shown} holds files that are not a test PKI: ${fix}.`);
  const tools = await loadPkiGenerator();
  const manifest = await withProgress(`generating a test PKI in ${shown}`, () => tools.generatePki(dir));
  s.output.info(pkiSummary(dir, manifest));
  return { manifest, reused: false };
}

const relativeFolder = (value: string): boolean => value.trim() !== '' && !path.isAbsolute(value) && !value.split(/[\\/]/).includes('..');

/** Generate Test PKI…: a folder that is new, empty or already holds a test PKI (reused); any other is refused by name. */
export async function generateTestPkiCommand(s: CommandServices): Promise<void> {
  const folder = await pickFolder();
  const root = folder.uri.fsPath;
  let suggestion = 'pki';
  for (let n = 2; ['other', 'file'].includes(await folderState(path.join(root, suggestion))); n++) suggestion = `pki-${n}`;
  const relative = await vscode.window.showInputBox({
    title: 'mTLS Probe: generate a test PKI',
    prompt: `Folder for the test PKI, relative to ${folder.name} (new or empty; one that holds a test PKI is reused)`,
    value: suggestion,
    ignoreFocusOut: true,
    validateInput: async (value) => {
      if (!relativeFolder(value)) return 'A folder inside the workspace folder, e.g. pki';
      const state = await folderState(path.join(root, value));
      if (state === 'file') return `${value} is a file: give a folder name`;
      if (state === 'other') return `${value} already holds other files: give a new folder name`;
      if (state === 'pki') return { message: `${value} already holds a test PKI: Enter reuses it`, severity: vscode.InputBoxValidationSeverity.Info };
      return undefined;
    },
  });
  if (relative === undefined) throw new CancelledError();
  const dir = path.join(root, relative);
  const { manifest, reused } = await ensurePki(s, dir, relative, 'choose another folder');
  const summary = pkiSummary(dir, manifest, (f) => vscode.workspace.asRelativePath(f));
  notify('info', `mTLS Probe: test PKI ${reused ? 'already in' : 'written to'} ${relative}: ${manifest.identities.length} client identities (one per load-balancer verify outcome), a server certificate and a CA bundle.`, {
    'Show Summary': () => s.reports.show(`Test PKI ${relative}.txt`, summary),
    'Reveal in Explorer': () => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(path.join(dir, manifest.trustStore))),
  });
}

type StarterKind = 'lab' | 'pki' | 'config';

/**
 * Create Workspace Config: asks in a quick pick, writes the config before any notification and opens it; every
 * step can be repeated (an existing config is opened, the lab's PKI reused, a running lab kept). With the lab or a
 * generated PKI the config points at the local lab, started here, so the first probe gets an answer.
 */
export async function createConfigCommand(s: CommandServices): Promise<void> {
  const folder = await pickFolder();
  const file = path.join(folder.uri.fsPath, workspaceConfigRelativePath);
  if (await openIfExists(file)) return;
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'Use the Local Lab', description: 'an ALB-shaped listener with mTLS, a WAF and a target on this machine, with its identities: no server or AWS account of your own', id: 'lab' as StarterKind },
      { label: 'Generate Test PKI', description: `a CA, a server certificate and one client identity per failure case (${labFolderName}/pki), served by the local lab so the first probe answers`, id: 'pki' as StarterKind },
      { label: 'Config Only', description: 'a commented starter to fill in with your own endpoints and certificates', id: 'config' as StarterKind },
    ],
    { title: 'mTLS Probe: create the workspace config', ignoreFocusOut: true },
  );
  if (picked === undefined) throw new CancelledError();
  if (picked.id === 'config') {
    if (await writeConfig(s, file, starterConfigText())) vscode.window.setStatusBarMessage(`$(check) mTLS Probe: wrote ${workspaceConfigRelativePath}: fill in your endpoints and certificates.`, 8000);
    return;
  }
  requireTrust('Starting the local lab');
  const labDir = path.join(folder.uri.fsPath, labFolderName);
  const { manifest } = await ensurePki(s, path.join(labDir, 'pki'), `${labFolderName}/pki`, 'the local lab keeps its PKI there, so move them to another folder');
  if (!(await writeConfig(s, file, starterConfigText({ lab: { dir: labFolderName, port: LocalLab.port() } })))) return;
  const lab = await withProgress('starting the local lab', () => s.lab.start(folder));
  const summary = pkiSummary(path.join(labDir, 'pki'), manifest, (f) => vscode.workspace.asRelativePath(f));
  notify('info', `mTLS Probe: wrote ${workspaceConfigRelativePath} for the local lab at ${lab.url} (its PKI in ${labFolderName}/pki). Probe it from the Endpoints view.`, {
    'Run All Expectations': () => vscode.commands.executeCommand('mtlsProbe.runAllExpectations'),
    ...(picked.id === 'pki' ? { 'Show PKI Summary': () => s.reports.show(`Test PKI ${labFolderName}.txt`, summary) } : {}),
  });
}

/** Opens the config when it exists (saying so in the status bar); false when there is none yet. */
async function openIfExists(file: string): Promise<boolean> {
  try {
    await stat(file);
  } catch {
    return false;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file));
  vscode.window.setStatusBarMessage(`mTLS Probe: ${workspaceConfigRelativePath} already exists; opened it.`, 8000);
  return true;
}

/** Writes a new config and opens it; one that appeared meanwhile is opened instead (false). */
async function writeConfig(s: CommandServices, file: string, text: string): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(file, text, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await openIfExists(file))) return false;
    throw error;
  }
  s.configs.reload();
  await vscode.window.showTextDocument(vscode.Uri.file(file));
  return true;
}

export async function openConfigCommand(s: CommandServices): Promise<void> {
  const configs = await s.configs.all();
  if (configs.length === 0) return createConfigCommand(s);
  const file =
    configs.length === 1
      ? configs[0]!.config.file
      : (await vscode.window.showQuickPick(configs.map((c) => ({ label: c.folder.name, description: workspaceConfigRelativePath, file: c.config.file }))))?.file;
  if (file) await vscode.window.showTextDocument(vscode.Uri.file(file));
}

export async function startLabCommand(s: CommandServices): Promise<void> {
  requireTrust('Starting the local lab');
  const folder = await pickFolder();
  const lab = await withProgress('starting the local lab', () => s.lab.start(folder));
  const configured = (await s.configs.endpoints()).some((ref) => ref.endpoint.url.startsWith(lab.url));
  const next = configured ? 'Probe Endpoint…' : 'Create Workspace Config';
  notify('info', `mTLS Probe: the local lab listens on ${lab.url} — an ALB-shaped listener with mTLS in verify mode, a WAF and a target, logging in AWS's formats under ${labFolderName}/logs.`, {
    [next]: () => vscode.commands.executeCommand(configured ? 'mtlsProbe.probeEndpoint' : 'mtlsProbe.createConfig'),
  });
}

export async function stopLabCommand(s: CommandServices): Promise<void> {
  const stopped = await s.lab.stop();
  notify('info', stopped ? 'mTLS Probe: the local lab stopped; its PKI and logs stay in the workspace.' : 'mTLS Probe: the local lab is not running.');
}
