import { roundMs, type AlertDetail, type TraceEvent } from '../trace';
import { TlsDecodeError, toHex } from './byte-reader';
import {
  decodeHandshakeBody,
  type CertificateFields,
  type CertificateRequestFields,
  type ClientHelloFields,
  type EncryptedExtensionsFields,
  type HandshakeContext,
  type ServerHelloFields,
} from './handshake-messages';
import { KeyLog } from './key-log';
import { DirectionState } from './record-reassembly';
import {
  Tls12AeadRecordOpener,
  Tls13RecordOpener,
  tls13Suites,
  type RecordOpener,
} from './record-protection';
import {
  ContentType,
  HandshakeType,
  alertDescriptionNames,
  alertLevelNames,
  alertMeanings,
  contentTypeNames,
  handshakeTypeNames,
  keyExchangeOf,
  nameOf,
  protocolVersionNames,
} from './registry';

export type WireDirection = 'out' | 'in';

interface RecordInfo {
  version: string;
  length: number;
}

export interface HandshakeRecord {
  dir: WireDirection;
  t: number;
  type: number;
  name: string;
  encrypted: boolean;
}

export interface ObservedAlert extends AlertDetail {
  dir: WireDirection;
  t: number;
}

/** What the decoder learned about the session; the verdict and the JSON result read this. */
export interface TlsSessionState {
  version: string | null;
  versionCode: number | null;
  cipherSuite: string | null;
  alpn: string | null;
  clientHello: ClientHelloFields | null;
  serverHello: ServerHelloFields | null;
  serverCertificate: CertificateFields | null;
  certificateRequest: CertificateRequestFields | null;
  /** The client's Certificate message: null when the client sent none at all. */
  clientCertificate: CertificateFields | null;
  handshakes: HandshakeRecord[];
  alerts: ObservedAlert[];
  changeCipherSpec: { out: boolean; in: boolean };
  applicationData: { out: number; in: number };
  /** Records that could not be decrypted (missing key log entry, unsupported cipher or failed tag). */
  undecrypted: number;
  /** Set when a peer sent bytes that are not TLS records. */
  notTls: { dir: WireDirection; t: number; preview: string } | null;
  decodeErrors: number;
  /**
   * A handshake message that began to arrive and never arrived whole (the connection ended first): its type, the
   * length its header announced and the bytes that came. E.g. a 16 MB server Certificate the client gave up on.
   */
  incompleteHandshake: IncompleteHandshake | null;
}

export interface IncompleteHandshake {
  dir: WireDirection;
  /** When its first bytes arrived. */
  t: number;
  type: number;
  name: string;
  /** The body length its header announced. */
  length: number;
  /** Bytes of it that arrived, header included. */
  received: number;
}

const emptyHandshakeContext: HandshakeContext = { version: null, keyExchange: 'unknown' };

// A handshake message may be 16 MB; the hex view needs far less, and the JSON trace must stay small.
const maxRawBytes = 65_536;

/** The bytes of a message as they were (decrypted when protected), for the timeline's hex view. */
function rawBytes(bytes: Buffer): { bytes: string; bytesTruncated?: true } {
  if (bytes.length <= maxRawBytes) return { bytes: bytes.toString('base64') };
  return { bytes: bytes.subarray(0, maxRawBytes).toString('base64'), bytesTruncated: true };
}

function printable(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 48))
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
}

/**
 * Turns the raw bytes of both directions of a TLS connection (fed in arrival order) into trace events:
 * records, every handshake message with decoded fields, ChangeCipherSpec, alerts and application data.
 * TLS 1.3 protected records, and TLS 1.2 AEAD records after ChangeCipherSpec, are decrypted with the
 * secrets of the session's own key log. Framing the bytes of each direction into records and messages is
 * record-reassembly.ts's part; this class gives them their meaning.
 */
export class TlsSessionDecoder {
  readonly state: TlsSessionState = {
    version: null,
    versionCode: null,
    cipherSuite: null,
    alpn: null,
    clientHello: null,
    serverHello: null,
    serverCertificate: null,
    certificateRequest: null,
    clientCertificate: null,
    handshakes: [],
    alerts: [],
    changeCipherSpec: { out: false, in: false },
    applicationData: { out: 0, in: 0 },
    undecrypted: 0,
    notTls: null,
    decodeErrors: 0,
    incompleteHandshake: null,
  };

