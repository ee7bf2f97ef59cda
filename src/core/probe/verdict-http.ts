import type { HttpSummary, Verdict } from './types';
import { makeVerdict, type AttemptFacts } from './verdict-facts';

// What a server can do to the HTTP exchange once TLS is up, beyond answering with a status: end the HTTP/2
// connection with GOAWAY before answering, stall or break off the body of an answer it began, or send the body in an
// encoding nobody asked for. Each gets words that say what happened and what can be done.

// HTTP/2 error codes (RFC 9113 section 7) and what each says of a GOAWAY.
const h2ErrorCodes: Record<number, { name: string; meaning: string }> = {
  0: { name: 'NO_ERROR', meaning: 'a graceful shutdown, the server going away (restarting, draining, or at its connection limit) and taking no new request on this connection' },
  1: { name: 'PROTOCOL_ERROR', meaning: 'the server saw an HTTP/2 protocol error' },
  2: { name: 'INTERNAL_ERROR', meaning: 'the server hit an internal error' },
  3: { name: 'FLOW_CONTROL_ERROR', meaning: 'the server saw a flow-control error' },
  4: { name: 'SETTINGS_TIMEOUT', meaning: 'the client did not acknowledge the server\'s SETTINGS in time' },
  5: { name: 'STREAM_CLOSED', meaning: 'the server received a frame on a closed stream' },
  6: { name: 'FRAME_SIZE_ERROR', meaning: 'the server received a frame of the wrong size' },
  7: { name: 'REFUSED_STREAM', meaning: 'the server refused the stream before processing it' },
  8: { name: 'CANCEL', meaning: 'the server cancelled' },
  9: { name: 'COMPRESSION_ERROR', meaning: 'the server could not keep the header compression context' },
  10: { name: 'CONNECT_ERROR', meaning: 'a CONNECT tunnel failed' },
  11: { name: 'ENHANCE_YOUR_CALM', meaning: 'the server thinks the client is too busy or abusive (a rate limit)' },
  12: { name: 'INADEQUATE_SECURITY', meaning: 'the server finds the TLS parameters (version, cipher) too weak for HTTP/2' },
  13: { name: 'HTTP_1_1_REQUIRED', meaning: 'the server wants this request over HTTP/1.1' },
};

// undici's words for a GOAWAY (lib/dispatcher/client-h2.js): the only place it gives the error code.
const goawayMessage = /"GOAWAY" frame received with code (\d+)/;

/** The HTTP/2 GOAWAY that ended the request, when one did. */
export function goawayOf(facts: AttemptFacts): { code: number; name: string; meaning: string } | null {
  const match = goawayMessage.exec(facts.errorMessage ?? '');
  if (match === null) return null;
  const code = Number(match[1]);
  const known = h2ErrorCodes[code];
  return { code, name: known?.name ?? `error code ${code}`, meaning: known?.meaning ?? 'nothing RFC 9113 defines' };
}

function requestWords(facts: AttemptFacts): string {
  return facts.request ? `${facts.request.method} ${facts.request.path}` : 'the request';
}

/** The server ended the HTTP/2 connection with GOAWAY before it answered the request. */
export function goawayVerdict(goaway: NonNullable<ReturnType<typeof goawayOf>>, facts: AttemptFacts): Verdict {
  const fix =
    goaway.code === 13 || goaway.code === 12
      ? 'Probe again over HTTP/1.1 (--alpn http/1.1).'
      : 'Probe again: a server that is restarting answers the next connection. If GOAWAY comes every time, look at the server\'s HTTP/2 settings and logs (connection and stream limits, rate limits, graceful shutdown), and probe with --alpn http/1.1 to see whether HTTP/1.1 is answered.';
  return makeVerdict(
    'http',
    'h2_goaway',
    `The TLS session was established, then the server ended the HTTP/2 connection with GOAWAY (${goaway.name}, ${goaway.code}) before answering ${requestWords(facts)}, and no response came. ${goaway.name} means ${goaway.meaning}.`,
    fix,
  );
}

function bytesWords(n: number): string {
  return `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
}

/**
 * The server answered (status and headers), then the body stalled until the time limit or broke off. An answer that
 * already says where the request stopped (nginx's 400 for a certificate) keeps its verdict, with the body's fate
 * added; an answer from the target becomes `body_timeout` or `body_incomplete`, since the response never arrived whole.
 */
export function brokenBodyVerdict(http: HttpSummary, answered: Verdict, facts: AttemptFacts): Verdict {
  const received = bytesWords(http.bodyBytes);
  const close = facts.peerClose;
  const how = facts.timedOut
    ? `then its body stalled: ${received} arrived, and no more within the probe's HTTP time limit (${facts.errorMessage ?? 'timed out'})`
    : close !== null && close.t >= (facts.request?.t ?? 0)
      ? `then the server ${close.kind === 'reset' ? 'reset (RST)' : 'closed (FIN)'} the connection after ${received} of the body, before its end`
      : `then the body broke off after ${received}, before its end (${facts.errorMessage ?? facts.errorCode ?? 'error'})`;
  const sentence = `The server answered HTTP ${http.status}, ${how}.`;
  if (answered.stoppedAt !== null) return { ...answered, summary: `${answered.summary} ${sentence}` };
  return makeVerdict(
    'http',
    facts.timedOut ? 'body_timeout' : 'body_incomplete',
    `${sentence} The target answered, but its response never arrived whole.`,
    facts.timedOut
      ? 'The target (or a proxy in front of it) stops sending the body it began: look in its logs for this request\'s correlation id. If the body is only slow, give it more time (--timeout MS).'
      : 'The target (or a proxy in front of it) ends the connection in the middle of its answer: look in its logs for this request\'s correlation id (a crash, a proxy time limit, a body larger than its Content-Length allows).',
  );
}

/** A body in a Content-Encoding is kept as sent: said where the preview would otherwise read as garbage. */
export function encodedBodyHint(http: HttpSummary): string | undefined {
  const raw = http.headers['content-encoding'];
  const encoding = (Array.isArray(raw) ? raw.join(', ') : (raw ?? '')).trim();
  if (encoding === '' || encoding.toLowerCase() === 'identity') return undefined;
  return `The body came encoded (Content-Encoding: ${encoding}): the probe keeps its first bytes as sent and never decodes them, so a body that inflates without bound (a gzip bomb) cannot fill its memory; the preview shows encoded bytes.`;
}
