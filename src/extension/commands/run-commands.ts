import { mkdir, readdir, rmdir } from 'node:fs/promises';
import * as vscode from 'vscode';
import { workspaceConfigRelativePath } from '../../core/config/types';
import { runLine } from '../../core/runs/check-run';
import type { RunExportFormat } from '../../core/report/run-exports';
import type { CommandServices } from '../commands';
import { loadEvidenceTools, loadProbeEngine } from '../lazy-modules';
import { requireTrust } from '../workspace-trust';
import { endpointIdentityKey, hasEvidenceSettings, keptRuns, type ProbeRun } from '../run-history';
import { traceDocument } from '../run-words';
import { identityLabel } from '../views/endpoints-view';
import { notify } from './ui';

function runOf(s: CommandServices, target: ProbeRun | string | undefined): ProbeRun | undefined {
  if (target === undefined) return s.history.list()[0];
  // A tree row hands over the run as it was drawn: the history has its latest value.
  return s.history.get(typeof target === 'string' ? target : target.id);
}

function runItem(r: ProbeRun): vscode.QuickPickItem & { run: ProbeRun } {
  return { label: `${r.endpointName} · ${identityLabel(r.identityName)}`, description: `${runLine(r)} · ${new Date(r.startedAt).toLocaleTimeString()}`, run: r };
}

/** The trace document: verdict and expectation on top, then the trace and the evidence. */
export async function showRunTraceCommand(s: CommandServices, target: ProbeRun | string | undefined): Promise<void> {
  const run = runOf(s, target);
  if (run === undefined) return;
  const evidence = run.evidence !== undefined ? (await loadEvidenceTools()).evidenceText(run) : undefined;
  await s.reports.show(`${run.endpointName} · ${identityLabel(run.identityName)}.log`, traceDocument(run, run.report, evidence));
}

export async function showTimelineCommand(s: CommandServices, target: ProbeRun | string | undefined): Promise<void> {
  const run = runOf(s, target);
  if (run === undefined) {
    notify('info', 'mTLS Probe: no runs yet; probe an endpoint first, then its timeline opens from the notification or Recent Runs.', {
      'Probe Endpoint…': () => vscode.commands.executeCommand('mtlsProbe.probeEndpoint'),
    });
    return;
  }
  await s.timelines.show([run.id]);
}

export async function compareRunsCommand(s: CommandServices): Promise<void> {
  const runs = s.history.list();
  if (runs.length < 2) {
    notify('info', `mTLS Probe: comparing needs two runs or more; there ${runs.length === 1 ? 'is one' : 'are none'} yet. Probe an endpoint with several identities first.`);
    return;
  }
  const picked = await vscode.window.showQuickPick(runs.map(runItem), { title: 'mTLS Probe: runs to compare side by side (two or more)', canPickMany: true });
  if (picked === undefined || picked.length === 0) return;
  if (picked.length < 2) {
    notify('info', 'mTLS Probe: pick two runs or more to compare; one run opens with Show Timeline.');
    return;
  }
  // Oldest first: the story reads top to bottom in the order it happened.
  await s.timelines.show(picked.map((p) => p.run).sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).map((r) => r.id));
}

export function clearRunsCommand(s: CommandServices): void {
  const count = s.history.clear();
  vscode.window.setStatusBarMessage(`$(clear-all) mTLS Probe: cleared ${count} run${count === 1 ? '' : 's'} (Recent Runs keeps the latest ${keptRuns}).`, 5000);
}

export async function exportRunCommand(s: CommandServices, given?: ProbeRun): Promise<void> {
  let run = given !== undefined ? runOf(s, given) : undefined;
  if (run === undefined) {
    if (s.history.list().length === 0) {
      notify('info', 'mTLS Probe: no runs to export yet; probe an endpoint first.');
      return;
    }
    const picked = await vscode.window.showQuickPick(s.history.list().map(runItem), { title: 'mTLS Probe: run to export' });
    if (!picked) return;
    run = picked.run;
  }
  await exportRuns(s, [run]);
}

export const exportFolderName = 'mtls-probe-exports';

