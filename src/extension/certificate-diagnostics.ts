import * as vscode from 'vscode';
import { noIdentityName } from '../core/config/types';
import { loadCertificateTools, loadProbeEngine } from './lazy-modules';
import { identityErrorCode } from './probe-runner';
import { beginMarkerRange } from './text-positions';
import type { FolderConfig } from './workspace-configs';
import { isWorkspaceTrusted } from './workspace-trust';
import type { OutsideFileGate } from './outside-file-gate';

const severities = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
} as const;

function expiryWarningDays(): number {
  return vscode.workspace.getConfiguration('mtlsProbe').get<number>('expiryWarningDays', 30);
}

/**
 * Expired, not-yet-valid, soon-to-expire and corrupt certificates in open documents (any language), and
 * key/certificate mismatches of the config's identities.
 */
export class CertificateDiagnostics implements vscode.Disposable {
  readonly #documents = vscode.languages.createDiagnosticCollection('mtls-probe-certificates');
  readonly #identities = vscode.languages.createDiagnosticCollection('mtls-probe-identities');
  readonly #pending = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #subscriptions: vscode.Disposable[];

  constructor(private readonly outsideFiles: OutsideFileGate) {
    this.#subscriptions = [
      vscode.workspace.onDidOpenTextDocument((d) => this.#schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.#schedule(e.document, 300)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.#cancel(d);
        this.#documents.delete(d.uri);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mtlsProbe.expiryWarningDays')) this.checkOpenDocuments();
      }),
    ];
  }

  /** Documents already open when the extension started (run after activation, not during it). */
  checkOpenDocuments(): void {
    for (const document of vscode.workspace.textDocuments) this.#schedule(document, 0);
  }

  #schedule(document: vscode.TextDocument, delayMs: number): void {
    if (document.uri.scheme === 'output' || document.uri.scheme === 'vscode-scm') return;
    this.#cancel(document);
    this.#pending.set(document.uri.toString(), setTimeout(() => void this.#check(document), delayMs));
  }

  #cancel(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const timer = this.#pending.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.#pending.delete(key);
  }

  async #check(document: vscode.TextDocument): Promise<void> {
    this.#pending.delete(document.uri.toString());
    if (document.isClosed) return;
    const text = document.getText();
    if (!text.includes('-----BEGIN')) {
      this.#documents.delete(document.uri);
      return;
    }
    const tools = await loadCertificateTools();
    const findings = tools.certificateFindings(text, new Date(), { expiryWarningDays: expiryWarningDays() });
    this.#documents.set(
      document.uri,
      findings.map((finding) => {
        // The BEGIN line only: a whole block underlined in a YAML or JSON file would hide the file around it.
        const marker = beginMarkerRange(text, finding.start, finding.end);
        const range = new vscode.Range(document.positionAt(marker.start), document.positionAt(marker.end));
        const diagnostic = new vscode.Diagnostic(range, finding.message, severities[finding.severity]);
        diagnostic.source = 'mTLS Probe';
        diagnostic.code = finding.code;
        return diagnostic;
      }),
    );
  }

  /**
   * Loads each configured PEM identity without a passphrase: a key that does not belong to its certificate is
   * reported on the identity's entry in the config. Encrypted keys are checked when they are first used.
   */
  async checkIdentities(configs: FolderConfig[]): Promise<void> {
    this.#identities.clear();
    if (!isWorkspaceTrusted()) return;
    const engine = await loadProbeEngine();
    for (const { config } of configs) {
      const diagnostics: vscode.Diagnostic[] = [];
      let document: vscode.TextDocument | undefined;
      for (const identity of config.identities) {
        if (identity.kind !== 'pem' || identity.name === noIdentityName) continue;
        // A key outside the workspace is read only after the person allowed it; a background check never asks.
        if ((await this.outsideFiles.notAllowed([identity.certFile, identity.keyFile])).length > 0) continue;
        try {
          await engine.loadConfiguredIdentity(identity);
        } catch (error) {
          if (identityErrorCode(error) !== 'key_mismatch') continue;
          document ??= await vscode.workspace.openTextDocument(vscode.Uri.file(config.file));
          const { offset, length } = identity.location;
          const diagnostic = new vscode.Diagnostic(new vscode.Range(document.positionAt(offset), document.positionAt(offset + length)), (error as Error).message, vscode.DiagnosticSeverity.Error);
          diagnostic.source = 'mTLS Probe';
          diagnostic.code = 'key-mismatch';
          diagnostics.push(diagnostic);
        }
      }
      if (diagnostics.length > 0) this.#identities.set(vscode.Uri.file(config.file), diagnostics);
    }
  }

  dispose(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    for (const s of this.#subscriptions) s.dispose();
    this.#documents.dispose();
    this.#identities.dispose();
  }
}
