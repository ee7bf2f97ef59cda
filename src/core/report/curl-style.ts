import type { CertificateSummary } from '../certs/certificate-summary';
import type { ProbeResult } from '../probe/types';
import type { TraceEvent } from '../trace';
import { redactedText, resultRedaction, scrubText, type SecretRedaction } from '../secret-headers';

// Renders a probe result the way `curl -v` prints a transfer (one line per handshake message, with
// direction and TLS version), then what curl cannot show: the CA names the server asked for, whether a
// client certificate was sent, what an alert means, where a reset happened, and the verdict. Secret header values
// (Authorization, Cookie… and the names the run marks secret) are printed as "[redacted, 27 bytes]", and the values
// the request sent are taken out of every other line (a target that echoes them), unless a person at a terminal
// asked to see them (`probe --show-secret-headers`).

function ms(t: number): string {
  return t.toFixed(3).padStart(9);
}

function fields(ev: TraceEvent): Record<string, unknown> {
  return ((ev.detail?.fields as Record<string, unknown> | undefined) ?? {}) as Record<string, unknown>;
}

function certLine(c: CertificateSummary, i: number): string {
  return `level ${i}: ${c.subject} (issuer ${c.issuer}; ${c.publicKey}; valid ${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)}; serial ${c.serialNumber})`;
}

function list(values: unknown, max = 8): string {
  const arr = Array.isArray(values) ? (values as unknown[]).map(String) : [];
  if (arr.length <= max) return arr.join(', ');
  return `${arr.slice(0, max).join(', ')} … (+${arr.length - max})`;
}

function handshakeLines(ev: TraceEvent): string[] {
  const d = ev.detail ?? {};
  const f = fields(ev);
  const dir = ev.dir === 'out' ? 'OUT' : 'IN';
  const head = `${d.version ?? 'TLS'} (${dir}), TLS handshake, ${d.name} (${d.type})${d.encrypted ? ' [decrypted]' : ''}:`;
  const more: string[] = [];
  switch (d.type) {
    case 1:
      more.push(`SNI ${f.serverName ?? '(none)'}; versions ${list(f.supportedVersions) || String(f.legacyVersion)}; ALPN ${list(f.alpn) || '(none)'}`);
      more.push(`${(f.cipherSuites as unknown[] | undefined)?.length ?? 0} cipher suites: ${list(f.cipherSuites, 6)}`);
      more.push(`signature algorithms: ${list(f.signatureAlgorithms, 6)}; key shares: ${list(f.keyShareGroups)}`);
      break;
    case 2:
      more.push(`${f.helloRetryRequest ? 'HelloRetryRequest: ' : ''}${f.version}, ${f.cipherSuite}${f.keyShareGroup ? `, ${f.keyShareGroup}` : ''}${f.alpn ? `, ALPN ${f.alpn}` : ''}`);
      break;
    case 8:
      if (f.alpn) more.push(`ALPN: server accepted ${f.alpn}`);
      break;
    case 11: {
      const certs = (f.certificates as CertificateSummary[] | undefined) ?? [];
      if (f.empty) more.push(ev.dir === 'out' ? 'empty: no client certificate sent' : 'empty');
      else certs.forEach((c, i) => more.push(certLine(c, i)));
      break;
    }
    case 12:
      more.push(`${f.kind}${f.namedGroup ? ` ${f.namedGroup}` : ''}${f.dhPrimeBits ? ` ${f.dhPrimeBits}-bit prime` : ''}, signed with ${f.signatureAlgorithm ?? '?'}`);
      break;
    case 13: {
      const authorities = (f.authorities as string[] | undefined) ?? [];
      if (f.certificateTypes) more.push(`certificate types: ${list(f.certificateTypes)}`);
      more.push(`signature algorithms: ${list(f.signatureAlgorithms, 6)}`);
      if (authorities.length === 0) more.push('acceptable CA names: none advertised (any CA the server trusts)');
      else {
        more.push(`acceptable CA names (${authorities.length}):`);
        for (const a of authorities) more.push(`  ${a}`);
      }
      break;
    }
    case 15:
      more.push(`signed with ${f.signatureAlgorithm}`);
      break;
    case 4:
      more.push(`lifetime ${f.lifetimeSeconds} s, ticket ${f.ticketLength} bytes`);
      break;
  }
  if (d.error) more.push(`could not decode: ${d.error}`);
  return [head, ...more.map((m) => `    ${m}`)];
}

/** A header value as printed: redacted when the header is secret (and redaction is on). */
function headerValue(name: string, value: string, redaction: SecretRedaction | null): string {
  return redaction !== null && redaction.names.has(name.trim().toLowerCase()) ? redactedText(value) : value;
}

