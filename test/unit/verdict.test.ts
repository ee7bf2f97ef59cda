import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeyLog } from '../../src/core/tls/key-log';
import { TlsSessionDecoder } from '../../src/core/tls/session-decoder';
import { classifyAttempt, type AttemptFacts } from '../../src/core/probe/verdict';
import type { HttpSummary } from '../../src/core/probe/types';

function facts(overrides: Partial<AttemptFacts>): AttemptFacts {
  return {
    failedPhase: null,
    errorCode: null,
    errorMessage: null,
    timedOut: false,
    tls: new TlsSessionDecoder(new KeyLog(), () => undefined).state,
    peerClose: null,
    secureConnected: true,
    http: null,
    handshakeOnly: false,
    bytesIn: 100,
    ...overrides,
  };
}

function http(status: number, bodyPreview = ''): HttpSummary {
  return { status, httpVersion: 'HTTP/1.1', headers: {}, bodyPreview, bodyBytes: bodyPreview.length };
}

describe('verdict from the probe alone', () => {
  const cases: Array<[string, Partial<AttemptFacts>, string | null, string]> = [
    ['NXDOMAIN', { failedPhase: 'dns', errorCode: 'ENOTFOUND', secureConnected: false }, 'dns', 'dns_not_found'],
    ['DNS timeout', { failedPhase: 'dns', timedOut: true, secureConnected: false }, 'dns', 'dns_timeout'],
    ['refused', { failedPhase: 'tcp', errorCode: 'ECONNREFUSED', secureConnected: false }, 'tcp', 'connection_refused'],
    ['connect timeout', { failedPhase: 'tcp', errorCode: 'ETIMEDOUT', timedOut: true, secureConnected: false }, 'tcp', 'connect_timeout'],
    ['unreachable', { failedPhase: 'tcp', errorCode: 'EHOSTUNREACH', secureConnected: false }, 'tcp', 'host_unreachable'],
    ['server certificate expired', { failedPhase: 'tls', errorCode: 'CERT_HAS_EXPIRED', secureConnected: false }, 'tls', 'server_certificate_expired'],
    ['self-signed server', { failedPhase: 'tls', errorCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', secureConnected: false }, 'tls', 'server_certificate_untrusted'],
    ['wrong name', { failedPhase: 'tls', errorCode: 'ERR_TLS_CERT_ALTNAME_INVALID', secureConnected: false }, 'tls', 'server_name_mismatch'],
    ['no common version (local)', { failedPhase: 'tls', errorCode: 'ERR_SSL_UNSUPPORTED_PROTOCOL', secureConnected: false }, 'tls', 'protocol_version'],
    ['nginx: no certificate', { http: http(400, '<html><head><title>400 No required SSL certificate was sent</title>') }, 'mtls', 'http_400_no_client_certificate'],
    ['nginx: bad certificate', { http: http(400, '<title>400 The SSL certificate error</title>') }, 'mtls', 'http_400_client_certificate_error'],
    ['nginx 496 exposed', { http: http(496) }, 'mtls', 'http_400_no_client_certificate'],
    ['plain 400', { http: http(400, 'bad request') }, 'http', 'http_400'],
    ['403', { http: http(403) }, 'http', 'http_403_forbidden'],
    ['502 from the front', { http: http(502) }, 'http', 'http_502'],
    ['200', { http: http(200) }, null, 'target_responded'],
    ['404 from the target', { http: http(404) }, 'http', 'http_404'],
    ['HTTP timeout', { failedPhase: 'http', timedOut: true }, 'http', 'http_timeout'],
  ];
  for (const [name, input, stoppedAt, reason] of cases) {
    test(name, () => {
      const v = classifyAttempt(facts(input));
      assert.equal(v.stoppedAt, stoppedAt, v.summary);
      assert.equal(v.reason, reason, v.summary);
      assert.equal(v.confidence, 'probe');
      assert.ok(v.summary.length > 10);
    });
  }

  test('a 403 carries the "possibly WAF" hint until evidence says waf', () => {
    assert.match(classifyAttempt(facts({ http: http(403) })).hint ?? '', /WAF/);
  });
});
