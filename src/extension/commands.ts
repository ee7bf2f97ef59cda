import * as path from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { applyEdits, modify } from 'jsonc-parser/lib/esm/main.js';
import { noIdentityName, workspaceConfigRelativePath, type IdentityConfig } from '../core/config/types';
import { starterConfigText } from '../core/config/starter-config';
import { pemBlock } from '../core/certs/pem';
import { blockAt } from '../core/certs/pem-blocks';
import type { ClientIdentity } from '../core/identity/client-identity';
import type { CertificateBlockLocation } from './certificate-hover';
import type { ProbeEvidenceFetcher } from './evidence-fetcher';
import type { ExpectationTests } from './expectation-tests';
import { loadCertificateTools, loadEvidenceTools, loadPkiGenerator, loadProbeEngine } from './lazy-modules';
import type { PassphraseStore } from './passphrases';
import { runLine, verdictLine } from '../core/runs/check-run';
import type { RunExportFormat } from '../core/runs/run-exports';
import { CancelledError, findIdentity, requireTrust, type ProbeRunner } from './probe-runner';
import type { ReportDocuments } from './report-documents';
import { endpointIdentityKey, hasEvidenceSettings, type ProbeRun, type RunHistory } from './run-history';
import type { TimelinePanels } from './timeline-panels';
import { labFolderName, LocalLab } from './local-lab';
import type { TrustStoreLinter } from './trust-store-linter';
import { identityLabel, type EndpointsNode } from './views/endpoints-view';
import type { IdentitiesNode } from './views/identities-view';
import type { TrustStoresNode } from './views/trust-stores-view';
import type { EndpointRef, WorkspaceConfigs } from './workspace-configs';

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

/** Every command of the extension, in one table (package.json contributes the same ids). */
export function commandTable(s: CommandServices): Record<string, CommandHandler> {
  return {
    'mtlsProbe.probeEndpoint': (node?: EndpointsNode) => probeEndpointCommand(s, node, false),
    'mtlsProbe.probeWithIdentity': (node?: EndpointsNode) => probeEndpointCommand(s, node, true),
    'mtlsProbe.probeUrl': (url?: string) => probeUrlCommand(s, url),
    'mtlsProbe.runAllExpectations': () =>
      withProgress('Running the expectations', (_signal, token) => s.tests.runAll(token)),
    'mtlsProbe.inspectCertificate': (target?: CertificateBlockLocation | vscode.Uri | IdentitiesNode) => inspectCertificateCommand(s, target),
    'mtlsProbe.generateTestPki': () => generateTestPkiCommand(s),
    'mtlsProbe.lintTrustStore': (target?: vscode.Uri | TrustStoresNode) => lintTrustStoreCommand(s, target),
    'mtlsProbe.createConfig': () => createConfigCommand(s),
    'mtlsProbe.openConfig': () => openConfigCommand(s),
    'mtlsProbe.clearPassphrases': async () => {
      const count = await s.passphrases.clear();
      void vscode.window.showInformationMessage(`mTLS Probe: ${count === 0 ? 'no saved passphrases' : `cleared ${count} saved passphrase${count === 1 ? '' : 's'}`}.`);
    },
    'mtlsProbe.exportRun': (run?: ProbeRun) => exportRunCommand(s, run),
    'mtlsProbe.showTimeline': (run?: ProbeRun | string) => showTimelineCommand(s, run),
    'mtlsProbe.compareRuns': () => compareRunsCommand(s),
    'mtlsProbe.startLab': () => startLabCommand(s),
    'mtlsProbe.stopLab': async () => {
      const stopped = await s.lab.stop();
      void vscode.window.showInformationMessage(stopped ? 'mTLS Probe: the local lab stopped; its PKI and logs stay in the workspace.' : 'mTLS Probe: the local lab is not running.');
    },
    'mtlsProbe.collectEvidence': (run?: ProbeRun | string) => collectEvidenceCommand(s, run),
    'mtlsProbe.copyCurlCommand': (node?: EndpointsNode) => copyReproduceCommand(node, 'curl'),
    'mtlsProbe.copyOpensslCommand': (node?: EndpointsNode) => copyReproduceCommand(node, 'openssl'),
    'mtlsProbe.refresh': () => s.configs.reload(),
    'mtlsProbe.showRun': (target?: string | ProbeRun) => showRunTraceCommand(s, target),
  };
}

