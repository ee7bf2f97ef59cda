// Shared pieces of the log formats. JSON logs (AWS WAF, ModSecurity): one object per line, checked by the
// format's own validator. Space-separated ALB logs: fields split on single spaces, a field that starts
// with a double quote runs to the closing quote (spaces inside kept, \" and \\ unescaped), `-` means absent.

/** The fields of a line, or null when a quoted field is never closed (a truncated line). */
export function splitLogFields(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    if (c === 0x22) {
      // The runs between escapes are sliced and joined once: appending a character at a time builds a rope that
      // costs super-linear time on a long field of escapes.
      const parts: string[] = [];
      let j = i + 1;
      let run = j;
      let closed = false;
      while (j < n) {
        const d = line.charCodeAt(j);
        if (d === 0x5c && j + 1 < n) {
          parts.push(line.slice(run, j), line[j + 1]!);
          j += 2;
          run = j;
        } else if (d === 0x22) {
          parts.push(line.slice(run, j));
          closed = true;
          j++;
          break;
        } else {
          j++;
        }
      }
      if (!closed) return null;
      fields.push(parts.join(''));
      i = j;
    } else {
      let j = i;
      while (j < n && line.charCodeAt(j) !== 0x20 && line.charCodeAt(j) !== 0x09) j++;
      fields.push(line.slice(i, j));
      i = j;
    }
  }
  return fields;
}

/** `-` (and the empty string) as null. */
export function present(value: string | undefined): string | null {
  return value === undefined || value === '-' || value === '' ? null : value;
}

/** A number, null for `-`; undefined when the field is there but not a number (the caller rejects the line). */
export function numberField(value: string | undefined): number | null | undefined {
  const v = present(value);
  if (v === null) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** An ISO 8601 UTC timestamp as ALB writes it, or null. */
export function isoTime(value: string | undefined): string | null {
  if (value === undefined || !isoTimestamp.test(value)) return null;
  return Number.isNaN(Date.parse(value)) ? null : value;
}

/** Splits `ip:port` (IPv4, or IPv6 with or without brackets: the port is after the last colon). */
export function splitAddress(value: string | undefined): { ip: string; port: number } | null {
  const v = present(value);
  if (v === null) return null;
  const colon = v.lastIndexOf(':');
  if (colon <= 0) return null;
  const port = Number(v.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  let ip = v.slice(0, colon);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  return looksLikeIp(ip) ? { ip, port } : null;
}

export function looksLikeIp(value: string): boolean {
  return /^(?:\d{1,3}\.){3}\d{1,3}$/.test(value) || (value.includes(':') && /^[0-9a-fA-F:.]+$/.test(value));
}

/** The Root part of an X-Amzn-Trace-Id value (`1-5759e988-bd862e3fe1be46a994272793`), or the value itself when it has none. */
export function traceRoot(value: string): string {
  const root = /(?:^|;)\s*Root=([^;\s]+)/.exec(value);
  return (root?.[1] ?? value).trim();
}

/** A certificate serial as serials are compared (certs/serial-number.ts, the one place they are normalised). */
export { serialMatchKey as normaliseSerial } from '../../certs/serial-number';

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One JSON object per line, handed to the format's validator; null for anything that is not one. */
export function parseJsonLogLine<T>(line: string, recordFrom: (value: unknown) => T | null): T | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  try {
    return recordFrom(JSON.parse(text));
  } catch {
    return null;
  }
}

/** A field of a parsed record by its documented name: flat (`httpRequest.requestId` as one key) or nested. */
export function recordField(record: Record<string, unknown>, path: string): unknown {
  if (path in record) return record[path];
  let value: unknown = record;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A record value as text: quotes stripped, `-` and empty as null (log formats write `-` for absent). */
export function recordText(value: unknown): string | null {
  if (typeof value === 'string') {
    const v = value.trim().replace(/^"(.*)"$/, '$1');
    return v === '' || v === '-' ? null : v;
  }
  return typeof value === 'number' ? String(value) : null;
}
