/**
 * Secrets from the session's own key log (NSS key log format, as Node's `keylog` event and
 * SSLKEYLOGFILE write them): "<LABEL> <client_random hex> <secret hex>".
 */
export class KeyLog {
  private readonly secrets = new Map<string, Buffer>();
  private readonly lines: string[] = [];

  add(line: string | Buffer): void {
    const text = (typeof line === 'string' ? line : line.toString('latin1')).trim();
    if (text.length === 0 || text.startsWith('#')) return;
    const [label, clientRandom, secret] = text.split(/\s+/);
    if (label === undefined || clientRandom === undefined || secret === undefined) return;
    if (!/^[0-9a-fA-F]+$/.test(clientRandom) || !/^[0-9a-fA-F]+$/.test(secret)) return;
    this.lines.push(text);
    this.secrets.set(`${label} ${clientRandom.toLowerCase()}`, Buffer.from(secret, 'hex'));
  }

  get(label: string, clientRandomHex: string): Buffer | undefined {
    return this.secrets.get(`${label} ${clientRandomHex.toLowerCase()}`);
  }

  get size(): number {
    return this.lines.length;
  }

  /** The key log as a file for Wireshark (Edit › Preferences › Protocols › TLS › (Pre)-Master-Secret log). */
  toString(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