/** Runs a command body and turns failures into one clear notification (never an unhandled rejection). */
export function reportErrors(handler: CommandHandler): (...args: unknown[]) => Promise<unknown> {
  return async (...args: unknown[]) => {
    try {
      return await (handler as (...a: unknown[]) => unknown)(...args);
    } catch (error) {
      if (error instanceof CancelledError) return undefined;
      void vscode.window.showErrorMessage(`mTLS Probe: ${(error as Error).message}`);
      return undefined;
    }
  };
}

function withProgress<T>(title: string, work: (signal: AbortSignal, token: vscode.CancellationToken) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `mTLS Probe: ${title}`, cancellable: true }, (_progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    return work(controller.signal, token);
  });
}

function notifyRun(run: ProbeRun): void {
  const who = run.identityName === noIdentityName ? 'no certificate' : run.identityName;
  const expectation = run.expectation ? ` — expectation ${run.expectation.passed ? 'met' : `NOT met (${run.expectation.message})`}` : '';
  const text = `mTLS Probe: ${run.endpointName} with ${who}: ${verdictLine(run.result)}. ${run.result.verdict.summary}${expectation}`;
  const show = run.expectation && !run.expectation.passed ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(text, 'Show Timeline', 'Show Trace').then((choice) => {
    if (choice === 'Show Timeline') void vscode.commands.executeCommand('mtlsProbe.showTimeline', run.id);
    if (choice === 'Show Trace') void vscode.commands.executeCommand('mtlsProbe.showRun', run.id);
  });
}

function runOf(s: CommandServices, target: ProbeRun | string | undefined): ProbeRun | undefined {
  if (target === undefined) return s.history.list()[0];
  // A tree row hands over the run as it was drawn: the history has its latest value.
  return s.history.get(typeof target === 'string' ? target : target.id);
}

async function showRunTraceCommand(s: CommandServices, target: ProbeRun | string | undefined): Promise<void> {
  const run = runOf(s, target);
  if (run === undefined) return;
  const evidence = run.evidence !== undefined ? `\n${(await loadEvidenceTools()).evidenceText(run)}\n` : '';
  await s.reports.show(`${run.endpointName} · ${identityLabel(run.identityName)}.log`, `${run.report}\n${evidence}`);
}

async function showTimelineCommand(s: CommandServices, target: ProbeRun | string | undefined): Promise<void> {
  const run = runOf(s, target);
  if (run === undefined) {
    void vscode.window.showInformationMessage('mTLS Probe: no runs yet; probe an endpoint first, then its timeline opens from the notification or Recent Runs.');
    return;
  }
  await s.timelines.show([run.id]);
}

async function compareRunsCommand(s: CommandServices): Promise<void> {
  const runs = s.history.list();
  if (runs.length < 2) {
    void vscode.window.showInformationMessage(`mTLS Probe: comparing needs two runs or more; there ${runs.length === 1 ? 'is one' : 'are none'} yet. Probe an endpoint with several identities first.`);
    return;
  }
  const picked = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: `${r.endpointName} · ${identityLabel(r.identityName)}`, description: `${runLine(r)} · ${new Date(r.startedAt).toLocaleTimeString()}`, run: r })),
    { title: 'mTLS Probe: runs to compare side by side (two or more)', canPickMany: true },
  );
  if (picked === undefined || picked.length === 0) return;
  if (picked.length < 2) {
    void vscode.window.showInformationMessage('mTLS Probe: pick two runs or more to compare; one run opens with Show Timeline.');
    return;
  }
  // Oldest first: the story reads top to bottom in the order it happened.
  await s.timelines.show(picked.map((p) => p.run).sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).map((r) => r.id));
}

