import type { RecordOpener } from './record-protection';
import { contentTypeNames } from './registry';

// One direction of a connection as the session decoder reads it: socket reads joined into whole TLS records, and
// the handshake bytes of those records joined into whole handshake messages. Apart from session-decoder.ts because
// this part only frames bytes — it knows nothing of what the messages mean — and its one concern, copying each byte
// a bounded number of times however the reads and records split a 16 MB message, is easier to check on its own.

const maxRecordLength = (1 << 14) + 2048;

/** A whole record: its 5-byte header and its fragment, both views of the bytes that came. */
export interface FramedRecord {
  header: Buffer;
  fragment: Buffer;
}

/**
 * Handshake bytes that are not yet a whole message, kept as the records brought them and joined once when the message
 * is whole: a 16 MB message arrives in a thousand records, and joining at each one would copy gigabytes.
 */
export class HandshakeAssembler {
  private parts: Buffer[] = [];
  private size = 0;
  /** When the first bytes of the message in progress arrived. */
  startedAt = 0;
  /** Whether they came in protected records (decrypted from the key log). */
  encrypted = false;

  push(t: number, data: Buffer, encrypted: boolean): void {
    if (data.length === 0) return;
    if (this.size === 0) this.startedAt = t;
    this.encrypted = encrypted;
    this.parts.push(data);
    this.size += data.length;
  }

  /** The message in progress: its type and announced body length, once its 4-byte header is here. */
  header(): { type: number; length: number } | null {
    if (this.size < 4) return null;
    // Joined once, so the first part holds the header from then on: joining at every record would copy quadratically.
    if (this.parts[0]!.length < 4) this.parts = [Buffer.concat(this.parts, this.size)];
    const first = this.parts[0]!;
    return { type: first[0]!, length: first.readUIntBE(1, 3) };
  }

  /** The next whole message (header included), or null while it is still arriving. */
  next(t: number): Buffer | null {
    const head = this.header();
    if (head === null || this.size < 4 + head.length) return null;
    const all = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    const rest = all.subarray(4 + head.length);
    this.parts = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    this.startedAt = t;
    return all.subarray(0, 4 + head.length);
  }

  get buffered(): number {
    return this.size;
  }

  /** The first `max` bytes of the message in progress (joining only the records that hold them). */
  prefix(max: number): Buffer {
    const taken: Buffer[] = [];
    let size = 0;
    for (const part of this.parts) {
      if (size >= max) break;
      taken.push(part);
      size += part.length;
    }
    return Buffer.concat(taken, Math.min(size, max));
  }
}

/** A Buffer over the same bytes, not a copy: the decoder only reads what it is fed, and the capture is not written again. */
function view(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export class DirectionState {
  pending: Buffer = Buffer.alloc(0);
  /**
   * Reads that arrived while `pending` holds the start of a record still incomplete: joined once the record is whole,
   * so a record read a byte at a time is copied once, not once per byte.
   */
  queued: Buffer[] = [];
  queuedBytes = 0;

  /** `pending` with the queued reads joined to it. */
  joinQueued(): void {
    if (this.queued.length === 0) return;
    this.pending = Buffer.concat([this.pending, ...this.queued], this.pending.length + this.queuedBytes);
    this.queued = [];
    this.queuedBytes = 0;
  }
  readonly handshake = new HandshakeAssembler();
  opener: RecordOpener | null = null;
  /** TLS 1.3: which secret the opener uses. TLS 1.2: whether CCS was seen. */
  epoch: 'plaintext' | 'handshake' | 'application' = 'plaintext';
  stopped = false;

  /** Takes one read; false while the record it continues is still incomplete, so there is nothing to frame yet. */
  append(chunk: Uint8Array): boolean {
    if (this.pending.length >= 5) {
      // The record header is in (and was checked): wait for the rest of the record without copying.
      this.queued.push(view(chunk));
      this.queuedBytes += chunk.length;
      if (this.pending.length + this.queuedBytes < 5 + this.pending.readUInt16BE(3)) return false;
      this.joinQueued();
    } else {
      this.pending = this.pending.length === 0 ? view(chunk) : Buffer.concat([this.pending, chunk]);
    }
    return true;
  }

  /**
   * The next whole record, taken off `pending`; `not_tls` when the header there cannot be a TLS record's (`pending`
   * is left as it is, for the caller to show); null while the record is still arriving.
   */
  nextRecord(): FramedRecord | 'not_tls' | null {
    if (this.pending.length < 5) return null;
    const type = this.pending[0]!;
    const major = this.pending[1]!;
    const length = this.pending.readUInt16BE(3);
    if (contentTypeNames[type] === undefined || major !== 3 || length > maxRecordLength) return 'not_tls';
    if (this.pending.length < 5 + length) return null;
    const header = this.pending.subarray(0, 5);
    const fragment = this.pending.subarray(5, 5 + length);
    this.pending = this.pending.subarray(5 + length);
    return { header, fragment };
  }

  /** Whether the bytes left, fewer than a record header, already cannot begin a TLS record (a first chunk may be that short). */
  startsWithNonTls(): boolean {
    if (this.pending.length === 0 || this.pending.length >= 5) return false;
    return contentTypeNames[this.pending[0]!] === undefined || (this.pending.length > 1 && this.pending[1] !== 3);
  }
}
