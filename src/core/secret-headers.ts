// Header values that are credentials (Authorization, Cookie, X-Api-Key…) never leave in what the product writes
// or shows: the timeline model (the panel and the HTML report), the run JSON an export or `--json` writes. Each is
// replaced by its length, so a reader still sees that it was sent. (The OTLP export carries header names only.)

/** Headers whose values are credentials: shown as "[redacted, 27 bytes]". */
const secretHeaders = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-amz-security-token']);

export function isSecretHeader(name: string): boolean {
  return secretHeaders.has(name.trim().toLowerCase());
}

function redacted(value: unknown): string {
  const text = Array.isArray(value) ? value.join(', ') : String(value ?? '');
  return `[redacted, ${Buffer.byteLength(text)} bytes]`;
}

/**
 * A copy with secret header values replaced, whatever the shape: `{name: value}` (the probe's own headers,
 * ModSecurity), `[{name, value}]` (AWS WAF logs), `[{Name, Value}]` (WAF sampled requests).
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const record = value as Record<string, unknown>;
  const headerName = record.name ?? record.Name;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    if (typeof headerName === 'string' && isSecretHeader(headerName) && (key === 'value' || key === 'Value')) out[key] = redacted(v);
    else if (isSecretHeader(key) && (typeof v === 'string' || Array.isArray(v))) out[key] = redacted(v);
    else out[key] = redactSecrets(v, depth + 1);
  }
  return out;
}

