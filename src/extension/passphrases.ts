import * as vscode from 'vscode';

const indexKey = 'mtlsProbe.passphraseFiles';

/**
 * Passphrases for encrypted keys and PKCS#12 files, kept in VS Code's SecretStorage (the OS keychain), keyed by
 * the file's path. The file names of stored entries sit in globalState so "Clear saved passphrases" can find
 * them (SecretStorage cannot list its keys); the names are not secret, the passphrases never leave SecretStorage.
 */
export class PassphraseStore {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {}

  get(file: string): Thenable<string | undefined> {
    return this.secrets.get(secretKey(file));
  }

  async set(file: string, passphrase: string): Promise<void> {
    await this.secrets.store(secretKey(file), passphrase);
    const files = new Set(this.state.get<string[]>(indexKey, []));
    files.add(file);
    await this.state.update(indexKey, [...files]);
  }

  async forget(file: string): Promise<void> {
    await this.secrets.delete(secretKey(file));
    await this.state.update(indexKey, this.state.get<string[]>(indexKey, []).filter((f) => f !== file));
  }

  /** Deletes every stored passphrase; returns how many there were. */
  async clear(): Promise<number> {
    const files = this.state.get<string[]>(indexKey, []);
    await Promise.all(files.map((file) => this.secrets.delete(secretKey(file))));
    await this.state.update(indexKey, []);
    return files.length;
  }

  /** Asks for a passphrase; undefined when the person cancels. */
  async ask(file: string, retry: boolean): Promise<string | undefined> {
    return vscode.window.showInputBox({
      title: 'mTLS Probe: passphrase',
      prompt: retry
        ? `That passphrase does not open ${vscode.workspace.asRelativePath(file)}. Try again (it is kept in VS Code's secret storage).`
        : `Passphrase for ${vscode.workspace.asRelativePath(file)} (kept in VS Code's secret storage, never in settings)`,
      password: true,
      ignoreFocusOut: true,
    });
  }
}

function secretKey(file: string): string {
  return `mtlsProbe.passphrase:${file}`;
}
