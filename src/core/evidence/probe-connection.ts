// Which connection-log record is the probe's own connection: ALB's (`alb-connection-log`) or CloudFront's
// (`cloudfront-connection-log`). Both log one record per TLS connection with the client's address, port and
// certificate serial, under different names; the rule is the same for both (see probeConnectionRecord).

import { sameSerial } from '../certs/serial-number';
import { recordField as field, recordText as text } from './logs/log-fields';
import { clockSkewMs } from './logs/log-record-collector';
import type { CorrelationKeys, EvidenceEvent } from './types';

/** The evidence kinds that are one record per TLS connection. */
export type ConnectionLogKind = 'alb-connection-log' | 'cloudfront-connection-log';

/** Where each connection log keeps the client's address, port and certificate serial. */
export const connectionLogFields: Record<ConnectionLogKind, { ip: string; port: string; serial: string; status: string }> = {
  'alb-connection-log': { ip: 'client_ip', port: 'client_port', serial: 'leaf_client_cert_serial_number', status: 'tls_verify_status' },
  'cloudfront-connection-log': { ip: 'clientIp', port: 'clientPort', serial: 'clientLeafCertSerialNumber', status: 'connectionStatus' },
};

/** The probe's own connection-log record, and how it was told apart from the others. */
export type ProbeConnection =
  | { found: 'address' | 'time'; event: EvidenceEvent }
  /** Several connections with the probe's certificate (or none) at its moment, none identified by address. */
  | { found: 'ambiguous'; count: number }
  | { found: 'none' };

function portOf(record: Record<string, unknown>, name: string): number | null {
  const value = text(field(record, name));
  const port = value === null ? NaN : Number(value);
  return Number.isFinite(port) ? port : null;
}

/** The client address the connection record shows, `ip:port`. */
export function connectionAddress(event: EvidenceEvent): string {
  const names = connectionLogFields[event.kind as ConnectionLogKind] ?? connectionLogFields['alb-connection-log'];
  return `${text(field(event.record, names.ip)) ?? '?'}:${text(field(event.record, names.port)) ?? '?'}`;
}

function certificateAgrees(record: Record<string, unknown>, serialField: string, keys: CorrelationKeys): boolean {
  const serial = text(field(record, serialField));
  return serial === null ? keys.clientCertSerial === undefined : keys.clientCertSerial !== undefined && sameSerial(serial, keys.clientCertSerial);
}

/**
 * Which connection-log record is the probe's: the one with its address and port (or a conn_trace_id given as a
 * key); behind NAT, where the front sees another address, the only connection with the probe's certificate (or,
 * like the probe, none) while the probe's connection was open, give or take clock skew.
 */
export function probeConnectionRecord(events: readonly EvidenceEvent[], keys: CorrelationKeys, kind: ConnectionLogKind = 'alb-connection-log'): ProbeConnection {
  const names = connectionLogFields[kind];
  const connections = events.filter((e) => e.kind === kind && certificateAgrees(e.record, names.serial, keys));
  const byAddress = connections.find((e) => {
    const ip = text(field(e.record, names.ip));
    const port = portOf(e.record, names.port);
    const connTraceId = text(field(e.record, 'conn_trace_id'));
    const matched = e.matchedBy.some((m) => m.key === 'clientPort' || m.key === 'connTraceId');
    return matched || (ip === keys.clientIp && port !== null && port === keys.clientPort) || (connTraceId !== null && connTraceId === keys.connTraceId);
  });
  if (byAddress !== undefined) return { found: 'address', event: byAddress };
  if (keys.probeTime === undefined) return { found: 'none' };
  const from = Date.parse(keys.probeTime.from) - clockSkewMs;
  const to = Date.parse(keys.probeTime.to) + clockSkewMs;
  const atProbeTime = connections.filter((e) => {
    const t = Date.parse(e.time);
    // Another port from the probe's own address is another connection of this machine, not a NAT view of the probe.
    const sameHostOtherPort = keys.clientIp !== undefined && text(field(e.record, names.ip)) === keys.clientIp;
    return t >= from && t <= to && !sameHostOtherPort;
  });
  if (atProbeTime.length === 1) return { found: 'time', event: atProbeTime[0]! };
  return atProbeTime.length > 1 ? { found: 'ambiguous', count: atProbeTime.length } : { found: 'none' };
}
