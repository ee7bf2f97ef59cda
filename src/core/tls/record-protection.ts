import { createDecipheriv, createHmac } from 'node:crypto';
import { cipherSuiteNames, tls13Suites, type Tls13Suite } from './registry';

// TLS 1.3 key schedule pieces (RFC 8446 section 7) and AEAD record decryption for both TLS 1.3 and
// TLS 1.2 AEAD suites. Node exposes HKDF only as extract+expand, and the schedule needs Expand alone
// with TLS's label encoding, so HKDF-Expand is written here over HMAC (RFC 5869 section 2.3).

export type HashName = 'sha256' | 'sha384';

const hashLength: Record<HashName, number> = { sha256: 32, sha384: 48 };

export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac(hash, salt.length > 0 ? salt : Buffer.alloc(hashLength[hash])).update(ikm).digest();
}

export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  let previous = Buffer.alloc(0);
  let filled = 0;
  for (let counter = 1; filled < length; counter++) {
    previous = createHmac(hash, prk).update(previous).update(info).update(Buffer.of(counter)).digest();
    filled += previous.copy(out, filled);
  }
  return out;
}

/** HKDF-Expand-Label(Secret, Label, Context, Length) with the "tls13 " prefix. */
export function hkdfExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([
    Buffer.of(length >> 8, length & 0xff, fullLabel.length),
    fullLabel,
    Buffer.of(context.length),
    context,
  ]);
  return hkdfExpand(hash, secret, info, length);
}

/** Derive-Secret(Secret, Label, Messages) given the transcript hash of Messages. */
export function deriveSecret(hash: HashName, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Buffer {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashLength[hash]);
}

export interface TrafficKeys {
  key: Buffer;
  iv: Buffer;
}

export function tls13TrafficKeys(suite: Tls13Suite, trafficSecret: Uint8Array): TrafficKeys {
  return {
    key: hkdfExpandLabel(suite.hash, trafficSecret, 'key', Buffer.alloc(0), suite.keyLength),
    iv: hkdfExpandLabel(suite.hash, trafficSecret, 'iv', Buffer.alloc(0), 12),
  };
}

/** application_traffic_secret_N+1 (RFC 8446 7.2), for KeyUpdate. */
export function nextTrafficSecret(suite: Tls13Suite, secret: Uint8Array): Buffer {
  return hkdfExpandLabel(suite.hash, secret, 'traffic upd', Buffer.alloc(0), hashLength[suite.hash]);
}

function xorSequence(iv: Buffer, sequence: bigint): Buffer {
  const nonce = Buffer.from(iv);
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(sequence);
  for (let i = 0; i < 8; i++) nonce[nonce.length - 8 + i]! ^= seq[i]!;
  return nonce;
}

type Aead = Tls13Suite['aead'];

