import * as vscode from 'vscode';
import { noIdentityName, workspaceConfigRelativePath } from '../../core/config/types';
import type { CommandServices } from '../commands';
import { CancelledError, isCancellation } from '../probe-runner';
import { requireTrust } from '../workspace-trust';
import type { ProbeRun } from '../run-history';
import type { ProbePhase } from '../../core/probe/types';
import { batchNotification, progressText, runAllNotification, runNotification, type BatchOutcome } from '../run-words';
import { identityLabel, type EndpointsNode } from '../views/endpoints-view';
import type { EndpointRef } from '../workspace-configs';
import { cancelledNote, notify, ProgressTicker, withProgress } from './ui';

/** One probe's one notification: its verdict once, and where to look next. */
export function notifyRun(s: CommandServices, run: ProbeRun, extra: Record<string, () => unknown> = {}): void {
  const { text, severity } = runNotification(run, s.evidence.isCollecting(run.id));
  const labDown = labNotRunning(s, [run]);
  notify(labDown ? 'warning' : severity, labDown ? `${text} The local lab is not running.` : text, {
    ...(labDown ? startLabAction : {}),
    'Show Timeline': () => vscode.commands.executeCommand('mtlsProbe.showTimeline', run.id),
    'Show Trace': () => vscode.commands.executeCommand('mtlsProbe.showRun', run.id),
    ...extra,
  });
}

const startLabAction = { 'Start Local Lab': () => vscode.commands.executeCommand('mtlsProbe.startLab') };

/** The lab's config outlives the lab (it stops with VS Code): a refused connection to its port says what to do. */
function labNotRunning(s: CommandServices, runs: readonly ProbeRun[]): boolean {
  if (s.lab.running !== null) return false;
  const port = vscode.workspace.getConfiguration('mtlsProbe').get<number>('lab.port', 8443);
  const isLab = (url: string): boolean => URL.canParse(url) && ['localhost', '127.0.0.1'].includes(new URL(url).hostname) && Number(new URL(url).port || 443) === port;
  return runs.some((run) => run.verdict.reason === 'connection_refused' && run.endpoint !== undefined && isLab(run.endpoint.url));
}

async function pickEndpoint(s: CommandServices): Promise<EndpointRef> {
  const endpoints = await s.configs.endpoints();
  if (endpoints.length === 0) {
    notify('info', `mTLS Probe: no endpoints in ${workspaceConfigRelativePath} yet.`, {
      'Create Workspace Config': () => vscode.commands.executeCommand('mtlsProbe.createConfig'),
      'Probe URL…': () => vscode.commands.executeCommand('mtlsProbe.probeUrl'),
    });
    throw new CancelledError();
  }
  if (endpoints.length === 1) return endpoints[0]!;
  const picked = await vscode.window.showQuickPick(
    endpoints.map((ref) => ({ label: ref.endpoint.name, description: ref.endpoint.url, ref })),
    { title: 'mTLS Probe: endpoint to probe', matchOnDescription: true },
  );
  if (!picked) throw new CancelledError();
  return picked.ref;
}

async function pickIdentity(ref: EndpointRef, choices: string[], allowAll: boolean): Promise<string[]> {
  const items = choices.map((name) => {
    const expectation = ref.endpoint.expectations.find((e) => e.identity === name);
    return { label: identityLabel(name), name, description: expectation ? 'has an expectation' : '' };
  });
  const all = { label: 'All identities', name: '*', description: `${choices.length} probes, one after another` };
  const picked = await vscode.window.showQuickPick(allowAll ? [all, ...items] : items, { title: `mTLS Probe: probe ${ref.endpoint.name} with` });
  if (!picked) throw new CancelledError();
  return picked.name === '*' ? choices : [picked.name];
}

/**
 * The endpoint and identities to probe: a row's own (an endpoint: all its identities), or asked for (the palette;
 * "another identity" always asks which).
 */
async function target(s: CommandServices, node: EndpointsNode | undefined, anotherIdentity: boolean): Promise<{ ref: EndpointRef; identities: string[] }> {
  let ref: EndpointRef;
  let identities: string[];
  if (node !== undefined && node.kind !== 'problems') {
    ref = { config: node.config, endpoint: node.endpoint };
    identities = node.kind === 'endpointIdentity' && !anotherIdentity ? [node.identityName] : node.endpoint.identities;
  } else {
    ref = await pickEndpoint(s);
    identities = ref.endpoint.identities;
  }
  if (anotherIdentity) {
    identities = await pickIdentity(ref, [noIdentityName, ...ref.config.identities.map((i) => i.name)], false);
  } else if (node === undefined && identities.length > 1) {
    identities = await pickIdentity(ref, identities, true);
  }
  return { ref, identities };
}

/**
 * Probes an endpoint with one identity or several. One probe: one notification with its verdict. Several: one
 * summary for the lot (met / not met), with the runs side by side one click away. A cancel stops the batch quietly.
 */
