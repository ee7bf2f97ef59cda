import * as vscode from 'vscode';
import { certificateFileExtensions } from '../core/certs/certificate-files';
import { blockAt } from '../core/certs/pem-blocks';
import type { WorkspaceCertificateIndex } from '../core/certs/workspace-certificates';
import { loadCertificateTools } from './lazy-modules';
import { isWorkspaceTrusted } from './workspace-trust';

/** Arguments of the hover's "Inspect fully" link: the block's place in the document, never its content. */
export interface CertificateBlockLocation {
  uri: string;
  start: number;
  end: number;
}

/**
 * The workspace's certificates and keys, for "matching key / issuing CA in the workspace". Built in the background
 * on the first hover (trusted workspaces only: it reads key files), kept fresh by the file watcher.
 */
export class WorkspaceCertificates implements vscode.Disposable {
  #index: WorkspaceCertificateIndex | undefined;
  #building: Promise<void> | undefined;
  readonly #subscriptions: vscode.Disposable[] = [];

  /**
   * The index, waiting at most `waitMs` for a build in progress (started here on first use); undefined means
   * "not known yet" (still building, or Restricted Mode, which reads no key files).
   */
  async current(waitMs: number): Promise<WorkspaceCertificateIndex | undefined> {
    if (this.#index === undefined && this.#building === undefined && isWorkspaceTrusted()) this.#building = this.#build();
    if (this.#index === undefined && this.#building !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.#building.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    return this.#index;
  }

  async #build(): Promise<void> {
    const tools = await loadCertificateTools();
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    this.#index = await tools.WorkspaceCertificateIndex.build(folders);
    // The same extensions the index reads (files without one are picked up by the next full build).
    const watcher = vscode.workspace.createFileSystemWatcher(`**/*.{${certificateFileExtensions.map((e) => e.slice(1)).join(',')}}`);
    this.#subscriptions.push(
      watcher,
      watcher.onDidChange((uri) => void this.#index?.update(uri.fsPath)),
      watcher.onDidCreate((uri) => void this.#index?.update(uri.fsPath)),
      watcher.onDidDelete((uri) => this.#index?.remove(uri.fsPath)),
    );
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
  }
}

/** A certificate summary when hovering over PEM certificate text in any file (YAML, JSON strings, heredocs…). */
export class CertificateHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly certificates: WorkspaceCertificates,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!vscode.workspace.getConfiguration('mtlsProbe', document).get<boolean>('hover.enabled', true)) return undefined;
    const text = document.getText();
    const block = blockAt(text, document.offsetAt(position));
    if (block === null) return undefined;
    try {
      const tools = await loadCertificateTools();
      if (token.isCancellationRequested) return undefined;
      const range = new vscode.Range(document.positionAt(block.start), document.positionAt(block.end));
      if (block.der === null) return new vscode.Hover(new vscode.MarkdownString(tools.certificateProblemSummary(block)), range);
      let details;
      try {
        details = tools.inspectCertificate(block.der);
      } catch {
        return new vscode.Hover(new vscode.MarkdownString(tools.certificateProblemSummary({ ...block, der: null, problem: 'The block decodes, but not as an X.509 certificate.' })), range);
      }
      // A small workspace is indexed within the hover's first appearance; a big one shows without the lookups.
      const index = await this.certificates.current(250);
      if (token.isCancellationRequested) return undefined;
      const markdown = tools.certificateHoverMarkdown(details, {
        ...(index !== undefined ? { matchingKey: index.hasMatchingKey(block.der), issuer: index.findIssuer(block.der) } : {}),
        workspaceRelative: (file) => vscode.workspace.asRelativePath(file),
      });
      const location: CertificateBlockLocation = { uri: document.uri.toString(), start: block.start, end: block.end };
      const inspect = `command:mtlsProbe.inspectCertificate?${encodeURIComponent(JSON.stringify([location]))}`;
      const content = new vscode.MarkdownString(`${markdown}\n\n[Inspect fully](${inspect})`);
      // Only our own inspect command may run from the hover; the certificate's text is escaped by the core.
      content.isTrusted = { enabledCommands: ['mtlsProbe.inspectCertificate'] };
      return new vscode.Hover(content, range);
    } catch (error) {
      // A hover must never surface an exception; the log keeps it for a bug report (no certificate text in it).
      this.output.warn(`Certificate hover failed: ${(error as Error).message}`);
      return undefined;
    }
  }
}