function aeadOpen(aead: Aead, key: Buffer, nonce: Buffer, aad: Buffer, ciphertextAndTag: Uint8Array): Buffer | null {
  if (ciphertextAndTag.length < 16) return null;
  const ciphertext = ciphertextAndTag.subarray(0, ciphertextAndTag.length - 16);
  const tag = ciphertextAndTag.subarray(ciphertextAndTag.length - 16);
  try {
    const decipher =
      aead === 'chacha20-poly1305'
        ? createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
        : createDecipheriv(aead, key, nonce);
    decipher.setAAD(aad, { plaintextLength: ciphertext.length });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}

export interface OpenedRecord {
  contentType: number;
  plaintext: Buffer;
}

/** Anything that can open protected records of one direction, in order. */
export interface RecordOpener {
  open(header: Uint8Array, fragment: Uint8Array): OpenedRecord | null;
}

/** One direction of TLS 1.3 record protection (RFC 8446 section 5.2-5.3). */
export class Tls13RecordOpener implements RecordOpener {
  private keys: TrafficKeys;
  private sequence = 0n;

  constructor(private readonly suite: Tls13Suite, private secret: Uint8Array) {
    this.keys = tls13TrafficKeys(suite, secret);
  }

  open(header: Uint8Array, fragment: Uint8Array): OpenedRecord | null {
    const inner = aeadOpen(this.suite.aead, this.keys.key, xorSequence(this.keys.iv, this.sequence), Buffer.from(header), fragment);
    if (inner === null) return null;
    this.sequence++;
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (end < 0) return null;
    return { contentType: inner[end]!, plaintext: inner.subarray(0, end) };
  }

  /** Moves to the next application traffic secret after a KeyUpdate. */
  update(): void {
    this.secret = nextTrafficSecret(this.suite, this.secret);
    this.keys = tls13TrafficKeys(this.suite, this.secret);
    this.sequence = 0n;
  }
}

/** TLS 1.2 PRF (RFC 5246 section 5): P_hash(secret, label + seed). */
export function tls12Prf(hash: HashName, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out = Buffer.alloc(length);
  let a: Buffer = createHmac(hash, secret).update(labelSeed).digest();
  let filled = 0;
  while (filled < length) {
    filled += createHmac(hash, secret).update(a).update(labelSeed).digest().copy(out, filled);
    a = createHmac(hash, secret).update(a).digest();
  }
  return out;
}

interface Tls12AeadSuite {
  aead: Aead;
  keyLength: number;
  /** 4 for AES-GCM (with an 8-byte explicit nonce per record), 12 for ChaCha20-Poly1305 (RFC 7905). */
  fixedIvLength: 4 | 12;
  hash: HashName;
}

/** The TLS 1.2 AEAD parameters of a suite, or null when the suite is not AEAD (CBC suites are not decrypted). */
export function tls12AeadSuite(cipherSuite: number): Tls12AeadSuite | null {
  const name = cipherSuiteNames[cipherSuite];
  if (name === undefined || !name.includes('_WITH_')) return null;
  const hash: HashName = name.endsWith('SHA384') ? 'sha384' : 'sha256';
  if (name.includes('AES_128_GCM')) return { aead: 'aes-128-gcm', keyLength: 16, fixedIvLength: 4, hash };
  if (name.includes('AES_256_GCM')) return { aead: 'aes-256-gcm', keyLength: 32, fixedIvLength: 4, hash };
  if (name.includes('CHACHA20_POLY1305')) return { aead: 'chacha20-poly1305', keyLength: 32, fixedIvLength: 12, hash };
  return null;
}

/** One direction of TLS 1.2 AEAD record protection (RFC 5288, RFC 7905). */
export class Tls12AeadRecordOpener implements RecordOpener {
  private sequence = 0n;

  constructor(private readonly suite: Tls12AeadSuite, private readonly key: Buffer, private readonly fixedIv: Buffer) {}

  static fromMasterSecret(
    cipherSuite: number,
    masterSecret: Uint8Array,
    clientRandom: Uint8Array,
    serverRandom: Uint8Array,
  ): { client: Tls12AeadRecordOpener; server: Tls12AeadRecordOpener } | null {
    const suite = tls12AeadSuite(cipherSuite);
    if (suite === null) return null;
    const { keyLength: k, fixedIvLength: v } = suite;
    const block = tls12Prf(suite.hash, masterSecret, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * k + 2 * v);
    return {
      client: new Tls12AeadRecordOpener(suite, block.subarray(0, k), block.subarray(2 * k, 2 * k + v)),
      server: new Tls12AeadRecordOpener(suite, block.subarray(k, 2 * k), block.subarray(2 * k + v, 2 * k + 2 * v)),
    };
  }

  open(header: Uint8Array, fragment: Uint8Array): OpenedRecord | null {
    let nonce: Buffer;
    let body: Uint8Array;
    if (this.suite.fixedIvLength === 4) {
      if (fragment.length < 8 + 16) return null;
      nonce = Buffer.concat([this.fixedIv, fragment.subarray(0, 8)]);
      body = fragment.subarray(8);
    } else {
      nonce = xorSequence(this.fixedIv, this.sequence);
      body = fragment;
    }
    // Shorter than its tag: not a record this key opens (and no length for the additional data).
    if (body.length < 16) return null;
    const aad = Buffer.alloc(13);
    aad.writeBigUInt64BE(this.sequence, 0);
    aad[8] = header[0]!;
    aad[9] = header[1]!;
    aad[10] = header[2]!;
    aad.writeUInt16BE(body.length - 16, 11);
    const plaintext = aeadOpen(this.suite.aead, this.key, nonce, aad, body);
    if (plaintext === null) return null;
    this.sequence++;
    return { contentType: header[0]!, plaintext };
  }
}

export { tls13Suites };