/** The core describes JSON by the CLI command that prints it; the VSIX ships no CLI, so say what it holds. */
const extensionWords: Partial<Record<RunExportFormat, string>> = {
  json: 'the whole run as data: trace, TLS summary, HTTP, verdict, evidence',
};

/** Writes runs as JSON, the timeline report or OTLP (the webview's Export… comes here too), into the workspace by default. */
export async function exportRuns(s: CommandServices, runs: readonly ProbeRun[], format?: RunExportFormat): Promise<void> {
  const engine = await loadProbeEngine();
  let chosen = format;
  if (chosen === undefined) {
    const formats = Object.entries(engine.runExportFormats) as Array<[RunExportFormat, { label: string; description: string; extension: string }]>;
    const picked = await vscode.window.showQuickPick(
      formats.map(([id, f]) => ({ label: f.label, description: extensionWords[id] ?? f.description, id })),
      { title: 'mTLS Probe: export format' },
    );
    if (!picked) return;
    chosen = picked.id;
  }
  const extension = engine.runExportFormats[chosen].extension;
  const first = runs[0]!;
  const stem = runs.length === 1 ? `${first.endpointName.replace(/[^\w.-]+/g, '_')}-${first.identityName.replace(/[^\w.-]+/g, '_')}` : `compare-${runs.length}-runs`;
  const name = `mtls-probe-${stem}-${first.startedAt.replace(/[:.]/g, '-')}.${extension}`;
  const root = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri;
  // Exports land in the workspace (mtls-probe-exports/), beside what they are about; the folder is made for the
  // dialog to open in, and removed again when the export is cancelled and it stayed empty.
  const folder = root !== undefined ? vscode.Uri.joinPath(root, exportFolderName) : undefined;
  const made = folder !== undefined && (await mkdir(folder.fsPath, { recursive: true })) !== undefined;
  const target = await vscode.window.showSaveDialog({
    title: 'mTLS Probe: export to',
    ...(folder !== undefined ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
    filters: { [engine.runExportFormats[chosen].label]: [extension.split('.').at(-1)!] },
  });
  if (!target) {
    if (made && folder !== undefined && (await readdir(folder.fsPath)).length === 0) await rmdir(folder.fsPath).catch(() => undefined);
    return;
  }
  // Runs carry identity summaries only (ClientIdentity never serialises its key); secret header values are redacted.
  const content = await engine.exportRuns(runs, chosen);
  await vscode.workspace.fs.writeFile(target, Buffer.from(content));
  notify('info', `mTLS Probe: exported to ${vscode.workspace.asRelativePath(target)}.`, {
    Open: () => vscode.commands.executeCommand('vscode.open', target),
    'Reveal in Explorer': () => vscode.commands.executeCommand('revealInExplorer', target),
  });
}

/** Collects a run's evidence again: AWS delivers logs minutes late, after the first wait may have ended. */
export async function collectEvidenceCommand(s: CommandServices, given?: ProbeRun | string): Promise<void> {
  requireTrust('Collecting evidence');
  let run = given !== undefined ? runOf(s, given) : undefined;
  if (run === undefined) {
    const candidates = s.history.list().filter(hasEvidenceSettings);
    if (candidates.length === 0) {
      notify('info', 'mTLS Probe: no run of an endpoint with "aws" settings or a "logs" folder yet; probe one first.');
      return;
    }
    const picked = await vscode.window.showQuickPick(candidates.map(runItem), { title: 'mTLS Probe: look again for the evidence of' });
    if (!picked) return;
    run = picked.run;
  }
  if (run.endpoint === undefined || !hasEvidenceSettings(run)) {
    notify('info', `mTLS Probe: ${run.endpointName} names no evidence: add "aws" settings or a "logs" folder to it in ${workspaceConfigRelativePath}.`);
    return;
  }
  if (run.collectingEvidence || s.evidence.isCollecting(run.id)) {
    notify('info', `mTLS Probe: evidence for ${run.endpointName} is already being collected.`);
    return;
  }
  // The endpoint as the config says now (settings fixed since the probe count), else as it was probed.
  const current = (await s.configs.endpoints()).find((ref) => run.key !== undefined && run.key === endpointIdentityKey(ref.config.file, ref.endpoint.name, run.identityName));
  s.evidence.startFor(run, current?.endpoint ?? run.endpoint);
}