function eventLines(ev: TraceEvent, redaction: SecretRedaction | null): string[] {
  const d = ev.detail ?? {};
  if (ev.layer === 'tls') {
    switch (ev.event) {
      case 'handshake':
        return handshakeLines(ev);
      case 'change_cipher_spec':
        return [`${d.version} (${ev.dir === 'out' ? 'OUT' : 'IN'}), TLS change cipher, Change cipher spec (1)${d.compatibility ? ' [middlebox compatibility]' : ''}`];
      case 'alert':
        return [
          `${d.version} (${ev.dir === 'out' ? 'OUT' : 'IN'}), TLS alert, ${String(d.description).replace(/_/g, ' ')} (${d.code}): ${d.level}${d.encrypted ? ' [decrypted]' : ''}`,
          ...(d.meaning ? [`    ${d.meaning}`] : []),
        ];
      case 'application_data':
        return [`${d.version} (${ev.dir === 'out' ? 'OUT' : 'IN'}), TLS application data, ${d.length} bytes`];
      case 'encrypted_record':
        return [`${d.version} (${ev.dir === 'out' ? 'OUT' : 'IN'}), TLS encrypted ${d.contentType}, ${d.length} bytes (${d.reason})`];
      case 'not_tls':
        return [`(${ev.dir === 'out' ? 'OUT' : 'IN'}) not TLS: ${d.bytes} bytes "${d.preview}"`];
      case 'renegotiation':
        return [`TLS renegotiation started by the server${d.after ? ` after the request for ${d.after}` : ''} (Hello request)${d.askedForCertificate ? ': its handshake asks for a client certificate' : ''}`];
      case 'established':
        return [`SSL connection using ${d.version} / ${d.cipher}`, `ALPN: ${d.alpn ? `server accepted ${d.alpn}` : 'server did not agree on a protocol'}`, `server certificate ${d.serverCertificateVerified ? 'verify ok' : 'NOT verified (-k)'}`];
      case 'error':
        return [`TLS error: ${d.message} (${d.code})`];
      default:
        return [`TLS ${ev.event} ${JSON.stringify(d)}`];
    }
  }
  if (ev.layer === 'tcp') {
    switch (ev.event) {
      case 'dns_lookup':
        return [];
      case 'dns_resolved':
        return [`Host ${d.host} was resolved: ${list(d.addresses)}`];
      case 'connecting':
        return [`  Trying ${d.address}:${d.port}...`];
      case 'connected':
        return [`Connected to ${d.address} port ${d.port} (local ${d.localAddress}:${d.localPort})`];
      case 'reset':
        return [`Recv failure: Connection reset by peer (TCP RST) ${d.phase}`];
      case 'fin':
        return [`Connection closed by peer (TCP FIN) ${d.phase}`];
      case 'timeout':
        return [`Timeout: ${d.message}${d.during ? `, ${d.during}` : ''}`];
      case 'error':
        return [`${d.message} (${d.code})`];
      default:
        return [`TCP ${ev.event}`];
    }
  }
  switch (ev.event) {
    case 'request': {
      const headers = (d.headers as Record<string, string>) ?? {};
      return [`> ${d.method} ${d.path} ${d.httpVersion}`, ...Object.entries(headers).map(([k, v]) => `> ${k}: ${headerValue(k, String(v), redaction)}`), '>'];
    }
    case 'response': {
      const headers = (d.headers as Record<string, string | string[]>) ?? {};
      const lines = [`< ${d.status}`];
      for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`< ${k}: ${headerValue(k, String(one), redaction)}`);
      return [...lines, '<'];
    }
    case 'body':
      return [`  body: ${d.bytes} bytes${d.preview ? `: ${JSON.stringify(d.preview)}` : ''}`];
    case 'error':
      return [`HTTP error: ${d.message} (${d.code})`];
    default:
      return [`HTTP ${ev.event}`];
  }
}

export interface CurlStyleOptions {
  /** Prefix every line with the time since the probe started. */
  timestamps?: boolean;
  /** Header names to redact beyond the defaults (a config's "secretHeaders", `--secret-header`; a run's secretHeaders). */
  secretHeaders?: readonly string[];
  /**
   * Print secret header values as sent. Only for a person at a terminal who asked (`probe --show-secret-headers`):
   * never for a file, a log or an output channel.
   */
  showSecretHeaders?: boolean;
}

/** What the text takes out (null: nothing, when a person at a terminal asked to see the values). */
export function textRedaction(result: ProbeResult, options: CurlStyleOptions = {}): SecretRedaction | null {
  return options.showSecretHeaders === true ? null : resultRedaction(result, options.secretHeaders);
}

/** Lines with every secret value the redaction knows taken out. */
export function redactLines(lines: string[], redaction: SecretRedaction | null): string[] {
  return redaction === null || redaction.values.length === 0 ? lines : lines.map((line) => scrubText(line, redaction));
}

