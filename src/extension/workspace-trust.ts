import * as vscode from 'vscode';

// The one gate between an untrusted workspace and what it must not do: read key or PKCS#12 files, run probes or
// start the lab from its config, read its logs or use AWS credentials for it. Everything asks here, so Restricted
// Mode has one meaning.

/** Restricted Mode: the workspace is not trusted, so nothing from its config runs. */
export class RestrictedModeError extends Error {
  constructor(what: string) {
    super(`${what} is not available in Restricted Mode: mTLS Probe reads no key files and runs no probes from an untrusted workspace. Trust the workspace to continue.`);
    this.name = 'RestrictedModeError';
  }
}

export function isWorkspaceTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

/** Throws RestrictedModeError (shown as one notification by the command shell) when the workspace is not trusted. */
export function requireTrust(what: string): void {
  if (!isWorkspaceTrusted()) throw new RestrictedModeError(what);
}