async function pickEndpoint(s: CommandServices): Promise<EndpointRef> {
  const endpoints = await s.configs.endpoints();
  if (endpoints.length === 0) {
    const choice = await vscode.window.showInformationMessage(`mTLS Probe: no endpoints in ${workspaceConfigRelativePath}.`, 'Create Workspace Config', 'Probe URL…');
    if (choice === 'Create Workspace Config') await vscode.commands.executeCommand('mtlsProbe.createConfig');
    if (choice === 'Probe URL…') await vscode.commands.executeCommand('mtlsProbe.probeUrl');
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

async function pickIdentity(ref: EndpointRef, choices: string[], title: string, allowAll: boolean): Promise<string[]> {
  const items = choices.map((name) => ({ label: identityLabel(name), name, description: ref.endpoint.expectations.find((e) => e.identity === name) ? 'has an expectation' : '' }));
  const all = { label: 'All identities', name: '*', description: `${choices.length} probes, one after another` };
  const picked = await vscode.window.showQuickPick(allowAll ? [all, ...items] : items, { title });
  if (!picked) throw new CancelledError();
  return picked.name === '*' ? choices : [picked.name];
}

async function probeEndpointCommand(s: CommandServices, node: EndpointsNode | undefined, anotherIdentity: boolean): Promise<void> {
  requireTrust('Probing from the workspace config');
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
    const everyone = [noIdentityName, ...ref.config.identities.map((i) => i.name)];
    identities = await pickIdentity(ref, everyone, `mTLS Probe: probe ${ref.endpoint.name} with`, false);
  } else if (node === undefined && identities.length > 1) {
    identities = await pickIdentity(ref, identities, `mTLS Probe: probe ${ref.endpoint.name} with`, true);
  }
  await withProgress(`probing ${ref.endpoint.name}`, async (signal) => {
    for (const identityName of identities) {
      if (signal.aborted) break;
      const run = await s.runner.probeEndpoint(ref, identityName, signal);
      notifyRun(run);
      s.evidence.startFor(run, ref.endpoint);
    }
  });
}

async function probeUrlCommand(s: CommandServices, initialUrl?: string): Promise<void> {
  const url =
    initialUrl ??
    (await vscode.window.showInputBox({
      title: 'mTLS Probe: probe a URL',
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
  const run = await withProgress(`probing ${url}`, (signal) => s.runner.probeUrl(url, identity?.loaded ?? null, signal));
  notifyRun(run);
  if (!vscode.workspace.isTrusted || !vscode.workspace.workspaceFolders?.length) return;
  const choice = await vscode.window.showInformationMessage(`mTLS Probe: save ${url} as an endpoint in ${workspaceConfigRelativePath}?`, 'Save to Config');
  if (choice === 'Save to Config') await saveEndpointToConfig(s, url, run, identity?.configName);
}

/** For an ad-hoc probe: no certificate, a configured identity, or files the person picks. */
async function pickAdHocIdentity(s: CommandServices): Promise<{ loaded: ClientIdentity; configName?: string } | null> {
  if (!vscode.workspace.isTrusted) return null; // Restricted Mode: no key files are read.
  const configured = (await s.configs.all()).flatMap(({ config }) => config.identities);
  type Item = vscode.QuickPickItem & { identity?: IdentityConfig; files?: true };
  const items: Item[] = [
    { label: 'No client certificate' },
    ...configured.map((identity) => ({ label: identity.name, description: vscode.workspace.asRelativePath(identity.kind === 'pfx' ? identity.pfxFile : identity.certFile), identity })),
    { label: 'Choose certificate files…', files: true },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'mTLS Probe: client identity' });
  if (!picked) throw new CancelledError();
  if (picked.identity) return { loaded: await s.runner.loadIdentity(picked.identity), configName: picked.identity.name };
  if (!picked.files) return null;
  const [file] =
    (await vscode.window.showOpenDialog({ title: 'Client certificate (PEM, DER or PKCS#12)', canSelectMany: false, filters: { Certificates: ['pem', 'crt', 'cer', 'der', 'p12', 'pfx'], All: ['*'] } })) ?? [];
  if (!file) throw new CancelledError();
  const name = path.basename(file.fsPath);
  if (/\.(p12|pfx)$/i.test(file.fsPath)) {
    return { loaded: await s.runner.loadIdentity({ kind: 'pfx', name, pfxFile: file.fsPath, location: adHocLocation }) };
  }
  const [key] = (await vscode.window.showOpenDialog({ title: `Private key for ${name} (cancel if the file holds both)`, canSelectMany: false })) ?? [];
  return { loaded: await s.runner.loadIdentity({ kind: 'pem', name, certFile: file.fsPath, keyFile: (key ?? file).fsPath, location: adHocLocation }) };
}

const adHocLocation = { file: '', jsonPath: '', offset: 0, length: 0 };

async function saveEndpointToConfig(s: CommandServices, url: string, run: ProbeRun, identityName: string | undefined): Promise<void> {
  const folder = await pickFolder();
  const file = path.join(folder.uri.fsPath, workspaceConfigRelativePath);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = '{\n  "identities": {},\n  "endpoints": []\n}\n';
  }
  const host = new URL(url).hostname;
  const existing = (await s.configs.forFolder(folder))?.config.endpoints.map((e) => e.name) ?? [];
  let name = host;
  for (let n = 2; existing.includes(name); n++) name = `${host}-${n}`;
  const expect: Record<string, unknown> = {};
  const outcome = run.result.verdict.stoppedAt ?? 'target';
  expect[identityName ?? noIdentityName] = outcome;
  const endpoint = { name, url, ...(identityName ? { identities: [noIdentityName, identityName] } : {}), expect };
  const edits = modify(text, ['endpoints', -1], endpoint, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, applyEdits(text, edits));
  s.configs.reload();
  await vscode.window.showTextDocument(vscode.Uri.file(file));
}

async function pickFolder(): Promise<vscode.WorkspaceFolder> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length === 0) throw new Error('Open a folder first: the workspace config lives in the folder\'s .vscode/.');
  if (folders.length === 1) return folders[0]!;
  const folder = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder' });
  if (!folder) throw new CancelledError();
  return folder;
}

