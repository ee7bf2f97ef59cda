import * as vscode from 'vscode';
import type { IdentityConfig } from '../../core/config/types';
import type { IdentityPair } from '../../core/certs/pairs';
import { loadCertificateTools } from '../lazy-modules';
import type { WorkspaceConfigs } from '../workspace-configs';
import { isWorkspaceTrusted } from '../workspace-trust';
import { RefreshingTree } from './tree-base';

export type IdentitiesNode =
  | { kind: 'identity'; identity: IdentityConfig; certificate?: CertificateFacts }
  | { kind: 'discoveredGroup' }
  | { kind: 'discovered'; pair: IdentityPair }
  | { kind: 'message'; text: string; icon: string };

interface CertificateFacts {
  subject: string;
  relative: string;
  state: 'valid' | 'expired' | 'not-yet-valid';
  daysLeft: number;
  clientAuth: boolean;
}

/** Identities from the config (with expiry), and certificate + key pairs discovered in the workspace. */
export class IdentitiesView extends RefreshingTree<IdentitiesNode> {

  constructor(private readonly configs: WorkspaceConfigs) {
    const settingsChanged: vscode.Event<unknown> = (listener) => vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('mtlsProbe') && listener(e));
    super([configs.onDidChange, vscode.workspace.onDidGrantWorkspaceTrust, settingsChanged]);
  }

  async getChildren(node?: IdentitiesNode): Promise<IdentitiesNode[]> {
    if (node === undefined) {
      const identities = (await this.configs.all()).flatMap(({ config }) => config.identities);
      const nodes: IdentitiesNode[] = await Promise.all(identities.map(async (identity) => ({ kind: 'identity', identity, ...(await certificateFacts(identity)) }) as const));
      if (vscode.workspace.getConfiguration('mtlsProbe').get<boolean>('discoverIdentities', true)) nodes.push({ kind: 'discoveredGroup' });
      return nodes;
    }
    if (node.kind === 'discoveredGroup') {
      // Reading key files to pair them by public key is what Restricted Mode forbids.
      if (!isWorkspaceTrusted()) return [{ kind: 'message', text: 'Trust the workspace to search it for certificate + key pairs', icon: 'shield' }];
      const tools = await loadCertificateTools();
      // End-entity certificates only (a CA with its key is no client identity), one row per certificate however
      // many files hold it; folders of a multi-root workspace may share files too.
      const bySha256 = new Map<string, IdentityPair>();
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        if (folder.uri.scheme !== 'file') continue;
        for (const pair of (await tools.findIdentityPairs(folder.uri.fsPath)).pairs) {
          const seen = bySha256.get(pair.sha256);
          bySha256.set(pair.sha256, seen === undefined ? pair : { ...seen, certFiles: [...new Set([...seen.certFiles, ...pair.certFiles])], keyFiles: [...new Set([...seen.keyFiles, ...pair.keyFiles])] });
        }
      }
      if (bySha256.size === 0) return [{ kind: 'message', text: 'No certificate + private key pairs found', icon: 'info' }];
      return [...bySha256.values()].map((pair) => ({ kind: 'discovered', pair }) as const);
    }
    return [];
  }

  getTreeItem(node: IdentitiesNode): vscode.TreeItem {
    switch (node.kind) {
      case 'identity': {
        const { identity, certificate } = node;
        const file = identity.kind === 'pfx' ? identity.pfxFile : identity.certFile;
        const item = new vscode.TreeItem(identity.name);
        item.resourceUri = vscode.Uri.file(file);
        item.contextValue = 'identity';
        item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(file)] };
        const where = vscode.workspace.asRelativePath(file);
        if (certificate === undefined) {
          item.description = where;
          item.iconPath = new vscode.ThemeIcon('key');
        } else {
          item.description = `${certificate.relative} · ${where}`;
          item.iconPath = expiryIcon(certificate);
          item.tooltip = `${certificate.subject}\n${certificate.relative}${certificate.clientAuth ? '' : '\nNot usable as a TLS client certificate (no clientAuth)'}`;
        }
        return item;
      }
      case 'discoveredGroup': {
        const item = new vscode.TreeItem('Discovered in workspace', vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon('search');
        item.tooltip = 'Client certificates paired with their private keys by public key (never by file name); CA certificates are left out';
        return item;
      }
      case 'discovered': {
        const { pair } = node;
        const relative = (file: string): string => vscode.workspace.asRelativePath(file);
        const item = new vscode.TreeItem(relative(pair.cert));
        item.resourceUri = vscode.Uri.file(pair.cert);
        const others = pair.certFiles.length - 1;
        item.description = `${pair.subject} · key ${relative(pair.key)}${others > 0 ? ` · also in ${others} other file${others === 1 ? '' : 's'}` : ''}`;
        item.contextValue = 'identityDiscovered';
        item.iconPath = pair.expired ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon('key');
        item.tooltip = [
          pair.subject,
          `valid until ${pair.notAfter}${pair.expired ? ' (EXPIRED)' : ''}`,
          ...(pair.clientAuth ? [] : ['no clientAuth extended key usage']),
          `certificate in: ${pair.certFiles.map(relative).join(', ')}`,
          `key in: ${pair.keyFiles.map(relative).join(', ')}`,
        ].join('\n');
        item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(pair.cert)] };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
    }
  }
}

function expiryIcon(facts: CertificateFacts): vscode.ThemeIcon {
  const warnDays = vscode.workspace.getConfiguration('mtlsProbe').get<number>('expiryWarningDays', 30);
  if (facts.state !== 'valid') return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
  if (facts.daysLeft <= warnDays) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  return new vscode.ThemeIcon('key');
}

/** The leaf certificate's validity, read from the certificate file (never the key; not for PFX, which is sealed). */
async function certificateFacts(identity: IdentityConfig): Promise<{ certificate?: CertificateFacts }> {
  if (identity.kind !== 'pem' || !isWorkspaceTrusted()) return {};
  try {
    const tools = await loadCertificateTools();
    const contents = await tools.readCryptoFile(identity.certFile);
    const leaf = contents.certificates[0];
    if (leaf === undefined) return {};
    const details = tools.inspectCertificate(leaf.der);
    const daysLeft = Math.floor((Date.parse(details.notAfter) - Date.now()) / 86_400_000);
    return { certificate: { subject: details.subject, relative: details.validity.relative, state: details.validity.state, daysLeft, clientAuth: details.clientAuth } };
  } catch {
    // A missing or unreadable file is already a problem on the config file; the row shows its path.
    return {};
  }
}
