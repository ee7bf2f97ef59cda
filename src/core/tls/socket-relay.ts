import { Duplex, type DuplexOptions } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * A stream that stands in for a TCP socket under Node's TLS, so that the bytes can be watched on their way (the
 * probe's tap, the lab's gate): what TLS writes goes to the socket, reading resumes it, ending or destroying one
 * ends or destroys the other. Subclasses push what the socket receives; they pause the socket when push refuses.
 */
export abstract class SocketRelay extends Duplex {
  protected constructor(
    protected readonly socket: Socket,
    options?: DuplexOptions,
  ) {
    super(options);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.socket.destroyed) this.socket.destroy();
    callback(error);
  }
}
