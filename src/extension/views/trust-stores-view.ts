import * as vscode from 'vscode';
import type { TrustStoreConfig } from '../../core/config/types';
import type { TrustStoreFinding, TrustStoreReport } from '../../core/certs/truststore-lint';
import type { TrustStoreLinter } from '../trust-store-linter';
import type { WorkspaceConfigs } from '../workspace-configs';
import { RefreshingTree } from './tree-base';

export type TrustStoresNode =
  | { kind: 'trustStore'; trustStore: TrustStoreConfig; report?: TrustStoreReport; error?: string }
  | { kind: 'finding'; file: string; finding: TrustStoreFinding };

/** The config's trust stores, each linted against ALB's rules; findings are children and diagnostics. */
export class TrustStoresView extends RefreshingTree<TrustStoresNode> {

  constructor(
    private readonly configs: WorkspaceConfigs,
    private readonly linter: TrustStoreLinter,
  ) {
    super([configs.onDidChange]);
  }

  async getChildren(node?: TrustStoresNode): Promise<TrustStoresNode[]> {
    if (node === undefined) {
      const stores = (await this.configs.all()).flatMap(({ config }) => config.trustStores);
      return Promise.all(
        stores.map(async (trustStore): Promise<TrustStoresNode> => {
          try {
            return { kind: 'trustStore', trustStore, report: await this.linter.lint(trustStore.file) };
          } catch (error) {
            return { kind: 'trustStore', trustStore, error: (error as Error).message };
          }
        }),
      );
    }
    if (node.kind === 'trustStore' && node.report) return node.report.findings.map((finding) => ({ kind: 'finding', file: node.trustStore.file, finding }) as const);
    return [];
  }

  getTreeItem(node: TrustStoresNode): vscode.TreeItem {
    if (node.kind === 'finding') {
      const { finding } = node;
      const item = new vscode.TreeItem(`line ${finding.line}: ${finding.message}`);
      item.tooltip = finding.message;
      item.description = finding.rule;
      item.iconPath = new vscode.ThemeIcon(finding.severity === 'error' ? 'error' : 'warning');
      item.command = {
        command: 'vscode.open',
        title: 'Open',
        arguments: [vscode.Uri.file(node.file), { selection: new vscode.Range(finding.line - 1, 0, finding.line - 1, 0) } satisfies vscode.TextDocumentShowOptions],
      };
      return item;
    }
    const { trustStore, report, error } = node;
    const hasFindings = (report?.findings.length ?? 0) > 0;
    const item = new vscode.TreeItem(trustStore.name, hasFindings ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.resourceUri = vscode.Uri.file(trustStore.file);
    item.contextValue = 'trustStore';
    item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(trustStore.file)] };
    if (error !== undefined || report === undefined) {
      item.description = error ?? 'not linted';
      item.iconPath = new vscode.ThemeIcon('error');
    } else {
      item.description = `${report.certificates.length} certificate${report.certificates.length === 1 ? '' : 's'} · ${
        report.errorCount > 0 ? `${report.errorCount} error${report.errorCount === 1 ? '' : 's'}: ALB would reject it` : report.warningCount > 0 ? `${report.warningCount} warning(s)` : 'ALB accepts it'
      }`;
      item.iconPath = new vscode.ThemeIcon(report.errorCount > 0 ? 'error' : report.warningCount > 0 ? 'warning' : 'verified');
    }
    return item;
  }
}