async function inspectCertificateCommand(s: CommandServices, target?: CertificateBlockLocation | vscode.Uri | IdentitiesNode): Promise<void> {
  const tools = await loadCertificateTools();
  let text: string;
  let label: string;
  if (target !== undefined && 'start' in target && 'uri' in target && typeof target.uri === 'string') {
    // From the hover: the block in the document (possibly JSON-escaped or indented), re-read now.
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(target.uri));
    const block = blockAt(document.getText(), target.start);
    if (block?.der == null) throw new Error('The certificate is no longer at that place in the document.');
    text = pemBlock('CERTIFICATE', block.der);
    label = `${path.basename(document.uri.path)} (certificate at line ${document.positionAt(target.start).line + 1})`;
  } else {
    const uri = fileOf(target) ?? (await selectionOrActiveFile());
    if (uri === undefined) {
      const picked = await vscode.window.showOpenDialog({ title: 'Certificate file to inspect', canSelectMany: false });
      if (!picked?.[0]) return;
      return inspectFile(s, tools, picked[0]);
    }
    if (uri instanceof vscode.Uri) return inspectFile(s, tools, uri);
    ({ text, label } = uri);
  }
  const contents = tools.parseCryptoText(Buffer.from(text), label);
  const report = tools.inspectFile(contents);
  await s.reports.show(`Certificate ${label}.txt`, tools.formatFileInspection(report, contents.certificates.map(() => '')));
}

