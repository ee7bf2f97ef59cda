// Runs inside desktop VS Code's extension host (see run-desktop-tests.ts): the same checks as the code-server
// suite that can be made through the API alone.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';

async function waitFor<T>(what: string, read: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension('mtls-probe.mtls-probe');
  assert.ok(extension, 'the extension is installed');
  await extension.activate();

  const manifest = JSON.parse(await readFile(join(extension.extensionPath, 'package.json'), 'utf8')) as { contributes: { commands: Array<{ command: string }> } };
  const registered = new Set(await vscode.commands.getCommands(true));
  for (const { command } of manifest.contributes.commands) assert.ok(registered.has(command), `${command} is registered`);

  const folder = vscode.workspace.workspaceFolders![0]!.uri;
  const expired = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'pki/expired.pem'));
  await vscode.window.showTextDocument(expired);
  const diagnostics = await waitFor('an expiry diagnostic', () => {
    const found = vscode.languages.getDiagnostics(expired.uri).filter((d) => d.source === 'mTLS Probe');
    return found.length > 0 ? found : undefined;
  });
  assert.match(diagnostics[0]!.message, /expired/i);

  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', expired.uri, new vscode.Position(1, 5));
  const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
  assert.match(text, /mTLS Probe Test PKI|CN=/);
}