  private readonly out = new DirectionState();
  private readonly in = new DirectionState();
  private cipherSuiteCode: number | null = null;
  private clientRandom: string | null = null;
  private serverRandom: string | null = null;
  private handshakeContext: HandshakeContext = emptyHandshakeContext;
  /** The latest ClientHello's random: a TLS 1.2 renegotiation brings new randoms, so a new key block. */
  private latestClientRandom: string | null = null;
  /** TLS 1.2 openers of the handshake whose ClientHello had `random` (null when the key log lacks its secret). */
  private tls12Openers: { random: string; openers: { client: RecordOpener; server: RecordOpener } | null } | undefined;

  constructor(private readonly keyLog: KeyLog, private readonly emit: (event: TraceEvent) => void) {}

  feed(dir: WireDirection, t: number, chunk: Uint8Array): void {
    const side = this.side(dir);
    if (side.stopped || !side.append(chunk)) return;
    while (!side.stopped) {
      const record = side.nextRecord();
      if (record === null) break;
      if (record === 'not_tls') {
        this.stopOnGarbage(dir, t, side);
        return;
      }
      this.onRecord(dir, t, record.header, record.fragment);
    }
    // A first chunk shorter than a record header can still be recognised as not TLS.
    if (!side.stopped && side.startsWithNonTls()) this.stopOnGarbage(dir, t, side);
  }

  /** Reports bytes left over at the end: a handshake message that never arrived whole, a record cut short. */
  finish(t: number): void {
    for (const dir of ['out', 'in'] as const) {
      const side = this.side(dir);
      if (side.stopped) continue;
      side.joinQueued();
      this.reportIncompleteHandshake(dir, side);
      if (side.pending.length > 0) {
        this.emitTls(t, dir, 'truncated_record', { bytes: side.pending.length });
      }
    }
  }

  /**
   * A message whose header announced more than arrived: named, with its announced length and what came, so a chain
   * too large for the client reads as such. Its bytes, like any message's, are capped in the trace.
   */
  private reportIncompleteHandshake(dir: WireDirection, side: DirectionState): void {
    const head = side.handshake.header();
    if (head === null) return;
    const received = side.handshake.buffered;
    const name = handshakeTypeNames[head.type] ?? `handshake ${head.type}`;
    const t = side.handshake.startedAt;
    this.state.incompleteHandshake ??= { dir, t: roundMs(t), type: head.type, name, length: head.length, received };
    this.emitTls(t, dir, 'handshake', {
      type: head.type,
      name,
      version: this.versionLabel(),
      length: head.length,
      encrypted: side.handshake.encrypted,
      incomplete: true,
      received,
      error: `incomplete: ${received.toLocaleString('en-US')} of its ${(head.length + 4).toLocaleString('en-US')} bytes arrived before the connection ended`,
      ...rawBytes(side.handshake.prefix(maxRawBytes + 1)),
    });
  }

  private side(dir: WireDirection): DirectionState {
    return dir === 'out' ? this.out : this.in;
  }

  private stopOnGarbage(dir: WireDirection, t: number, side: DirectionState): void {
    side.stopped = true;
    const preview = printable(side.pending);
    this.state.notTls ??= { dir, t, preview };
    this.emitTls(t, dir, 'not_tls', { bytes: side.pending.length, preview, hex: toHex(side.pending.subarray(0, 16)) });
  }

  private versionLabel(recordVersion?: number): string {
    if (this.state.version !== null) return this.state.version;
    const hello = this.state.clientHello;
    if (hello?.supportedVersions.includes('TLSv1.3')) return 'TLSv1.3';
    // A ClientHello without supported_versions offers its legacy version and those below (RFC 8446 4.2.1).
    if (hello && hello.supportedVersions.length === 0 && hello.legacyVersion.startsWith('TLSv')) return hello.legacyVersion;
    return recordVersion !== undefined ? nameOf(protocolVersionNames, recordVersion) : 'TLS';
  }

  private emitTls(t: number, dir: WireDirection, event: string, detail: Record<string, unknown>): void {
    this.emit({ t: roundMs(t), dir, layer: 'tls', event, detail });
  }