async function inspectFile(s: CommandServices, tools: Awaited<ReturnType<typeof loadCertificateTools>>, uri: vscode.Uri): Promise<void> {
  // A file may hold keys (combined PEM, PKCS#12): reading it is what Restricted Mode forbids.
  requireTrust('Inspecting a certificate file');
  const contents = await tools.readCryptoFile(uri.fsPath);
  const report = tools.inspectFile(contents);
  const sources = contents.certificates.map((c) => (c.line !== undefined ? `line ${c.line}` : c.source.toUpperCase()));
  await s.reports.show(`${path.basename(uri.fsPath)} inspection.txt`, tools.formatFileInspection(report, sources));
}

function fileOf(target: unknown): vscode.Uri | undefined {
  if (target instanceof vscode.Uri) return target;
  const node = target as IdentitiesNode | undefined;
  if (node?.kind === 'identity') return vscode.Uri.file(node.identity.kind === 'pfx' ? node.identity.pfxFile : node.identity.certFile);
  if (node?.kind === 'discovered') return vscode.Uri.file(node.pair.cert);
  return undefined;
}

async function selectionOrActiveFile(): Promise<{ text: string; label: string } | vscode.Uri | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) return undefined;
  const document = editor.document;
  if (!editor.selection.isEmpty) return { text: document.getText(editor.selection), label: `${path.basename(document.uri.path)} selection` };
  const block = blockAt(document.getText(), document.offsetAt(editor.selection.active));
  if (block?.der != null) return { text: pemBlock('CERTIFICATE', block.der), label: `${path.basename(document.uri.path)} line ${editor.selection.active.line + 1}` };
  if (document.uri.scheme === 'file' && !document.isDirty) return document.uri;
  return { text: document.getText(), label: path.basename(document.uri.path) };
}

async function generateTestPkiCommand(s: CommandServices): Promise<string | undefined> {
  const folder = await pickFolder();
  const relative = await vscode.window.showInputBox({
    title: 'mTLS Probe: generate a test PKI',
    prompt: `Folder for the test PKI, relative to ${folder.name} (created; must be empty)`,
    value: 'pki',
    validateInput: (value) => (value.trim() === '' || path.isAbsolute(value) || value.split(/[\\/]/).includes('..') ? 'A folder inside the workspace folder, e.g. pki' : undefined),
  });
  if (!relative) return undefined;
  const dir = path.join(folder.uri.fsPath, relative);
  const tools = await loadPkiGenerator();
  const manifest = await withProgress(`generating a test PKI in ${relative}`, () => tools.generatePki(dir));
  s.output.info(tools.formatGeneratedPki(dir, manifest));
  const choice = await vscode.window.showInformationMessage(
    `mTLS Probe: test PKI written to ${relative}: ${manifest.identities.length} client identities, one per ALB verify status.`,
    'Show Summary',
  );
  if (choice === 'Show Summary') s.output.show(true);
  return relative;
}

async function lintTrustStoreCommand(s: CommandServices, target?: vscode.Uri | TrustStoresNode): Promise<void> {
  let uri = target instanceof vscode.Uri ? target : target?.kind === 'trustStore' ? vscode.Uri.file(target.trustStore.file) : undefined;
  if (uri === undefined) {
    const active = vscode.window.activeTextEditor?.document.uri;
    const picked = await vscode.window.showOpenDialog({
      title: 'Trust store (PEM CA bundle) to lint against ALB rules',
      canSelectMany: false,
      ...(active?.scheme === 'file' ? { defaultUri: active } : {}),
      filters: { 'PEM bundles': ['pem', 'crt'], All: ['*'] },
    });
    uri = picked?.[0];
  }
  if (uri === undefined) return;
  const tools = await loadCertificateTools();
  const report = await s.linter.lint(uri.fsPath);
  s.output.info(tools.formatTrustStoreReport(report));
  const summary = report.errorCount > 0 ? `ALB would reject it (${report.errorCount} error(s))` : report.warningCount > 0 ? `ALB accepts it, with ${report.warningCount} warning(s)` : 'ALB accepts it';
  const show = report.errorCount > 0 ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(`mTLS Probe: ${path.basename(uri.fsPath)}: ${report.certificates.length} certificate(s); ${summary}.`);
}

