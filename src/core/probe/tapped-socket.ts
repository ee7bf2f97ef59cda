import type { Socket } from 'node:net';
import { SocketRelay } from '../tls/socket-relay';

export interface WireChunk {
  t: number;
  dir: 'out' | 'in';
  data: Buffer;
}

export type TcpSignal =
  | { kind: 'fin'; t: number }
  | { kind: 'reset'; t: number; code: string }
  | { kind: 'error'; t: number; code: string; message: string }
  | { kind: 'close'; t: number };

/** Bytes kept per direction; beyond this only the count grows (a large body must not exhaust memory). */
const captureLimit = 1 << 20;

/**
 * The tap between the TCP socket and Node's TLS: every byte in both directions is recorded with a
 * high-resolution timestamp before it is passed on, and FIN/RST are reported as they happen.
 * The socket must have noDelay set: otherwise Nagle and delayed ACKs stall the small handshake records.
 */
export class TappedSocket extends SocketRelay {
  readonly chunks: WireChunk[] = [];
  readonly signals: TcpSignal[] = [];
  readonly captured = { out: 0, in: 0 };
  readonly total = { out: 0, in: 0 };

  /**
   * What TLS wrote before the TCP connection was up (`heldUntilConnect`): written, and captured with the time it goes
   * on the wire, at 'connect'; never captured if the connection fails.
   */
  private held: Array<{ data: Buffer; owned: boolean; callback: (error?: Error | null) => void }> | null = null;

  /** When the TCP connection came up (`heldUntilConnect` only): what was held goes on the wire from this moment. */
  connectedAt: number | null = null;

  /**
   * `heldUntilConnect`: the socket is not connected yet (TLS is started over it meanwhile, as `tls.connect` does, so
   * that making its objects and its ClientHello overlaps DNS and the TCP connect); writes wait for its 'connect'.
   */
  constructor(socket: Socket, private readonly clock: () => number, options: { heldUntilConnect?: boolean } = {}) {
    super(socket, { allowHalfOpen: true });
    if (options.heldUntilConnect === true) {
      this.held = [];
      socket.once('connect', () => this.release());
    }
    socket.on('data', (data: Buffer) => {
      this.capture('in', data);
      if (!this.push(data)) socket.pause();
    });
    socket.on('end', () => {
      this.signals.push({ kind: 'fin', t: this.clock() });
      this.push(null);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EUNKNOWN';
      this.signals.push(code === 'ECONNRESET' || code === 'EPIPE'
        ? { kind: 'reset', t: this.clock(), code }
        : { kind: 'error', t: this.clock(), code, message: err.message });
      this.destroy(err);
    });
    socket.on('close', () => {
      this.signals.push({ kind: 'close', t: this.clock() });
      if (!this.destroyed) this.destroy();
    });
  }

  /** `owned`: the buffer is the tap's own (a concatenation), so it is kept as is rather than copied. */
  private capture(dir: 'out' | 'in', data: Buffer, owned = dir === 'in'): void {
    this.total[dir] += data.length;
    if (this.captured[dir] >= captureLimit) return;
    // Outgoing buffers may be reused by the TLS stream wrapper once written, so keep a copy.
    const kept = owned ? data : Buffer.from(data);
    this.captured[dir] += kept.length;
    this.chunks.push({ t: this.clock(), dir, data: kept });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, false, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    // The concatenation of several is a new buffer already: captured without a second copy.
    if (chunks.length === 1) this.send(chunks[0]!.chunk, false, callback);
    else this.send(Buffer.concat(chunks.map((c) => c.chunk)), true, callback);
  }

  /**
   * Captures what TLS wrote and passes it to the socket; before the connection is up, holds it (the writer leaves the
   * buffer alone until its callback, so it is copied only when captured, at 'connect').
   */
  private send(data: Buffer, owned: boolean, callback: (error?: Error | null) => void): void {
    if (this.held !== null) {
      this.held.push({ data, owned, callback });
      return;
    }
    this.capture('out', data, owned);
    super._write(data, 'latin1', callback);
  }

  private release(): void {
    this.connectedAt = this.clock();
    const held = this.held ?? [];
    this.held = null;
    for (const { data, owned, callback } of held) this.send(data, owned, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Never connected: what waited is not sent (Node's TLS stream wrapper cancels its pending write itself).
    this.held = null;
    super._destroy(error, callback);
  }
}
