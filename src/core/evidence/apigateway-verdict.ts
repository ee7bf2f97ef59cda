import type { ProbeResult, Verdict } from '../probe/types';
import { apiGatewayRefusal, readApiGatewayHeaders } from '../probe/verdict-apigateway';
import { recordField as field, recordText as text } from './logs/log-fields';
import type { CorrelationKeys, EvidenceEvent } from './types';

// What an API Gateway access-log record of the probe's request says about where it stopped. AWS documents that the
// $context.identity.clientCert.* variables are "present only in access logs if mutual TLS authentication fails": a
// record of the probe's 403 with them (or with a mutual-TLS message in $context.error.message) confirms an `mtls`
// verdict. A 403 record without them leaves the probe's words as they are and says what the record lacks: the
// stage's format may not log those variables. correlate.ts asks this module once a record is tied to the probe.

/** The ids API Gateway answered the probe with, as correlation keys: they tie its access-log record to the probe. */
export function apiGatewayKeys(result: Pick<ProbeResult, 'http'>): Pick<CorrelationKeys, 'requestId' | 'extendedRequestId'> {
  if (result.http === null) return {};
  const { requestId, extendedRequestId } = readApiGatewayHeaders(result.http.headers);
  return { ...(requestId !== null ? { requestId } : {}), ...(extendedRequestId !== null ? { extendedRequestId } : {}) };
}

/** The trace id an access-log record carries ($context.xrayTraceId, when X-Ray is on for the stage). */
export function apiGatewayTraceId(record: Record<string, unknown>): string | null {
  return text(field(record, 'xrayTraceId'));
}

function clientCertOf(record: Record<string, unknown>): { subject: string | null; serial: string | null } | null {
  const subject = text(field(record, 'identity.clientCert.subjectDN'));
  const serial = text(field(record, 'identity.clientCert.serialNumber'));
  const any = ['issuerDN', 'validity.notBefore', 'validity.notAfter', 'clientCertPem'].some((f) => text(field(record, `identity.clientCert.${f}`)) !== null);
  return subject !== null || serial !== null || any ? { subject, serial } : null;
}

/** "API Gateway's access log records status 403 with error.message "Forbidden" and clientCert CN=… (serial …)". */
export function apiGatewayRecordWords(record: Record<string, unknown>): string {
  const message = text(field(record, 'error.message'));
  const responseType = text(field(record, 'error.responseType'));
  const waf = text(field(record, 'waf.status'));
  const cert = clientCertOf(record);
  const parts = [
    message !== null ? `error.message "${message}"` : null,
    responseType !== null ? `error.responseType ${responseType}` : null,
    waf !== null ? `waf.status ${waf}` : null,
    cert !== null ? `clientCert ${cert.subject ?? '(no subject)'}${cert.serial !== null ? ` (serial ${cert.serial})` : ''}` : null,
  ].filter((p) => p !== null);
  const id = text(field(record, 'requestId')) ?? text(field(record, 'extendedRequestId'));
  return `API Gateway's access log records status ${text(field(record, 'status')) ?? '-'}${parts.length > 0 ? ` with ${parts.join(', ')}` : ''}${id !== null ? ` for requestId ${id}` : ''}`;
}

/**
 * Gateway response types ($context.error.responseType, documented) that say a 403 was not mutual TLS's. ACCESS_DENIED
 * and DEFAULT_4XX are not among them: which type a mutual-TLS refusal logs is not documented.
 */
const notMutualTls: Record<string, string> = {
  MISSING_AUTHENTICATION_TOKEN: 'no resource and method match the request, or the method needs a signed request',
  INVALID_API_KEY: 'the method requires an API key and the request had none, or an invalid one',
  EXPIRED_TOKEN: "the request's signing credentials have expired",
  INVALID_SIGNATURE: "the request's SigV4 signature does not match",
};

type Patch = Partial<Verdict> & Pick<Verdict, 'confidence'>;

/** The record shows mutual TLS refused the request: the reason, from the message's cause when it names one. */
function refusedByMutualTls(result: ProbeResult, record: Record<string, unknown>, words: string): Patch | null {
  const cert = clientCertOf(record);
  const refusal = apiGatewayRefusal(text(field(record, 'error.message')));
  if (cert === null && refusal === null) return null;
  const sentNone = !result.tls.clientCertificateSent;
  const reason =
    refusal !== null && refusal.cause !== 'refused'
      ? `apigateway_client_cert_${refusal.cause}`
      : sentNone && cert === null
        ? 'apigateway_403_no_client_certificate'
        : 'apigateway_client_cert_refused';
  const what = sentNone && cert === null ? 'refused the request without a client certificate' : 'refused the client certificate';
  const meaning = refusal !== null && refusal.cause !== 'refused' ? `, i.e. ${refusal.meaning}` : cert !== null ? ' (the clientCert fields are logged only when mutual TLS fails)' : '';
  return {
    stoppedAt: 'mtls',
    reason,
    summary: `API Gateway's mutual TLS ${what} and answered HTTP 403: ${words}${meaning}. The refusal came at the custom domain, before the API's stage and integration.`,
    confidence: 'confirmed',
    hint: undefined,
  };
}

/** The verdict an access-log record of the probe's request leads to (its status agrees with the probe's). */
export function apiGatewayUpgrade(result: ProbeResult, base: Verdict, event: EvidenceEvent): Patch {
  const record = event.record;
  const words = apiGatewayRecordWords(record);
  const waf = text(field(record, 'waf.status'));
  const responseType = text(field(record, 'error.responseType'))?.toUpperCase() ?? null;
  if (/BLOCK/i.test(waf ?? '') || responseType === 'WAF_FILTERED') {
    return { stoppedAt: 'waf', reason: 'aws_waf_block', summary: `AWS WAF on the API Gateway stage blocked the request: ${words}.`, confidence: 'confirmed', hint: undefined };
  }
  const status = Number(text(field(record, 'status')));
  if (status === 403) {
    const refused = refusedByMutualTls(result, record, words);
    if (refused !== null) return refused;
    const other = responseType !== null ? notMutualTls[responseType] : undefined;
    if (other !== undefined) {
      return { stoppedAt: 'http', reason: 'apigateway_403_forbidden', summary: `API Gateway answered HTTP 403, and not for the certificate: ${words}, i.e. ${other}.`, confidence: 'confirmed', hint: undefined };
    }
    if (base.stoppedAt === 'mtls') {
      const lacks =
        `${words}, but no clientCert fields and no mutual-TLS message: either the stage's access-log format does not log $context.identity.clientCert.* and $context.error.message ` +
        '(add them to tell), or the 403 is API Gateway\'s own (an API key, a resource policy, an authorizer).';
      return { confidence: 'probe', hint: base.hint !== undefined ? `${lacks} ${base.hint}` : lacks };
    }
  }
  const hint = waf !== null && /ALLOW/i.test(waf) && status === 403 ? 'The WAF let this request through (waf.status ALLOW): the 403 came from behind it.' : base.hint;
  return { summary: `${base.summary} Server-side logs agree: ${words}.`, confidence: 'confirmed', hint };
}
