import * as vscode from 'vscode';
import type { TrustStoreReport } from '../core/certs/truststore-lint';
import { loadCertificateTools } from './lazy-modules';

/** Lints trust-store bundles against ALB's rules and shows the findings as diagnostics on the bundle. */
export class TrustStoreLinter implements vscode.Disposable {
  readonly #diagnostics = vscode.languages.createDiagnosticCollection('mtls-probe-truststore');

  async lint(file: string): Promise<TrustStoreReport> {
    const tools = await loadCertificateTools();
    const report = await tools.lintTrustStoreFile(file);
    this.#diagnostics.set(
      vscode.Uri.file(file),
      report.findings.map((finding) => {
        const range = new vscode.Range(finding.line - 1, 0, (finding.endLine ?? finding.line) - 1, Number.MAX_SAFE_INTEGER);
        const diagnostic = new vscode.Diagnostic(range, finding.message, finding.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        diagnostic.source = 'mTLS Probe (ALB trust store)';
        diagnostic.code = finding.rule;
        return diagnostic;
      }),
    );
    return report;
  }

  dispose(): void {
    this.#diagnostics.dispose();
  }
}
