import * as vscode from 'vscode';
import { runLine } from '../../core/runs/check-run';
import { hasEvidenceSettings, runIcon, type ProbeRun, type RunHistory } from '../run-history';
import { identityLabel } from './endpoints-view';
import { RefreshingTree } from './tree-base';

/** Recent runs, newest first; a click opens the timeline, the context menu the trace, export and evidence. */
export class RunsView extends RefreshingTree<ProbeRun> {

  constructor(private readonly history: RunHistory) {
    super([history.onDidChange]);
  }

  getChildren(run?: ProbeRun): ProbeRun[] {
    return run === undefined ? [...this.history.list()] : [];
  }

  getTreeItem(run: ProbeRun): vscode.TreeItem {
    const item = new vscode.TreeItem(`${run.endpointName} · ${identityLabel(run.identityName)}`);
    item.id = `run:${run.id}`;
    item.description = `${runLine(run)} · ${new Date(run.startedAt).toLocaleTimeString()}`;
    item.tooltip = run.verdict.summary;
    item.contextValue = hasEvidenceSettings(run) ? 'run-with-evidence' : run.adHoc !== undefined ? 'run-adhoc' : 'run';
    item.iconPath = runIcon(run);
    item.command = { command: 'mtlsProbe.showTimeline', title: 'Show Timeline', arguments: [run] };
    return item;
  }
}
