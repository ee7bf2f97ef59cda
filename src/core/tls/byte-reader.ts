/**
 * `tls_truncated`: a structure is shorter than its own length fields say; `tls_unsupported`: it holds a form the
 * decoder does not lay out (an explicit curve).
 */
export type TlsDecodeErrorCode = 'tls_truncated' | 'tls_unsupported';

/** Thrown when a TLS structure cannot be decoded: cut short (most often) or of a form the decoder does not read. */
export class TlsDecodeError extends Error {
  constructor(message: string, readonly code: TlsDecodeErrorCode = 'tls_truncated') {
    super(message);
    this.name = 'TlsDecodeError';
  }
}

/** A bounds-checked cursor over a TLS structure (RFC 8446 section 3 presentation language). */
export class ByteReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array, private readonly what = 'message') {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) {
      throw new TlsDecodeError(`${this.what} truncated: needs ${n} more byte(s) at offset ${this.offset}, has ${this.remaining}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  u16(): number {
    this.need(2);
    const v = (this.bytes[this.offset]! << 8) | this.bytes[this.offset + 1]!;
    this.offset += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = (this.bytes[this.offset]! << 16) | (this.bytes[this.offset + 1]! << 8) | this.bytes[this.offset + 2]!;
    this.offset += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.u16() * 0x10000;
    return v + this.u16();
  }

  bytesOf(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  rest(): Uint8Array {
    return this.bytesOf(this.remaining);
  }

  /** A vector with a length prefix of 1, 2 or 3 bytes, returned as its own reader. */
  vector(prefixBytes: 1 | 2 | 3, what = this.what): ByteReader {
    const n = prefixBytes === 1 ? this.u8() : prefixBytes === 2 ? this.u16() : this.u24();
    return new ByteReader(this.bytesOf(n), what);
  }

  vectorBytes(prefixBytes: 1 | 2 | 3): Uint8Array {
    const n = prefixBytes === 1 ? this.u8() : prefixBytes === 2 ? this.u16() : this.u24();
    return this.bytesOf(n);
  }

  u16List(): number[] {
    const out: number[] = [];
    while (this.remaining > 0) out.push(this.u16());
    return out;
  }
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
