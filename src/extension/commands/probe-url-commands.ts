import * as path from 'node:path';
import * as vscode from 'vscode';
import type { IdentityConfig } from '../../core/config/types';
import type { ClientIdentity } from '../../core/identity/client-identity';
import type { CommandServices } from '../commands';
import type { ServerTrust } from '../endpoint-draft';
import { loadCertificateTools } from '../lazy-modules';
import { labFolderName } from '../local-lab';
import { CancelledError } from '../probe-runner';
import type { AdHocProbe } from '../run-history';
import type { ProbePhase } from '../../core/probe/types';
import { progressText } from '../run-words';
import { notifyRun } from './probe-commands';
import { ProgressTicker, withProgress } from './ui';
import { isWorkspaceTrusted } from '../workspace-trust';

/** Probe URL…: the URL, the client identity, the trust for the server; then one notification that offers to save it. */
export async function probeUrlCommand(s: CommandServices, initialUrl?: string): Promise<void> {
  const url =
    initialUrl ??
    (await vscode.window.showInputBox({
      title: 'mTLS Probe: probe a URL (1/3)',
      prompt: 'HTTPS URL to probe',
      placeHolder: 'https://api.example.com/health',
      ignoreFocusOut: true,
      validateInput: (value) => {
        try {
          return new URL(value).protocol === 'https:' ? undefined : 'The URL must start with https://';
        } catch {
          return 'Not a URL: give one like https://api.example.com/health';
        }
      },
    }));
  if (!url) return;
  const identity = await pickAdHocIdentity(s);
  const trust = await pickServerTrust(s, url);
  const adHoc: AdHocProbe = { url, trust, ...(identity?.saved !== undefined ? { identity: identity.saved } : {}) };
  const run = await withProgress('', async (signal, _token, progress) => {
    const ticker = new ProgressTicker(progress);
    let phase: ProbePhase | undefined;
    ticker.step((ms) => progressText(url, identity?.loaded.label ?? 'none', 0, 1, ms, phase));
    try {
      return await s.runner.probeUrl(adHoc, identity?.loaded ?? null, signal, (p) => (phase = p));
    } finally {
      ticker.dispose();
    }
  });
  const canSave = isWorkspaceTrusted() && (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === 'file');
  notifyRun(s, run, canSave ? { 'Save to Config': () => vscode.commands.executeCommand('mtlsProbe.saveRunToConfig', run.id) } : {});
}

type IdentityItem = vscode.QuickPickItem & { identity?: IdentityConfig; files?: true };

/** For an ad-hoc probe: no certificate, a configured identity, or files the person picks. */
async function pickAdHocIdentity(s: CommandServices): Promise<{ loaded: ClientIdentity; saved: AdHocProbe['identity'] } | null> {
  if (!isWorkspaceTrusted()) return null; // Restricted Mode: no key files are read.
  const configured = (await s.configs.all()).flatMap(({ config }) => config.identities);
  const items: IdentityItem[] = [
    { label: 'No client certificate' },
    ...configured.map((identity) => ({ label: identity.name, description: vscode.workspace.asRelativePath(identity.kind === 'pfx' ? identity.pfxFile : identity.certFile), identity })),
    { label: 'Choose certificate files…', files: true },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'mTLS Probe: probe a URL (2/3) — client identity', ignoreFocusOut: true });
  if (!picked) throw new CancelledError();
  if (picked.identity) return { loaded: await s.runner.loadIdentity(picked.identity), saved: { configName: picked.identity.name } };
  if (!picked.files) return null;
  const [file] =
    (await vscode.window.showOpenDialog({ title: 'Client certificate (PEM, DER or PKCS#12)', canSelectMany: false, filters: { Certificates: ['pem', 'crt', 'cer', 'der', 'p12', 'pfx'], All: ['*'] } })) ?? [];
  if (!file) throw new CancelledError();
  const name = path.basename(file.fsPath);
  if (/\.(p12|pfx)$/i.test(file.fsPath)) {
    return { loaded: await s.runner.loadIdentity({ kind: 'pfx', name, pfxFile: file.fsPath, location: adHocLocation }, true), saved: { pfxFile: file.fsPath } };
  }
  const [key] = (await vscode.window.showOpenDialog({ title: `Private key for ${name} (cancel if the file holds both)`, canSelectMany: false })) ?? [];
  const keyFile = (key ?? file).fsPath;
  return {
    loaded: await s.runner.loadIdentity({ kind: 'pem', name, certFile: file.fsPath, keyFile, location: adHocLocation }, true),
    saved: { certFile: file.fsPath, ...(key !== undefined ? { keyFile } : {}) },
  };
}

