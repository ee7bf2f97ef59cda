// The probe's trace: one ordered list of events across TCP, TLS and HTTP. This shape is part of the
// `--json` contract that the extension and the timeline build on; add fields, never rename them.

export type TraceDirection = 'out' | 'in' | 'local';
export type TraceLayer = 'tcp' | 'tls' | 'http';

export interface TraceEvent {
  /** Milliseconds since the probe started (high-resolution clock, 3 decimals). */
  t: number;
  dir: TraceDirection;
  layer: TraceLayer;
  event: string;
  detail?: Record<string, unknown>;
}

export interface AlertDetail {
  level: 'warning' | 'fatal' | string;
  description: string;
  code: number;
  /** True when the alert arrived inside a protected record and was decrypted from the key log. */
  encrypted: boolean;
  version: string;
  meaning?: string;
  /**
   * The alert's 2 bytes, base64 (decrypted when it was protected). Handshake and change_cipher_spec events carry
   * their bytes the same way, with `bytesTruncated: true` when a message was cut at 64 KB.
   */
  bytes?: string;
}

export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
