// What a CloudFront connection-log record says about the probe, in the verdict's words. CloudFront checks the
// client certificate at the edge during the TLS handshake (viewer mTLS), then runs the distribution's connection
// function if it has one; its connection log records `connectionStatus` `Success` or `Failed:<code>`. The codes
// are documented (connection-logs.html); what a rejected client receives (a TLS alert or a TCP reset) is not, so
// the verdict says what the probe observed rather than what CloudFront is supposed to send.

import type { Layer, ProbeResult, Verdict } from '../probe/types';
import { cloudFrontFailureCode } from './logs/cloudfront-connection-log';
import { recordField as field, recordText as text } from './logs/log-fields';
import { connectionAddress } from './probe-connection';
import type { EvidenceEvent } from './types';

interface FailureCode {
  /** The verdict's reason code. */
  reason: string;
  /** What the code means, after "i.e.". */
  meaning: string;
  /** Where the connection stopped; absent: where the probe saw it stop. */
  layer?: Layer;
}

const certificate = (reason: string, meaning: string): FailureCode => ({ reason: `cloudfront_${reason}`, meaning, layer: 'mtls' });

/** Every documented `Failed:` code (meanings of the names the guide does not explain are read from the names). */
export const cloudFrontFailureCodes: Record<string, FailureCode> = {
  ClientCertMaxChainDepthExceeded: certificate('client_cert_max_chain_depth_exceeded', 'the certificate chain is deeper than CloudFront accepts'),
  ClientCertMaxSizeExceeded: certificate('client_cert_max_size_exceeded', 'the certificate chain is larger than CloudFront accepts'),
  ClientCertUntrusted: certificate('client_cert_untrusted', 'the certificate does not chain to a CA in the trust store'),
  ClientCertNotYetValid: certificate('client_cert_not_yet_valid', 'the certificate is not valid yet'),
  ClientCertExpired: certificate('client_cert_expired', 'the certificate has expired'),
  ClientCertTypeUnsupported: certificate('client_cert_type_unsupported', "the certificate's key or signature type is not supported"),
  ClientCertInvalid: certificate('client_cert_invalid', 'the certificate could not be parsed or is malformed'),
  ClientCertIntentInvalid: certificate('client_cert_intent_invalid', 'the certificate is not meant for client authentication (its key usage or extended key usage)'),
  ClientCertRejected: certificate('client_cert_rejected', 'CloudFront rejected the certificate (the guide gives no finer reason)'),
  ClientCertMissing: certificate('client_cert_missing', 'no client certificate was sent and the distribution requires one'),
  ConnectionFunctionDenied: { reason: 'connection_function_denied', meaning: "the distribution's connection function called connection.deny()", layer: 'mtls' },
  ConnectionFunctionError: certificate('connection_function_error', "the distribution's connection function failed (connections it cannot decide are denied)"),
  TcpError: { reason: 'cloudfront_tcp_error', meaning: 'the TCP connection to the edge failed', layer: 'tcp' },
  TcpTimeout: { reason: 'cloudfront_tcp_timeout', meaning: 'the TCP connection to the edge timed out', layer: 'tcp' },
  Internal: { reason: 'cloudfront_internal', meaning: 'CloudFront had an internal error' },
  UnmappedConnectionError: { reason: 'cloudfront_unmapped_connection_error', meaning: 'a connection error CloudFront does not name' },
};

/** A code CloudFront may add later: its name, snake-cased after `cloudfront_`. */
function failureCode(code: string): FailureCode {
  return cloudFrontFailureCodes[code] ?? { reason: `cloudfront_${code.replace(/(?<=[a-z0-9])(?=[A-Z])/g, '_').toLowerCase()}`, meaning: `CloudFront reports ${code}` };
}

/** The verdict's reason code for a `Failed:<code>` (e.g. `cloudfront_client_cert_untrusted`). */
export function cloudFrontReason(code: string): string {
  return failureCode(code).reason;
}

type CloudFrontFinding = { says: 'certificate-rejected'; event: EvidenceEvent; status: string; code: string } | { says: 'certificate-accepted'; event: EvidenceEvent };

/** Success: the handshake passed at the edge; Failed:<code>: CloudFront ended the connection, for that reason. */
export function cloudFrontFinding(event: EvidenceEvent): CloudFrontFinding | null {
  const status = text(field(event.record, 'connectionStatus'));
  if (status === 'Success') return { says: 'certificate-accepted', event };
  const code = cloudFrontFailureCode(status);
  return status !== null && code !== null ? { says: 'certificate-rejected', event, status, code } : null;
}

export function cloudFrontWhereFrom(event: EvidenceEvent): string {
  return `CloudFront's connection log says connectionStatus=${text(field(event.record, 'connectionStatus'))} for ${connectionAddress(event)}`;
}

/** How the probe's connection ended, as its trace shows: the words CloudFront's documentation leaves out. */
export function observedEnd(result: ProbeResult): string {
  const incoming = result.trace.filter((e) => e.dir === 'in');
  const alert = incoming.find((e) => e.layer === 'tls' && e.event === 'alert');
  if (alert !== undefined) return `a TLS ${String(alert.detail?.description ?? 'alert')} alert`;
  const end = incoming.find((e) => e.layer === 'tcp' && (e.event === 'reset' || e.event === 'fin'));
  if (end !== undefined) return end.event === 'reset' ? 'a TCP reset (RST)' : 'the connection closed (FIN)';
  return `the connection end it recorded (${result.verdict.reason})`;
}

/**
 * The verdict when CloudFront's connection log says it ended the probe's connection: CloudFront's reason, its
 * meaning, and what the probe itself observed (alert, reset or close: CloudFront does not document which).
 */
export function cloudFrontRejected(result: ProbeResult, event: EvidenceEvent, code: string, neverReachedWaf: boolean): Pick<Verdict, 'stoppedAt' | 'reason' | 'summary'> {
  const failure = failureCode(code);
  const connectionId = text(field(event.record, 'connectionId'));
  const custom = text(field(event.record, 'connectionLogCustomData'));
  const record = `${cloudFrontWhereFrom(event)}${connectionId !== null ? ` (connectionId ${connectionId})` : ''}`;
  const what =
    code === 'ConnectionFunctionDenied'
      ? "CloudFront's connection function denied the connection during the TLS handshake"
      : failure.layer === 'mtls'
        ? 'CloudFront rejected the client certificate at the edge during the TLS handshake'
        : 'CloudFront ended the connection at the edge';
  return {
    stoppedAt: failure.layer ?? result.verdict.stoppedAt ?? 'tls',
    reason: failure.reason,
    summary:
      `${what}: ${record}, i.e. ${failure.meaning}.${custom !== null ? ` The connection function logged: ${custom}.` : ''}` +
      ` The probe saw ${observedEnd(result)} (CloudFront does not document whether a refused client gets an alert or a reset).` +
      (neverReachedWaf ? ' The request never reached the WAF.' : ''),
  };
}
