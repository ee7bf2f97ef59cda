import * as vscode from 'vscode';
import { CancelledError } from './probe-runner';
import { pathsOutside } from './outside-paths';

// Workspace Trust says a folder's code may run; it does not make every path its config names a file the person
// meant to hand over. A cloned repository's `.vscode/mtls-probe.json` could name ~/.ssh/id_ed25519 or another
// project's client key, and a probe would read it (and send the certificate to the URL the config chose). So a
// key, certificate, CA file or log a config names outside the workspace folders is read only once the person has
// allowed it, and that answer is kept for this workspace (workspaceState: paths only, never contents).

const allowedKey = 'mtlsProbe.allowedOutsideFiles';

export class OutsideFileGate {
  constructor(private readonly state: vscode.Memento) {}

  /** The files outside the workspace folders that were not allowed yet. */
  async notAllowed(files: readonly string[]): Promise<string[]> {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const allowed = new Set(this.state.get<string[]>(allowedKey, []));
    return (await pathsOutside(files, folders)).filter((f) => !allowed.has(f));
  }

  /**
   * Resolves when every file is inside a workspace folder or was allowed; asks (modal) for the rest; throws
   * CancelledError when the person declines.
   */
  async confirm(files: readonly string[], why: string): Promise<void> {
    const outside = await this.notAllowed(files);
    if (outside.length === 0) return;
    const allow = 'Allow Reading';
    const answer = await vscode.window.showWarningMessage(
      `mTLS Probe: ${why} needs ${outside.length === 1 ? 'a file' : `${outside.length} files`} outside the workspace folder. Read ${outside.length === 1 ? 'it' : 'them'}?`,
      {
        modal: true,
        detail: `${outside.join('\n')}\n\nThe workspace config names ${outside.length === 1 ? 'this path' : 'these paths'}. mTLS Probe reads key, certificate, CA and log files outside the workspace only when you allow it; the answer is kept for this workspace.`,
      },
      allow,
    );
    if (answer !== allow) throw new CancelledError();
    await this.state.update(allowedKey, [...this.state.get<string[]>(allowedKey, []), ...outside]);
  }
}