async function createConfigCommand(s: CommandServices): Promise<void> {
  const folder = await pickFolder();
  const file = path.join(folder.uri.fsPath, workspaceConfigRelativePath);
  try {
    await readFile(file);
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    void vscode.window.showInformationMessage(`mTLS Probe: ${workspaceConfigRelativePath} already exists; opened it.`);
    return;
  } catch {
    // Not there yet: create it.
  }
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'Use the Local Lab', description: 'start the lab in this folder and probe it: no server or AWS account of your own needed', id: 'lab' },
      { label: 'Generate Test PKI', description: 'a CA, a server certificate and one client identity per failure case, and a config for them', id: 'pki' },
      { label: 'Config Only', description: 'a commented starter to fill in with your own endpoints and certificates', id: 'config' },
    ] as const,
    { title: 'mTLS Probe: create the workspace config' },
  );
  if (picked === undefined) return;
  let text: string;
  if (picked.id === 'lab') {
    requireTrust('Starting the local lab');
    await withProgress('starting the local lab', () => s.lab.start(folder));
    text = starterConfigText({ lab: { dir: labFolderName, port: LocalLab.port() } });
  } else {
    const pkiDir = picked.id === 'pki' ? await generateTestPkiCommand(s) : undefined;
    text = starterConfigText(pkiDir !== undefined ? { pkiDir } : {});
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text, { flag: 'wx' });
  s.configs.reload();
  await vscode.window.showTextDocument(vscode.Uri.file(file));
}

async function startLabCommand(s: CommandServices): Promise<void> {
  requireTrust('Starting the local lab');
  const folder = await pickFolder();
  const lab = await withProgress('starting the local lab', () => s.lab.start(folder));
  const configured = (await s.configs.endpoints()).some((ref) => ref.endpoint.url.startsWith(lab.url));
  const next = configured ? 'Probe Endpoint…' : 'Create Workspace Config';
  const choice = await vscode.window.showInformationMessage(
    `mTLS Probe: the local lab listens on ${lab.url} — an ALB-shaped listener with mTLS in verify mode, a WAF and a target, logging in AWS's formats under ${labFolderName}/logs.`,
    next,
  );
  if (choice === 'Probe Endpoint…') await vscode.commands.executeCommand('mtlsProbe.probeEndpoint');
  if (choice === 'Create Workspace Config') await vscode.commands.executeCommand('mtlsProbe.createConfig');
}

async function openConfigCommand(s: CommandServices): Promise<void> {
  const configs = await s.configs.all();
  if (configs.length === 0) return createConfigCommand(s);
  const file =
    configs.length === 1
      ? configs[0]!.config.file
      : (await vscode.window.showQuickPick(configs.map((c) => ({ label: c.folder.name, description: workspaceConfigRelativePath, file: c.config.file }))))?.file;
  if (file) await vscode.window.showTextDocument(vscode.Uri.file(file));
}

async function exportRunCommand(s: CommandServices, given?: ProbeRun): Promise<void> {
  let run = given !== undefined ? runOf(s, given) : undefined;
  if (run === undefined) {
    const picked = await vscode.window.showQuickPick(
      s.history.list().map((r) => ({ label: `${r.endpointName} · ${identityLabel(r.identityName)}`, description: runLine(r), run: r })),
      { title: 'mTLS Probe: run to export' },
    );
    if (!picked) {
      if (s.history.list().length === 0) void vscode.window.showInformationMessage('mTLS Probe: no runs yet; probe an endpoint first.');
      return;
    }
    run = picked.run;
  }
  await exportRuns(s, [run]);
}