export async function probeEndpointCommand(s: CommandServices, node: EndpointsNode | undefined, anotherIdentity: boolean): Promise<void> {
  requireTrust('Probing from the workspace config');
  const { ref, identities } = await target(s, node, anotherIdentity);
  const batch = identities.length > 1;
  let outcomes: BatchOutcome<ProbeRun>[] = [];
  const evidence: Array<Promise<void>> = [];
  let cancelled = false;
  await withProgress('', async (signal, _token, progress) => {
    const ticker = new ProgressTicker(progress);
    try {
      for (const [index, identityName] of identities.entries()) {
        if (signal.aborted) break;
        let phase: ProbePhase | undefined;
        ticker.step((ms) => progressText(ref.endpoint.name, identityName, index, identities.length, ms, phase));
        try {
          const run = await s.runner.probeEndpoint(ref, identityName, signal, (p) => (phase = p));
          outcomes.push({ identityName, run });
          // A batch collects its evidence without a notification per run: the rows and the timeline show it.
          evidence.push(s.evidence.startFor(run, ref.endpoint, { quiet: batch }));
        } catch (error) {
          if (isCancellation(error)) {
            cancelled = true;
            break;
          }
          if (!batch) throw error;
          outcomes.push({ identityName, error: (error as Error).message });
        }
      }
      if (batch && !cancelled && !signal.aborted) outcomes = await withEvidence(s, outcomes, evidence, ticker, signal);
    } finally {
      ticker.dispose();
    }
    cancelled ||= signal.aborted;
  });
  if (cancelled) {
    cancelledNote(`mTLS Probe: probing ${ref.endpoint.name} cancelled${batch ? ` after ${outcomes.length} of ${identities.length}` : ''}.`);
    return;
  }
  const [only] = outcomes;
  if (!batch && only !== undefined && 'run' in only) return notifyRun(s, only.run);
  const runs = outcomes.flatMap((o) => ('run' in o ? [o.run] : []));
  const { text, severity } = batchNotification(ref.endpoint.name, outcomes);
  const labDown = labNotRunning(s, runs);
  notify(labDown ? 'warning' : severity, labDown ? `${text} The local lab is not running.` : text, {
    ...(labDown ? startLabAction : {}),
    ...(runs.length > 0 ? { 'Show Timeline': () => s.timelines.show(runs.map((r) => r.id)) } : {}),
    'Show Runs': () => vscode.commands.executeCommand('mtlsProbe.runs.focus'),
  });
}

/** How long a batch waits for its runs' evidence before summing up (local logs take a moment, AWS minutes). */
const evidenceWaitMs = 15_000;

/** The batch's runs as their evidence left them: an expectation naming a reason is judged by the server's record. */
async function withEvidence(s: CommandServices, outcomes: BatchOutcome<ProbeRun>[], evidence: Array<Promise<void>>, ticker: ProgressTicker, signal: AbortSignal): Promise<BatchOutcome<ProbeRun>[]> {
  const collecting = outcomes.filter((o) => 'run' in o && s.evidence.isCollecting(o.run.id)).length;
  if (collecting === 0) return outcomes;
  ticker.step((ms) => `waiting for the evidence of ${collecting} run${collecting === 1 ? '' : 's'} · ${(ms / 1000).toFixed(1)} s`);
  const all = Promise.all(evidence).then(() => undefined);
  return Promise.all(outcomes.map(async (o) => ('run' in o ? { identityName: o.identityName, run: await s.evidence.settled(o.run, all, evidenceWaitMs, signal) } : o)));
}

/** Every expectation as a test run, ending with one summary (or a quiet note when cancelled). */
export async function runAllExpectationsCommand(s: CommandServices): Promise<void> {
  const endpoints = await s.configs.endpoints();
  if (!endpoints.some((ref) => ref.endpoint.expectations.length > 0)) {
    notify('info', `mTLS Probe: no expectations to run: give an endpoint "expect" in ${workspaceConfigRelativePath} (what each identity's probe should end with).`, {
      'Open Workspace Config': () => vscode.commands.executeCommand('mtlsProbe.openConfig'),
    });
    return;
  }
  let cancelled = false;
  const counts = await withProgress('', async (_signal, token, progress) => {
    const ticker = new ProgressTicker(progress);
    ticker.step(() => 'running the expectations');
    try {
      return await s.tests.runAll(token, ({ endpointName, identityName, index, total }) => ticker.step((ms) => progressText(endpointName, identityName, index, total, ms)));
    } finally {
      ticker.dispose();
      cancelled = token.isCancellationRequested;
    }
  });
  if (cancelled) {
    cancelledNote(`mTLS Probe: Run All Expectations cancelled after ${counts.passed + counts.failed + counts.errored} of ${counts.passed + counts.failed + counts.errored + counts.skipped}.`);
    return;
  }
  const { text, severity } = runAllNotification(counts);
  notify(severity, text, { 'Show Test Results': () => vscode.commands.executeCommand('testing.showMostRecentOutput') });
}