  private onRecord(dir: WireDirection, t: number, header: Buffer, fragment: Buffer): void {
    const side = this.side(dir);
    const outerType = header[0]!;
    const recordVersion = header.readUInt16BE(1);
    const tls13 = this.state.versionCode === 0x0304;

    if (outerType === ContentType.ChangeCipherSpec) {
      this.state.changeCipherSpec[dir] = true;
      this.emitTls(t, dir, 'change_cipher_spec', { version: this.versionLabel(recordVersion), length: fragment.length, compatibility: tls13, ...rawBytes(fragment) });
      if (!tls13) this.enterTls12Protection(dir, side);
      return;
    }

    const protectedRecord = tls13 ? outerType === ContentType.ApplicationData && side.epoch !== 'plaintext' : side.epoch !== 'plaintext';
    if (!protectedRecord) {
      this.onPlaintext(dir, t, outerType, fragment, false, recordVersion, fragment.length);
      return;
    }
    const opened = side.opener?.open(header, fragment) ?? null;
    if (opened === null) {
      this.state.undecrypted++;
      if (!tls13 && outerType === ContentType.Handshake) {
        // The first protected handshake message in TLS 1.2 is always Finished.
        this.recordHandshake(dir, t, HandshakeType.Finished, true);
        this.emitTls(t, dir, 'handshake', { type: HandshakeType.Finished, name: 'Finished', version: this.versionLabel(), encrypted: true, decrypted: false, length: fragment.length });
        return;
      }
      this.emitTls(t, dir, 'encrypted_record', {
        version: this.versionLabel(),
        contentType: nameOf(contentTypeNames, outerType, 2),
        length: fragment.length,
        reason: side.opener === null ? 'no key for this record in the key log' : 'record did not decrypt',
      });
      return;
    }
    this.onPlaintext(dir, t, opened.contentType, opened.plaintext, true, recordVersion, fragment.length);
  }

  private onPlaintext(dir: WireDirection, t: number, type: number, data: Buffer, encrypted: boolean, recordVersion: number, recordLength: number): void {
    switch (type) {
      case ContentType.Handshake:
        this.onHandshakeBytes(dir, t, data, encrypted, { version: nameOf(protocolVersionNames, recordVersion), length: recordLength });
        return;
      case ContentType.Alert:
        this.onAlert(dir, t, data, encrypted, recordVersion);
        return;
      case ContentType.ApplicationData:
        this.state.applicationData[dir] += data.length;
        this.emitTls(t, dir, 'application_data', { version: this.versionLabel(), length: data.length, encrypted });
        return;
      case ContentType.ChangeCipherSpec:
        this.emitTls(t, dir, 'change_cipher_spec', { version: this.versionLabel(recordVersion), length: data.length, encrypted, ...rawBytes(data) });
        return;
      default:
        this.emitTls(t, dir, 'record', { contentType: nameOf(contentTypeNames, type, 2), length: data.length, encrypted });
    }
  }

  private onAlert(dir: WireDirection, t: number, data: Buffer, encrypted: boolean, recordVersion: number): void {
    for (let i = 0; i + 1 < data.length; i += 2) {
      const level = alertLevelNames[data[i]!] ?? `level ${data[i]}`;
      const code = data[i + 1]!;
      const description = alertDescriptionNames[code] ?? `alert_${code}`;
      const detail: AlertDetail = { level, description, code, encrypted, version: this.versionLabel(recordVersion) };
      const meaning = alertMeanings[description];
      if (meaning !== undefined) detail.meaning = meaning;
      this.state.alerts.push({ ...detail, dir, t: roundMs(t) });
      this.emitTls(t, dir, 'alert', { ...detail, ...rawBytes(data.subarray(i, i + 2)) });
    }
    if (data.length % 2 === 1) this.emitTls(t, dir, 'decode_error', { message: `alert record of odd length ${data.length}` });
  }

  private onHandshakeBytes(dir: WireDirection, t: number, data: Buffer, encrypted: boolean, record: RecordInfo): void {
    const assembler = this.side(dir).handshake;
    assembler.push(t, data, encrypted);
    for (let message = assembler.next(t); message !== null; message = assembler.next(t)) {
      this.onHandshakeMessage(dir, t, message, encrypted, record);
    }
  }

  private recordHandshake(dir: WireDirection, t: number, type: number, encrypted: boolean): void {
    this.state.handshakes.push({ dir, t: roundMs(t), type, name: handshakeTypeNames[type] ?? `handshake ${type}`, encrypted });
  }

  /** `message` is the whole message, header included: the trace carries it as it was. */
  private onHandshakeMessage(dir: WireDirection, t: number, message: Buffer, encrypted: boolean, record: RecordInfo): void {
    const type = message[0]!;
    const body = message.subarray(4);
    let fields: ReturnType<typeof decodeHandshakeBody> | undefined;
    let error: string | undefined;
    try {
      fields = decodeHandshakeBody(type, body, this.handshakeContext);
    } catch (e) {
      if (!(e instanceof TlsDecodeError)) throw e;
      this.state.decodeErrors++;
      error = e.message;
    }
    const name = handshakeTypeNames[type] ?? `handshake ${type}`;
    this.recordHandshake(dir, t, type, encrypted);
    // Learn first: the ClientHello's offered versions and the ServerHello's choice label their own lines.
    if (fields !== undefined) this.learn(dir, type, fields);
    // `record` is the record that completed the message: its legacy version field and its length on the wire.
    const detail: Record<string, unknown> = { type, name, version: this.versionLabel(), length: body.length, encrypted, record, ...rawBytes(message) };
    if (fields !== undefined) {
      // Certificate DER stays in the session state; the trace carries the summaries.
      detail.fields = type === HandshakeType.Certificate ? { ...fields, der: undefined } : fields;
    }
    if (error !== undefined) detail.error = error;
    this.emitTls(t, dir, 'handshake', detail);
    if (fields !== undefined) this.afterMessage(dir, type, fields);
  }

