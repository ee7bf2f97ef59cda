import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeExpectedOutcome } from '../../core/expectations/evaluate';
import { noIdentityName, type EndpointConfig, type WorkspaceConfig } from '../../core/config/types';
import { runLine } from '../../core/runs/check-run';
import { endpointIdentityKey, runIcon, type RunHistory } from '../run-history';
import type { WorkspaceConfigs } from '../workspace-configs';
import { RefreshingTree } from './tree-base';

export type EndpointsNode =
  | { kind: 'endpoint'; config: WorkspaceConfig; endpoint: EndpointConfig; folderName?: string }
  | { kind: 'endpointIdentity'; config: WorkspaceConfig; endpoint: EndpointConfig; identityName: string }
  | { kind: 'problems'; config: WorkspaceConfig };

export function identityLabel(identityName: string): string {
  return identityName === noIdentityName ? 'no certificate' : identityName;
}

/** Endpoints → one row per identity, each with its last verdict (and whether it met the config's expectation). */
export class EndpointsView extends RefreshingTree<EndpointsNode> {

  constructor(
    private readonly configs: WorkspaceConfigs,
    private readonly history: RunHistory,
  ) {
    super([configs.onDidChange, history.onDidChange]);
  }

  async getChildren(node?: EndpointsNode): Promise<EndpointsNode[]> {
    if (node === undefined) {
      const all = await this.configs.all();
      const multiRoot = all.length > 1;
      return all.flatMap(({ folder, config }) => [
        ...(config.problems.some((p) => p.severity === 'error') ? [{ kind: 'problems', config } as const] : []),
        ...config.endpoints.map((endpoint) => ({ kind: 'endpoint', config, endpoint, ...(multiRoot ? { folderName: folder.name } : {}) }) as const),
      ]);
    }
    if (node.kind === 'endpoint') {
      return node.endpoint.identities.map((identityName) => ({ kind: 'endpointIdentity', config: node.config, endpoint: node.endpoint, identityName }) as const);
    }
    return [];
  }

  getTreeItem(node: EndpointsNode): vscode.TreeItem {
    if (node.kind === 'problems') {
      const errors = node.config.problems.filter((p) => p.severity === 'error').length;
      const item = new vscode.TreeItem(`${errors} problem${errors === 1 ? '' : 's'} in ${path.basename(path.dirname(node.config.file))}/${path.basename(node.config.file)}`);
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
      item.tooltip = node.config.problems.map((p) => `${p.jsonPath}: ${p.message}`).join('\n');
      item.command = { command: 'vscode.open', title: 'Open config', arguments: [vscode.Uri.file(node.config.file)] };
      item.contextValue = 'configProblems';
      return item;
    }
    if (node.kind === 'endpoint') {
      const item = new vscode.TreeItem(node.endpoint.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `endpoint:${node.config.file}:${node.endpoint.name}`;
      item.description = node.folderName ? `${node.endpoint.url} · ${node.folderName}` : node.endpoint.url;
      item.tooltip = new vscode.MarkdownString().appendText(`${node.endpoint.name}\n${node.endpoint.url}`);
      item.iconPath = new vscode.ThemeIcon('globe');
      item.contextValue = 'endpoint';
      return item;
    }
    const { config, endpoint, identityName } = node;
    const key = endpointIdentityKey(config.file, endpoint.name, identityName);
    const item = new vscode.TreeItem(identityLabel(identityName));
    item.id = `endpointIdentity:${key}`;
    item.contextValue = 'endpointIdentity';
    const expectation = endpoint.expectations.find((e) => e.identity === identityName);
    const expected = expectation ? describeExpectedOutcome(expectation.expected) : undefined;
    const run = this.history.latest(key);
    if (this.history.isRunning(key)) {
      item.iconPath = new vscode.ThemeIcon('sync~spin');
      item.description = 'probing…';
    } else if (run === undefined) {
      item.iconPath = new vscode.ThemeIcon(identityName === noIdentityName ? 'circle-slash' : 'key');
      item.description = expected ? `expect ${expected}` : 'not probed yet';
    } else {
      item.description = runLine(run);
      item.iconPath = runIcon(run);
      item.command = { command: 'mtlsProbe.showRun', title: 'Show trace', arguments: [run.id] };
    }
    const tooltip = new vscode.MarkdownString();
    tooltip.appendText(`${endpoint.name} with ${identityLabel(identityName)}\n`);
    if (expected) tooltip.appendText(`Expected: ${expected}\n`);
    if (run) tooltip.appendText(`Last run ${new Date(run.startedAt).toLocaleTimeString()}: ${run.verdict.summary}${run.expectation && !run.expectation.passed ? `\n${run.expectation.message}` : ''}`);
    item.tooltip = tooltip;
    return item;
  }
}