export function formatTrace(result: ProbeResult, options: CurlStyleOptions = {}, redaction = textRedaction(result, options)): string[] {
  const lines: string[] = [];
  for (const ev of result.trace) {
    const prefix = ev.layer === 'http' && (ev.event === 'request' || ev.event === 'response') ? '' : '* ';
    for (const line of eventLines(ev, redaction)) {
      const stamp = options.timestamps === false ? '' : `[${ms(ev.t)} ms] `;
      lines.push(line.startsWith('>') || line.startsWith('<') ? `${stamp}${line}` : `${stamp}${prefix}${line}`);
    }
  }
  return redactLines(lines, redaction);
}

// Each phase's own duration, not the time since the start: the request is sent after the handshake, so
// "first byte" counts from the request, and the phases add up to about the total.
function timingsLine(t: ProbeResult['timings']): string {
  const f = (v: number | null): string => (v === null ? '—' : `${v.toFixed(1)} ms`);
  return `Timings (each phase's own duration): DNS ${f(t.dns)} · TCP connect ${f(t.tcp)} · TLS handshake ${f(t.tls)} · request to first byte ${f(t.firstByte)} · total ${f(t.total)}`;
}

function outcomeWords(result: ProbeResult): string {
  const v = result.verdict;
  if (v.stoppedAt !== null) return `stopped at ${v.stoppedAt}`;
  if (result.http !== null) return 'passed (the application answered)';
  if (v.reason === 'handshake_completed') return 'passed the TLS handshake (no request was sent)';
  return 'no clear outcome';
}

export function formatSummary(result: ProbeResult, options: CurlStyleOptions = {}, redaction = textRedaction(result, options)): string[] {
  return redactLines(summaryLines(result), redaction);
}

function summaryLines(result: ProbeResult): string[] {
  const lines: string[] = [''];
  const tls = result.tls;
  if (result.identity) lines.push(`Client identity: ${result.identity.label} — ${result.identity.subject} (issuer ${result.identity.issuer}, serial ${result.identity.serialNumber}, valid until ${result.identity.notAfter.slice(0, 10)})`);
  else lines.push('Client identity: none (probing without a client certificate)');
  if (tls.certificateRequest) {
    const n = tls.certificateRequest.authorities.length;
    const when = tls.renegotiation?.askedForCertificate ? ` when it renegotiated${tls.renegotiation.after ? ` after the request for ${tls.renegotiation.after}` : ''} (not in the first handshake)` : '';
    lines.push(`The server asked for a client certificate${when}${n > 0 ? `, from one of ${n} CA name(s): ${tls.certificateRequest.authorities.join(' | ')}` : ' (no CA names advertised)'}.`);
    lines.push(tls.clientCertificateSent ? 'A client certificate was sent.' : result.identity ? 'No client certificate was sent, although one was configured.' : 'No client certificate was sent.');
  } else if (tls.version) {
    lines.push('The server did not ask for a client certificate.');
  }
  lines.push(timingsLine(result.timings));
  lines.push(`Correlation id: X-Amzn-Trace-Id: ${result.correlationId}`);
  if (result.client.port !== null) lines.push(`Client address: ${result.client.address}:${result.client.port}`);
  const v = result.verdict;
  lines.push('');
  lines.push(`Verdict: ${outcomeWords(result)} — ${v.reason}`);
  lines.push(`  ${v.summary}`);
  if (v.hint) lines.push(`  Hint: ${v.hint}`);
  const retry = result.fallback?.result;
  if (retry !== undefined) {
    lines.push(`TLS 1.2 retry (X-Amzn-Trace-Id: ${retry.correlationId}): ${outcomeWords(retry)} — ${retry.verdict.reason}`);
    lines.push(`  ${retry.verdict.summary}`);
  }
  return lines;
}

/** The TLS 1.2 retry's trace under a line saying why it was made. */
function fallbackTrace(result: ProbeResult, options: CurlStyleOptions, redaction: SecretRedaction | null): string[] {
  const fallback = result.fallback;
  if (fallback === undefined) return [];
  return [
    '',
    '* Retrying the same request over TLS 1.2 (times from the retry\'s start): over TLS 1.3 the server refused it after the request without asking for a client certificate, and this client cannot offer post-handshake authentication',
    ...formatTrace(fallback.result, options, redaction),
  ];
}

/**
 * The whole text: the trace (the retry's too), then the summary and the verdict. Secret header values are redacted
 * in both attempts unless `showSecretHeaders`; give a run's `secretHeaders` so the names it marks secret are too.
 */
export function formatProbeReport(result: ProbeResult, options: CurlStyleOptions = {}): string {
  // One redaction for both attempts: each sent the same headers.
  const redaction = textRedaction(result, options);
  return [...formatTrace(result, options, redaction), ...fallbackTrace(result, options, redaction), ...formatSummary(result, options, redaction)].join('\n');
}
