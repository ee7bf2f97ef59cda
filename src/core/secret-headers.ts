// Header values that are credentials (Authorization, Cookie, X-Api-Key… and the headers a config or a flag marks
// secret) never leave in what the product writes or shows: the text trace (terminal, output channel, JUnit), the
// run JSON (`--json`, exports, saved runs), the timeline model (the panel and the HTML report), the lab's WAF log.
// Each is replaced by its length — "[redacted, 27 bytes]" — so a reader still sees that it was sent. A value the
// request sent is also taken out of any other text of the run (a target that echoes the request, an error that
// quotes it). (The OTLP export carries header names only.) This is the one home of the list.

import type { ProbeResult } from './probe/types';

/** Headers whose values are credentials, always: shown as "[redacted, 27 bytes]". */
export const defaultSecretHeaders: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-amz-security-token'];

const defaultSet: ReadonlySet<string> = new Set(defaultSecretHeaders);

/** An HTTP header name (RFC 9110 token): what a config's "secretHeaders" and `--secret-header` take. */
export const headerNamePattern = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const headerName = new RegExp(headerNamePattern);

export function isHeaderName(name: string): boolean {
  return headerName.test(name);
}

/** Names compared case-insensitively. */
function normalized(name: string): string {
  return name.trim().toLowerCase();
}

/** The extra names, lower-cased, without the defaults or repeats (what a run carries). */
export function extraSecretHeaders(...lists: Array<readonly string[] | undefined>): string[] {
  const out = new Set<string>();
  for (const list of lists) for (const name of list ?? []) if (!defaultSet.has(normalized(name)) && normalized(name) !== '') out.add(normalized(name));
  return [...out];
}

function secretSet(extra: readonly string[] | undefined): ReadonlySet<string> {
  return extra === undefined || extra.length === 0 ? defaultSet : new Set([...defaultSecretHeaders, ...extra.map(normalized)]);
}

/** A credential header: one of the defaults, or one of `extra` (names a config or a flag marks secret). */
export function isSecretHeader(name: string, extra?: readonly string[]): boolean {
  const lower = normalized(name);
  return defaultSet.has(lower) || (extra !== undefined && extra.some((n) => normalized(n) === lower));
}

const alreadyRedacted = /^\[redacted, \d+ bytes\]$/;

/**
 * "[redacted, 27 bytes]": the value's UTF-8 length (values of a header sent several times joined with ", "). A value
 * redacted already (a saved run read back) keeps its length.
 */
export function redactedText(value: unknown): string {
  const text = Array.isArray(value) ? value.join(', ') : String(value ?? '');
  return alreadyRedacted.test(text) ? text : `[redacted, ${Buffer.byteLength(text)} bytes]`;
}

/** Shorter values are not looked for in other text: "1" would take every digit out of a trace. */
const shortestScrubbed = 6;

/**
 * The pieces of a secret value another text may quote: the value, the credentials after an Authorization scheme
 * ("Bearer x" → "x"), each cookie's value ("s=x; t=y" → "x", "y").
 */
function valuePieces(value: string): string[] {
  const pieces = [value];
  const scheme = /^[A-Za-z][\w.+-]*\s+(\S.*)$/.exec(value);
  if (scheme) pieces.push(scheme[1]!);
  for (const pair of value.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) pieces.push(pair.slice(eq + 1).trim());
  }
  return pieces.map((p) => p.trim()).filter((p) => p.length >= shortestScrubbed);
}

/** What a redaction takes out: header names (the defaults and extras) and, in any text, the values those headers sent. */
export interface SecretRedaction {
  readonly names: ReadonlySet<string>;
  /** Longest first, so a value is replaced before a piece of it. */
  readonly values: readonly string[];
}

/**
 * The redaction for these extra names and these header sets (the request headers a probe sent: their secret values
 * are looked for in any text). `headerSets` may be any `{name: value}` objects; others are skipped.
 */
export function secretRedaction(extra?: readonly string[], headerSets: readonly unknown[] = []): SecretRedaction {
  const names = secretSet(extra);
  const values = new Set<string>();
  for (const headers of headerSets) {
    if (headers === null || typeof headers !== 'object') continue;
    for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
      if (!names.has(normalized(name))) continue;
      for (const one of Array.isArray(value) ? value : [value]) {
        // A saved run's values are redacted already.
        if (typeof one === 'string' && !alreadyRedacted.test(one)) for (const piece of valuePieces(one)) values.add(piece);
      }
    }
  }
  return { names, values: [...values].sort((a, b) => b.length - a.length) };
}

/** The redaction of a probe result: these extra names, and the secret values its requests (the retry's too) sent. */
export function resultRedaction(result: ProbeResult, extra?: readonly string[]): SecretRedaction {
  const headerSets: unknown[] = [];
  for (let attempt: ProbeResult | undefined = result; attempt !== undefined; attempt = attempt.fallback?.result) {
    for (const event of attempt.trace) if (event.layer === 'http' && event.event === 'request') headerSets.push(event.detail?.headers);
  }
  return secretRedaction(extra, headerSets);
}

/** The text with each secret value the redaction knows replaced by its length. */
export function scrubText(text: string, redaction: SecretRedaction): string {
  let out = text;
  for (const value of redaction.values) if (out.includes(value)) out = out.split(value).join(redactedText(value));
  return out;
}

/**
 * A copy with secret header values replaced, whatever the shape: `{name: value}` (the probe's own headers,
 * ModSecurity), `[{name, value}]` (AWS WAF logs), `[{Name, Value}]` (WAF sampled requests); and, when the redaction
 * knows the values a probe sent, those values taken out of every string. `extra`: names a config or a flag marks
 * secret, or a redaction made with secretRedaction.
 */
export function redactSecrets(value: unknown, extra?: readonly string[] | SecretRedaction): unknown {
  const redaction = extra !== undefined && !Array.isArray(extra) ? (extra as SecretRedaction) : { names: secretSet(extra as readonly string[] | undefined), values: [] };
  return redactWith(value, redaction, 0);
}

/**
 * `value` itself when it holds nothing to redact — most of a run (the TLS trace) holds none, and an export or a matrix
 * row should not copy it all — else a copy with the secrets replaced.
 */
function redactWith(value: unknown, redaction: SecretRedaction, depth: number): unknown {
  if (typeof value === 'string') return redaction.values.length > 0 ? scrubText(value, redaction) : value;
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const redacted = redactWith(item, redaction, depth + 1);
      if (redacted !== item) (out ??= value.slice())[i] = redacted;
    }
    return out ?? value;
  }
  const record = value as Record<string, unknown>;
  const headerName = record.name ?? record.Name;
  const secret = (name: string): boolean => redaction.names.has(normalized(name));
  const secretValue = typeof headerName === 'string' && secret(headerName);
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const v = record[key];
    let redacted: unknown;
    if (secretValue && (key === 'value' || key === 'Value')) redacted = redactedText(v);
    else if ((typeof v === 'string' || Array.isArray(v)) && secret(key)) redacted = redactedText(v);
    else redacted = redactWith(v, redaction, depth + 1);
    if (redacted !== v) (out ??= { ...record })[key] = redacted;
  }
  return out ?? record;
}

/**
 * The environment variable a reproduce command reads a secret header's value from: MTLS_PROBE_HEADER_<NAME>, the
 * name upper-cased and every character other than A-Z and 0-9 turned into _ ("X-Api-Key" → MTLS_PROBE_HEADER_X_API_KEY).
 */
export function secretHeaderVariable(name: string): string {
  return `MTLS_PROBE_HEADER_${name.trim().toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
