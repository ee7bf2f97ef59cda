import * as vscode from 'vscode';
import type { CertificateBlockLocation } from './certificate-hover';
import { copyReproduceCommand, inspectCertificateCommand, lintTrustStoreCommand } from './commands/certificate-commands';
import { createConfigCommand, generateTestPkiCommand, openConfigCommand, startLabCommand, stopLabCommand } from './commands/config-commands';
import { probeEndpointCommand, runAllExpectationsCommand } from './commands/probe-commands';
import { probeUrlCommand } from './commands/probe-url-commands';
import { clearRunsCommand, collectEvidenceCommand, compareRunsCommand, exportRunCommand, showRunTraceCommand, showTimelineCommand } from './commands/run-commands';
import { saveRunToConfigCommand } from './commands/save-endpoint';
import { cancelledNote, notify } from './commands/ui';
import type { ProbeEvidenceFetcher } from './evidence-fetcher';
import type { ExpectationTests } from './expectation-tests';
import type { LocalLab } from './local-lab';
import type { PassphraseStore } from './passphrases';
import { isCancellation, type ProbeRunner } from './probe-runner';
import type { ReportDocuments } from './report-documents';
import type { ProbeRun, RunHistory } from './run-history';
import type { TimelinePanels } from './timeline-panels';
import type { TrustStoreLinter } from './trust-store-linter';
import type { EndpointsNode } from './views/endpoints-view';
import type { IdentitiesNode } from './views/identities-view';
import type { TrustStoresNode } from './views/trust-stores-view';
import type { WorkspaceConfigs } from './workspace-configs';

export { exportRuns } from './commands/run-commands';

export interface CommandServices {
  output: vscode.LogOutputChannel;
  configs: WorkspaceConfigs;
  runner: ProbeRunner;
  history: RunHistory;
  passphrases: PassphraseStore;
  tests: ExpectationTests;
  linter: TrustStoreLinter;
  reports: ReportDocuments;
  evidence: ProbeEvidenceFetcher;
  timelines: TimelinePanels;
  lab: LocalLab;
}

type CommandHandler = (...args: never[]) => unknown;

/**
 * Every command of the extension, in one table (package.json contributes the same ids). The handlers live in
 * commands/ by concept: probes, Probe URL… and its save, the config and the lab, runs, certificates.
 */
export function commandTable(s: CommandServices): Record<string, CommandHandler> {
  return {
    'mtlsProbe.probeEndpoint': (node?: EndpointsNode) => probeEndpointCommand(s, node, false),
    // A row's button: the same probe without a question (hence no ellipsis in its title).
    'mtlsProbe.probeNow': (node?: EndpointsNode) => probeEndpointCommand(s, node, false),
    'mtlsProbe.probeWithIdentity': (node?: EndpointsNode) => probeEndpointCommand(s, node, true),
    'mtlsProbe.probeUrl': (url?: string) => probeUrlCommand(s, url),
    'mtlsProbe.saveRunToConfig': (run?: ProbeRun | string) => saveRunToConfigCommand(s, run),
    'mtlsProbe.runAllExpectations': () => runAllExpectationsCommand(s),
    'mtlsProbe.inspectCertificate': (target?: CertificateBlockLocation | vscode.Uri | IdentitiesNode) => inspectCertificateCommand(s, target),
    'mtlsProbe.generateTestPki': () => generateTestPkiCommand(s),
    'mtlsProbe.lintTrustStore': (target?: vscode.Uri | TrustStoresNode) => lintTrustStoreCommand(s, target),
    'mtlsProbe.createConfig': () => createConfigCommand(s),
    'mtlsProbe.openConfig': () => openConfigCommand(s),
    'mtlsProbe.clearPassphrases': async () => {
      const count = await s.passphrases.clear();
      notify('info', `mTLS Probe: ${count === 0 ? 'no saved passphrases' : `cleared ${count} saved passphrase${count === 1 ? '' : 's'}`}.`);
    },
    'mtlsProbe.exportRun': (run?: ProbeRun) => exportRunCommand(s, run),
    'mtlsProbe.showTimeline': (run?: ProbeRun | string) => showTimelineCommand(s, run),
    'mtlsProbe.compareRuns': () => compareRunsCommand(s),
    'mtlsProbe.clearRuns': () => clearRunsCommand(s),
    'mtlsProbe.startLab': () => startLabCommand(s),
    'mtlsProbe.stopLab': () => stopLabCommand(s),
    'mtlsProbe.collectEvidence': (run?: ProbeRun | string) => collectEvidenceCommand(s, run),
    'mtlsProbe.copyCurlCommand': (node?: EndpointsNode) => copyReproduceCommand(node, 'curl'),
    'mtlsProbe.copyOpensslCommand': (node?: EndpointsNode) => copyReproduceCommand(node, 'openssl'),
    'mtlsProbe.refresh': () => s.configs.reload(),
    'mtlsProbe.showRun': (target?: string | ProbeRun) => showRunTraceCommand(s, target),
  };
}

/**
 * Runs a command body and turns failures into one clear notification (never an unhandled rejection). A cancel the
 * person asked for is not a failure: it leaves at most a note in the status bar.
 */
export function reportErrors(handler: CommandHandler): (...args: unknown[]) => Promise<unknown> {
  return async (...args: unknown[]) => {
    try {
      return await (handler as (...a: unknown[]) => unknown)(...args);
    } catch (error) {
      if (isCancellation(error)) {
        if (!(error instanceof Error && error.name === 'CancelledError')) cancelledNote();
        return undefined;
      }
      void vscode.window.showErrorMessage(`mTLS Probe: ${(error as Error).message}`);
      return undefined;
    }
  };
}