  /** Updates the session state from a decoded message (before its trace event is emitted). */
  private learn(dir: WireDirection, type: number, fields: object): void {
    const s = this.state;
    switch (type) {
      case HandshakeType.ClientHello: {
        const ch = fields as ClientHelloFields;
        s.clientHello ??= ch;
        this.clientRandom ??= ch.random;
        this.latestClientRandom = ch.random;
        break;
      }
      case HandshakeType.ServerHello: {
        const sh = fields as ServerHelloFields;
        if (sh.helloRetryRequest) {
          // A HelloRetryRequest already fixes TLS 1.3: the ChangeCipherSpec after it is the compatibility
          // one, and the second ClientHello is still plaintext. Keys come with the real ServerHello.
          s.version = sh.version;
          s.versionCode = sh.versionCode;
          break;
        }
        s.serverHello = sh;
        s.version = sh.version;
        s.versionCode = sh.versionCode;
        s.cipherSuite = sh.cipherSuite;
        s.alpn = sh.alpn ?? s.alpn;
        this.cipherSuiteCode = sh.cipherSuiteCode;
        this.serverRandom = sh.random;
        this.handshakeContext = { version: sh.versionCode, keyExchange: keyExchangeOf(sh.cipherSuiteCode) };
        break;
      }
      case HandshakeType.EncryptedExtensions:
        s.alpn = (fields as EncryptedExtensionsFields).alpn ?? s.alpn;
        break;
      case HandshakeType.Certificate:
        if (dir === 'in') s.serverCertificate = fields as CertificateFields;
        else s.clientCertificate = fields as CertificateFields;
        break;
      case HandshakeType.CertificateRequest:
        if (dir === 'in') s.certificateRequest = fields as CertificateRequestFields;
        break;
    }
  }

  /** Key changes that take effect after a message (RFC 8446 section 7, RFC 5246 section 7.1). */
  private afterMessage(dir: WireDirection, type: number, fields: object): void {
    if (type === HandshakeType.ServerHello && this.state.versionCode === 0x0304 && !(fields as ServerHelloFields).helloRetryRequest) {
      this.out.epoch = 'handshake';
      this.in.epoch = 'handshake';
      this.out.opener = this.tls13Opener('CLIENT_HANDSHAKE_TRAFFIC_SECRET');
      this.in.opener = this.tls13Opener('SERVER_HANDSHAKE_TRAFFIC_SECRET');
      return;
    }
    const side = this.side(dir);
    if (this.state.versionCode === 0x0304 && type === HandshakeType.Finished && side.epoch === 'handshake') {
      side.epoch = 'application';
      side.opener = this.tls13Opener(dir === 'out' ? 'CLIENT_TRAFFIC_SECRET_0' : 'SERVER_TRAFFIC_SECRET_0');
      return;
    }
    if (type === HandshakeType.KeyUpdate && side.opener instanceof Tls13RecordOpener) side.opener.update();
  }

  private tls13Opener(label: string): RecordOpener | null {
    const suite = this.cipherSuiteCode === null ? undefined : tls13Suites[this.cipherSuiteCode];
    if (suite === undefined || this.clientRandom === null) return null;
    const secret = this.keyLog.get(label, this.clientRandom);
    return secret === undefined ? null : new Tls13RecordOpener(suite, secret);
  }

  private enterTls12Protection(dir: WireDirection, side: DirectionState): void {
    side.epoch = 'application';
    // Each handshake's ChangeCipherSpec moves to its own key block: after a renegotiation, the new randoms' one.
    const random = this.latestClientRandom;
    if (random !== null && this.tls12Openers?.random !== random) {
      const master = this.keyLog.get('CLIENT_RANDOM', random);
      this.tls12Openers = {
        random,
        openers:
          master === undefined || this.cipherSuiteCode === null || this.serverRandom === null
            ? null
            : Tls12AeadRecordOpener.fromMasterSecret(this.cipherSuiteCode, master, Buffer.from(random, 'hex'), Buffer.from(this.serverRandom, 'hex')),
      };
    }
    const openers = this.tls12Openers?.openers ?? null;
    side.opener = openers === null ? null : dir === 'out' ? openers.client : openers.server;
  }
}
