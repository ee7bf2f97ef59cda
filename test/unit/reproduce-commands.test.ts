import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import type { ConfigLocation, EndpointConfig, IdentityConfig } from '../../src/core/config/types';
import { curlCommand, opensslCommand, secretHeaderNote, secretHeaderVariables, shellQuote } from '../../src/core/report/reproduce-commands';

const at: ConfigLocation = { file: '/ws/.vscode/mtls-probe.json', jsonPath: '', offset: 0, length: 0 };

function endpoint(extra: Partial<EndpointConfig> = {}): EndpointConfig {
  return { name: 'prod-api', url: 'https://api.example.com/health', insecure: false, identities: [], expectations: [], location: at, ...extra };
}

const partner: IdentityConfig = { kind: 'pem', name: 'partner', certFile: '/ws/certs/client.pem', keyFile: '/ws/certs/client.key', location: at };
const legacy: IdentityConfig = { kind: 'pfx', name: 'legacy', pfxFile: '/ws/certs/legacy.p12', location: at };

/** What a POSIX shell makes of a command line: the words the program receives. */
function shellWords(line: string, env: Record<string, string> = {}): string[] {
  const out = execFileSync('/bin/sh', ['-c', `for w in ${line.replace(/^\S+/, '')}; do printf '%s\\0' "$w"; done`], { env: { PATH: process.env.PATH ?? '', ...env } }).toString();
  return out.split('\0').slice(0, -1);
}

describe('POSIX shell quoting', () => {
  test('bare when safe, single quotes otherwise, with embedded quotes', () => {
    assert.equal(shellQuote('/ws/certs/client.pem'), '/ws/certs/client.pem');
    assert.equal(shellQuote('localhost:443:127.0.0.1:8443'), 'localhost:443:127.0.0.1:8443');
    assert.equal(shellQuote('my certs/client.pem'), "'my certs/client.pem'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote('$HOME`id`;rm -rf ~'), "'$HOME`id`;rm -rf ~'");
  });

  test('a shell gives the program exactly the original words', () => {
    const words = ["it's", 'a b', '$(id)', '`id`', '"q"', '\\', '*', '~', '!x', 'é ✓', 'tab\there', 'line\nbreak'];
    assert.deepEqual(shellWords(`cmd ${words.map(shellQuote).join(' ')}`), words);
  });
});

describe('curl command', () => {
  test('PEM identity, CA bundle, connect-to', () => {
    assert.equal(
      curlCommand(endpoint({ caFile: '/ws/certs/server-ca.pem', connectTo: { host: '203.0.113.10', port: 443 } }), partner),
      'curl -v --connect-to api.example.com:443:203.0.113.10:443 --cacert /ws/certs/server-ca.pem --cert /ws/certs/client.pem --key /ws/certs/client.key https://api.example.com/health',
    );
  });

  test('no identity, system trust store', () => {
    assert.equal(curlCommand(endpoint(), null), 'curl -v https://api.example.com/health');
  });

  test('PKCS#12 identity, -k, TLS bounds, HTTP/1.1, method and headers', () => {
    assert.equal(
      curlCommand(endpoint({ insecure: true, caFile: '/ignored.pem', tlsMinVersion: 'TLSv1.2', tlsMaxVersion: 'TLSv1.2', alpn: ['http/1.1'], method: 'post', headers: { 'X-Partner': "o'brien & co" } }), legacy),
      "curl -v -k --cert-type P12 --cert /ws/certs/legacy.p12 --tlsv1.2 --tls-max 1.2 --http1.1 -X POST -H 'X-Partner: o'\\''brien & co' https://api.example.com/health",
    );
    assert.match(curlCommand(endpoint({ method: 'HEAD' }), null), / -I https:/);
  });

  test('a server name other than the URL host: in the URL, routed to the real address, Host kept', () => {
    assert.equal(
      curlCommand(endpoint({ url: 'https://api.example.com:8443/health?x=1', serverName: 'api.internal' }), null),
      "curl -v --connect-to api.internal:8443:api.example.com:8443 -H 'Host: api.example.com:8443' 'https://api.internal:8443/health?x=1'",
    );
    assert.equal(
      curlCommand(endpoint({ serverName: 'api.internal', hostHeader: 'front.example.com', connectTo: { host: '::1', port: 9443 } }), null),
      "curl -v --connect-to 'api.internal:443:[::1]:9443' -H 'Host: front.example.com' https://api.internal/health",
    );
  });

  test('an IPv6 URL turns off curl\'s URL globbing', () => {
    assert.equal(curlCommand(endpoint({ url: 'https://[::1]:8443/' }), null), "curl -v -g 'https://[::1]:8443/'");
  });

  test('paths with spaces are quoted; never a passphrase', () => {
    const spaced: IdentityConfig = { kind: 'pem', name: 'p', certFile: '/my certs/c.pem', keyFile: '/my certs/c.key', location: at };
    const line = curlCommand(endpoint(), spaced);
    assert.equal(line, "curl -v --cert '/my certs/c.pem' --key '/my certs/c.key' https://api.example.com/health");
    assert.doesNotMatch(line, /--pass|pass:/);
  });
});

describe('secret headers in the curl command', () => {
  const secretive = endpoint({ headers: { Authorization: 'Bearer canary-9d2e51', 'X-Tenant-Token': 'canary-7a1b04', 'X-Test': '1' }, secretHeaders: ['x-tenant-token'] });
  const env = { MTLS_PROBE_HEADER_AUTHORIZATION: 'Bearer from the environment', MTLS_PROBE_HEADER_X_TENANT_TOKEN: "it's $(id)" };

  test('a secret value is never written: the command reads it from MTLS_PROBE_HEADER_<NAME>', () => {
    const line = curlCommand(secretive, null);
    assert.equal(
      line,
      'curl -v -H "Authorization: ${MTLS_PROBE_HEADER_AUTHORIZATION:?set it to the Authorization value}" -H "X-Tenant-Token: ${MTLS_PROBE_HEADER_X_TENANT_TOKEN:?set it to the X-Tenant-Token value}" -H \'X-Test: 1\' https://api.example.com/health',
    );
    assert.doesNotMatch(line, /canary/);
    // The shell puts the values in as they are (no second expansion of what the variable holds).
    assert.deepEqual(shellWords(line, env), ['-v', '-H', 'Authorization: Bearer from the environment', '-H', "X-Tenant-Token: it's $(id)", '-H', 'X-Test: 1', 'https://api.example.com/health']);
  });

  test('unset, the shell stops before running curl and says which variable to set', () => {
    const r = spawnSync('/bin/sh', ['-c', `printf '%s\\n' ${curlCommand(secretive, null).replace(/^\S+/, '')}`], { env: { PATH: process.env.PATH ?? '', MTLS_PROBE_HEADER_X_TENANT_TOKEN: 't' } });
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout.toString(), '');
    assert.match(r.stderr.toString(), /MTLS_PROBE_HEADER_AUTHORIZATION: set it to the Authorization value/);
  });

  test('a header name with characters the shell expands in double quotes is single-quoted, the variable joined', () => {
    const odd = endpoint({ headers: { 'X-Key$HOME`!': 'canary-3c3c3c' }, secretHeaders: ['X-Key$HOME`!'] });
    const line = curlCommand(odd, null);
    assert.doesNotMatch(line, /canary/);
    assert.deepEqual(shellWords(line, { MTLS_PROBE_HEADER_X_KEY_HOME__: 'v' }), ['-v', '-H', 'X-Key$HOME`!: v', 'https://api.example.com/health']);
  });

  test('the variables and the note name each secret header the command needs', () => {
    assert.deepEqual(secretHeaderVariables(secretive), [
      { header: 'Authorization', variable: 'MTLS_PROBE_HEADER_AUTHORIZATION' },
      { header: 'X-Tenant-Token', variable: 'MTLS_PROBE_HEADER_X_TENANT_TOKEN' },
    ]);
    assert.equal(
      secretHeaderNote(secretive),
      'Set MTLS_PROBE_HEADER_AUTHORIZATION (the Authorization value), MTLS_PROBE_HEADER_X_TENANT_TOKEN (the X-Tenant-Token value) in the environment first: secret header values are not written into commands.',
    );
    assert.equal(secretHeaderNote(endpoint({ headers: { 'X-Test': '1' } })), null);
  });

  test('openssl s_client sends no HTTP headers: nothing secret in it', () => {
    assert.doesNotMatch(opensslCommand(secretive, null), /canary|MTLS_PROBE_HEADER/);
  });
});

