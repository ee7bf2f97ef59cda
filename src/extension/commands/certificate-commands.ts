import * as path from 'node:path';
import * as vscode from 'vscode';
import { noIdentityName } from '../../core/config/types';
import { pemBlock } from '../../core/formats/pem';
import { blockAt } from '../../core/certs/pem-blocks';
import type { CertificateBlockLocation } from '../certificate-hover';
import type { CommandServices } from '../commands';
import { loadCertificateTools, loadProbeEngine } from '../lazy-modules';
import { findIdentity } from '../probe-runner';
import { requireTrust } from '../workspace-trust';
import type { EndpointsNode } from '../views/endpoints-view';
import type { IdentitiesNode } from '../views/identities-view';
import type { TrustStoresNode } from '../views/trust-stores-view';
import { notify } from './ui';

type CertificateTools = Awaited<ReturnType<typeof loadCertificateTools>>;

export async function inspectCertificateCommand(s: CommandServices, target?: CertificateBlockLocation | vscode.Uri | IdentitiesNode): Promise<void> {
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

async function inspectFile(s: CommandServices, tools: CertificateTools, uri: vscode.Uri): Promise<void> {
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

export async function lintTrustStoreCommand(s: CommandServices, target?: vscode.Uri | TrustStoresNode): Promise<void> {
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
  notify(report.errorCount > 0 ? 'warning' : 'info', `mTLS Probe: ${path.basename(uri.fsPath)}: ${report.certificates.length} certificate(s); ${summary}.`, {
    'Show Findings': () => s.output.show(true),
  });
}

export async function copyReproduceCommand(node: EndpointsNode | undefined, tool: 'curl' | 'openssl'): Promise<void> {
  if (node?.kind !== 'endpointIdentity') return;
  const identity = node.identityName === noIdentityName ? null : findIdentity(node.config, node.identityName, node.endpoint.name);
  const engine = await loadProbeEngine();
  const command = tool === 'curl' ? engine.curlCommand(node.endpoint, identity) : engine.opensslCommand(node.endpoint, identity);
  await vscode.env.clipboard.writeText(command);
  notify('info', `mTLS Probe: copied — ${command}`);
}