/** Writes runs as JSON, the timeline report or OTLP (the webview's Export… comes here too). */
export async function exportRuns(s: CommandServices, runs: readonly ProbeRun[], format?: RunExportFormat): Promise<void> {
  const engine = await loadProbeEngine();
  let chosen = format;
  if (chosen === undefined) {
    const formats = Object.entries(engine.runExportFormats) as Array<[RunExportFormat, { label: string; description: string; extension: string }]>;
    const picked = await vscode.window.showQuickPick(
      formats.map(([id, f]) => ({ label: f.label, description: f.description, id })),
      { title: 'Export format' },
    );
    if (!picked) return;
    chosen = picked.id;
  }
  const extension = engine.runExportFormats[chosen].extension;
  const first = runs[0]!;
  const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd());
  const stem = runs.length === 1 ? `${first.endpointName.replace(/[^\w.-]+/g, '_')}-${first.identityName.replace(/[^\w.-]+/g, '_')}` : `compare-${runs.length}-runs`;
  const name = `mtls-probe-${stem}-${first.startedAt.replace(/[:.]/g, '-')}.${extension}`;
  const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(base, name), filters: { [engine.runExportFormats[chosen].label]: [extension.split('.').at(-1)!] } });
  if (!target) return;
  // Runs carry identity summaries only (ClientIdentity never serialises its key); secret header values are redacted.
  const content = await engine.exportRuns(runs, chosen);
  await vscode.workspace.fs.writeFile(target, Buffer.from(content));
  void vscode.window.showInformationMessage(`mTLS Probe: exported to ${vscode.workspace.asRelativePath(target)}.`);
}

/** Collects a run's evidence again: AWS delivers logs minutes late, after the first wait may have ended. */
async function collectEvidenceCommand(s: CommandServices, given?: ProbeRun | string): Promise<void> {
  requireTrust('Collecting evidence');
  let run = given !== undefined ? runOf(s, given) : undefined;
  if (run === undefined) {
    const candidates = s.history.list().filter(hasEvidenceSettings);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage('mTLS Probe: no run of an endpoint with "aws" settings or a "logs" folder yet; probe one first.');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((r) => ({ label: `${r.endpointName} · ${identityLabel(r.identityName)}`, description: `${runLine(r)} · ${new Date(r.startedAt).toLocaleTimeString()}`, run: r })),
      { title: 'mTLS Probe: look again for the evidence of' },
    );
    if (!picked) return;
    run = picked.run;
  }
  if (run.endpoint === undefined || !hasEvidenceSettings(run)) {
    void vscode.window.showInformationMessage(`mTLS Probe: ${run.endpointName} names no evidence: add "aws" settings or a "logs" folder to it in ${workspaceConfigRelativePath}.`);
    return;
  }
  if (run.collectingEvidence || s.evidence.isCollecting(run.id)) {
    void vscode.window.showInformationMessage(`mTLS Probe: evidence for ${run.endpointName} is already being collected.`);
    return;
  }
  // The endpoint as the config says now (settings fixed since the probe count), else as it was probed.
  const current = (await s.configs.endpoints()).find((ref) => run.key !== undefined && run.key === endpointIdentityKey(ref.config.file, ref.endpoint.name, run.identityName));
  s.evidence.startFor(run, current?.endpoint ?? run.endpoint);
}

async function copyReproduceCommand(node: EndpointsNode | undefined, tool: 'curl' | 'openssl'): Promise<void> {
  if (node?.kind !== 'endpointIdentity') return;
  const identity = node.identityName === noIdentityName ? null : findIdentity(node.config, node.identityName, node.endpoint.name);
  const engine = await loadProbeEngine();
  const command = tool === 'curl' ? engine.curlCommand(node.endpoint, identity) : engine.opensslCommand(node.endpoint, identity);
  await vscode.env.clipboard.writeText(command);
  void vscode.window.showInformationMessage(`mTLS Probe: copied — ${command}`);
}