describe('openssl s_client command', () => {
  test('PEM identity, CA bundle, SNI and name check, connect-to address', () => {
    assert.equal(
      opensslCommand(endpoint({ caFile: '/ws/certs/server-ca.pem', connectTo: { host: '203.0.113.10', port: 443 } }), partner),
      'openssl s_client -connect 203.0.113.10:443 -servername api.example.com -cert /ws/certs/client.pem -key /ws/certs/client.key -CAfile /ws/certs/server-ca.pem -verify_return_error -verify_hostname api.example.com -showcerts -msg',
    );
  });

  test('PKCS#12 identity as -cert; -k skips verification; one TLS version', () => {
    assert.equal(
      opensslCommand(endpoint({ insecure: true, tlsMinVersion: 'TLSv1.3' }), legacy),
      'openssl s_client -connect api.example.com:443 -servername api.example.com -cert /ws/certs/legacy.p12 -tls1_3 -showcerts -msg',
    );
    assert.match(opensslCommand(endpoint({ tlsMaxVersion: 'TLSv1.2' }), null), / -tls1_2 /);
  });

  test('an IP literal: no SNI, the IP is checked; ALPN when configured; version range', () => {
    assert.equal(
      opensslCommand(endpoint({ url: 'https://[::1]:8443/', alpn: ['h2', 'http/1.1'], tlsMinVersion: 'TLSv1.2', tlsMaxVersion: 'TLSv1.3' }), null),
      "openssl s_client -connect '[::1]:8443' -noservername -verify_return_error -verify_ip ::1 -min_protocol TLSv1.2 -max_protocol TLSv1.3 -alpn h2,http/1.1 -showcerts -msg",
    );
  });

  test('a server name override is the SNI and the name checked', () => {
    assert.match(opensslCommand(endpoint({ serverName: 'api.internal' }), null), /-connect api\.example\.com:443 -servername api\.internal -verify_return_error -verify_hostname api\.internal /);
  });
});