const adHocLocation = { file: '', jsonPath: '', offset: 0, length: 0 };

type TrustItem = vscode.QuickPickItem & { trust?: ServerTrust; choose?: true };

/**
 * How to verify the server: the CAs the workspace already names (endpoints' "ca", trust stores, the lab's CA),
 * CA certificates found in the workspace, a file to choose, the system store, or no check at all (curl -k).
 */
async function pickServerTrust(s: CommandServices, url: string): Promise<ServerTrust> {
  const items = trustItems(s, url);
  const picked = await vscode.window.showQuickPick(items, { title: 'mTLS Probe: probe a URL (3/3) — trust for the server\'s certificate', matchOnDescription: true, ignoreFocusOut: true });
  if (!picked) throw new CancelledError();
  if (picked.trust) return picked.trust;
  const [file] =
    (await vscode.window.showOpenDialog({
      title: 'CA certificate(s) that issued the server\'s certificate (PEM)',
      canSelectMany: false,
      ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
      filters: { 'PEM certificates': ['pem', 'crt', 'cer'], All: ['*'] },
    })) ?? [];
  if (!file) throw new CancelledError();
  return { kind: 'ca', file: file.fsPath };
}

async function trustItems(s: CommandServices, url: string): Promise<TrustItem[]> {
  const known = new Map<string, { description: string; sameServer: boolean }>();
  const origin = URL.canParse(url) ? new URL(url).host : '';
  const add = (file: string, description: string, sameServer = false): void => {
    const entry = known.get(file);
    if (entry === undefined) known.set(file, { description, sameServer });
    else entry.sameServer ||= sameServer;
  };
  for (const { config, folder } of await s.configs.all()) {
    for (const endpoint of config.endpoints) {
      if (endpoint.caFile !== undefined) add(endpoint.caFile, `the CA of endpoint ${endpoint.name}`, URL.canParse(endpoint.url) && new URL(endpoint.url).host === origin);
    }
    for (const store of config.trustStores) add(store.file, `trust store ${store.name}`);
    const labCa = path.join(folder.uri.fsPath, labFolderName, 'pki', 'root-ca.pem');
    if (await exists(labCa)) add(labCa, 'the local lab\'s CA', s.lab.running !== null && new URL(s.lab.running.url).host === origin);
  }
  for (const file of await workspaceCaFiles()) add(file, 'a CA certificate in the workspace');
  const caItem = (file: string, description: string): TrustItem => ({ label: vscode.workspace.asRelativePath(file), description, trust: { kind: 'ca', file }, iconPath: new vscode.ThemeIcon('file-certificate') });
  const entries = [...known].map(([file, e]) => ({ file, ...e }));
  const same = entries.filter((e) => e.sameServer).map((e) => caItem(e.file, e.description));
  const others = entries.filter((e) => !e.sameServer).map((e) => caItem(e.file, e.description));
  const separator = (label: string): TrustItem => ({ label, kind: vscode.QuickPickItemKind.Separator });
  return [
    ...same,
    { label: 'The system trust store', description: 'for publicly trusted servers', trust: { kind: 'system' }, iconPath: new vscode.ThemeIcon('globe') },
    ...(others.length > 0 ? [separator('in the workspace'), ...others] : []),
    separator(''),
    { label: 'Choose a CA file…', description: 'a PEM bundle of the CAs that issued the server\'s certificate', choose: true, iconPath: new vscode.ThemeIcon('folder-opened') },
    { label: 'Skip verification (like curl -k)', description: 'the server\'s certificate is not checked (yours still is)', trust: { kind: 'insecure' }, iconPath: new vscode.ThemeIcon('warning') },
  ];
}

async function exists(file: string): Promise<boolean> {
  return vscode.workspace.fs.stat(vscode.Uri.file(file)).then(
    () => true,
    () => false,
  );
}

/** PEM files in the workspace whose first certificate is a CA (trusted workspaces only: the files may hold keys). */
async function workspaceCaFiles(): Promise<string[]> {
  if (!isWorkspaceTrusted()) return [];
  const uris = await vscode.workspace.findFiles('**/*.{pem,crt,cer}', '{**/node_modules/**,**/.git/**}', 200);
  const tools = await loadCertificateTools();
  const found: string[] = [];
  for (const uri of uris) {
    try {
      const first = (await tools.readCryptoFile(uri.fsPath)).certificates[0];
      if (first !== undefined && tools.inspectCertificate(first.der).isCA) found.push(uri.fsPath);
    } catch {
      // Not a certificate file (or a key that needs a passphrase): not a CA to offer.
    }
  }
  return found.sort();
}
