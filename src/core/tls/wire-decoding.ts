import type { TraceEvent } from '../trace';
import type { KeyLog } from './key-log';
import { TlsSessionDecoder, type TlsSessionState, type WireDirection } from './session-decoder';

export interface WireBytes {
  dir: WireDirection;
  t: number;
  data: Uint8Array;
}

/**
 * A connection's bytes decoded while it is still going: the probe feeds what has arrived when it has nothing else to do
 * (while the server works on the request, while the sockets close), so that little is left to decode once the answer
 * is in. Decoding in steps gives the same events and state as decoding at the end: the decoder reads both directions
 * in arrival order and keeps its place. The caller says how far it is safe to go — only bytes whose keys the key log
 * already holds, i.e. bytes Node's TLS has itself read (the key log is written as the handshake goes).
 */
export class WireDecoding {
  private readonly events: TraceEvent[] = [];
  private readonly decoder: TlsSessionDecoder;
  private fed = 0;
  private last = 0;
  private result: { events: TraceEvent[]; state: TlsSessionState } | null = null;

  constructor(private readonly chunks: readonly WireBytes[], keyLog: KeyLog) {
    this.decoder = new TlsSessionDecoder(keyLog, (ev) => this.events.push(ev));
  }

  /** Decodes the chunks up to `count` (all of them by default) not decoded yet. After `finish`, does nothing. */
  decodeUpTo(count = this.chunks.length): void {
    if (this.result !== null) return;
    const end = Math.min(count, this.chunks.length);
    for (; this.fed < end; this.fed++) {
      const chunk = this.chunks[this.fed]!;
      this.decoder.feed(chunk.dir, chunk.t, chunk.data);
      this.last = Math.max(this.last, chunk.t);
    }
  }

  /** Decodes the rest, reports what was left incomplete at the end, and hands over the events and the state. */
  finish(endT = 0): { events: TraceEvent[]; state: TlsSessionState } {
    if (this.result !== null) return this.result;
    this.decodeUpTo();
    this.decoder.finish(Math.max(endT, this.last));
    this.result = { events: this.events, state: this.decoder.state };
    return this.result;
  }
}

/** Decodes a whole recorded connection (both directions in arrival order) in one go. */
export function decodeWire(chunks: readonly WireBytes[], keyLog: KeyLog, endT = 0): { events: TraceEvent[]; state: TlsSessionState } {
  return new WireDecoding(chunks, keyLog).finish(endT);
}
