// `mtls-probe test` through the built CLI (dist/cli.js, as CI runs it) against real peers — nginx with
// ssl_verify_client on and the ALB-like target — and the reproduce commands run with the real curl and openssl.

import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConfigLocation, EndpointConfig, IdentityConfig } from '../../src/core/config/types';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { curlCommand, opensslCommand } from '../../src/core/report/reproduce-commands';
import { makePkiFiles, requireBinary, startNginx, type RunningPeer, type TestPkiFiles } from '../support/peers';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const commandSource = new URL('../../src/cli/commands/test.ts', import.meta.url).pathname;
const passphrase = 'correct horse battery staple';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string | undefined> = {}, onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(childEnv)) if (key.startsWith('MTLS_PROBE_PASSPHRASE_')) delete childEnv[key];
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
    const child = spawn(process.execPath, [cli, ...args], { env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onSpawn?.((signal) => child.kill(signal));
  });
}

/**
 * Runs a command line through a POSIX shell, as a person pasting it would. Asynchronous: the ALB-like target
 * lives in this process and must keep answering while the command runs.
 */
function shell(line: string, timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', `${line} </dev/null`], { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

let env: TestPkiFiles;
let nginx: RunningPeer;
let alb: AlbLikeTarget;
let scratch: string;
let certs: string;

async function workspace(name: string, configText: string): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(join(dir, '.vscode'), { recursive: true });
  await writeFile(join(dir, '.vscode', 'mtls-probe.json'), configText);
  return dir;
}

/** JSON with comments, paths relative to the workspace (certs/ is a sibling folder of the workspaces). */
function mainConfig(): string {
  return `{
  // Loopback mTLS fronts: nginx checks certificates at the HTTP layer, the ALB-like target resets the connection.
  "identities": {
    "valid": { "cert": "../certs/valid.pem", "key": "../certs/valid.key" },
    "expired": { "cert": "../certs/expired.pem", "key": "../certs/expired.key" },
    /* the valid certificate with its key encrypted: the passphrase comes from the environment */
    "locked-key": { "cert": "../certs/valid.pem", "key": "../certs/valid-encrypted.key" }
  },
  "endpoints": [
    {
      "name": "nginx",
      "url": "${nginx.url}",
      "ca": "../certs/ca.pem",
      "expect": {
        "none": 400,
        "valid": "target",
        "expired": { "stoppedAt": "mtls", "reason": "http_400_client_certificate_error" }
      }
    },
    {
      "name": "alb",
      "url": "${alb.url}",
      "ca": "../certs/ca.pem",
      "expect": {
        "none": "mtls",
        "locked-key": "target",
        "expired": "target" // wrong on purpose: the ALB resets an expired certificate
      }
    }
  ]
}
`;
}

before(async () => {
  assert.ok(existsSync(cli), 'dist/cli.js is missing: run npm run build first (npm test does)');
  assert.ok(statSync(cli).mtimeMs >= statSync(commandSource).mtimeMs, 'dist/cli.js is older than src/cli/commands/test.ts: run npm run build first (npm test does)');
  requireBinary(null, 'curl', ['/usr/bin/curl']);
  requireBinary(null, 'openssl', ['/usr/bin/openssl']);
  env = await makePkiFiles();
  // Without a test context startNginx throws when nginx is missing, so it never returns null here.
  nginx = (await startNginx(null, env.files))!;
  alb = await startAlbLikeTarget({ pki: env.pki });
  scratch = await mkdtemp(join(tmpdir(), 'mtls-probe-cli-test-'));
  certs = join(scratch, 'certs');
  await mkdir(certs);
  for (const name of ['ca.pem', 'valid.pem', 'valid.key', 'expired.pem', 'expired.key']) await copyFile(join(env.files.dir, name), join(certs, name));
  const key = createPrivateKey(await readFile(join(certs, 'valid.key')));
  await writeFile(join(certs, 'valid-encrypted.key'), key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }), { mode: 0o600 });
  // Modern (AES) PKCS#12 files: one without a passphrase for the reproduce commands, one with.
  execFileSync('/usr/bin/openssl', ['pkcs12', '-export', '-in', join(certs, 'valid.pem'), '-inkey', join(certs, 'valid.key'), '-out', join(certs, 'valid.p12'), '-passout', 'pass:']);
  execFileSync('/usr/bin/openssl', ['pkcs12', '-export', '-in', join(certs, 'valid.pem'), '-inkey', join(certs, 'valid.key'), '-out', join(certs, 'valid-locked.p12'), '-passout', 'env:P12_PASS'], {
    env: { ...process.env, P12_PASS: passphrase },
  });
});

after(async () => {
  await nginx?.stop();
  await alb?.close();
});

describe('mtls-probe test', () => {
  test('one expected failure among passes: exit 1, a line per check, the JUnit report', async () => {
    const dir = await workspace('main', mainConfig());
    const junit = join(scratch, 'main.xml');
    const r = await run(['test', '--workspace', dir, '--junit', junit], { MTLS_PROBE_PASSPHRASE_LOCKED_KEY: passphrase });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.split('\n');
    const checkLines = lines.filter((l) => /^[✓✗-] /.test(l));
    assert.equal(checkLines.length, 6, r.stdout);
    assert.match(checkLines[0]!, /^✓ nginx\s+none\s+expect HTTP 400\s+got mtls \(http_400_no_client_certificate\)\s+\d+\.\d ms$/);
    assert.match(checkLines[1]!, /^✓ nginx\s+valid\s+expect target\s+got target with HTTP 200 /);
    assert.match(checkLines[2]!, /^✓ nginx\s+expired\s+expect mtls \(http_400_client_certificate_error\)\s+got mtls \(http_400_client_certificate_error\) /);
    assert.match(checkLines[3]!, /^✓ alb\s+none\s+expect mtls\s+got mtls \(reset_after_client_certificate\) /);
    assert.match(checkLines[4]!, /^✓ alb\s+locked-key\s+expect target\s+got target with HTTP 200 /);
    assert.match(checkLines[5]!, /^✗ alb\s+expired\s+expect target\s+got mtls \(reset_after_client_certificate\) /);
    assert.match(r.stdout, /\n {4}expected target, got mtls \(reset_after_client_certificate\): .+\n {4}reproduce: curl -v --cacert \S+ca\.pem --cert \S+expired\.pem --key \S+expired\.key https:\/\/localhost:\d+\/\n/);
    assert.match(r.stdout, /\n6 expectations: 5 passed, 1 failed, 0 could not run \([\d.]+ m?s\)\n/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(passphrase));

    const xml = await readFile(junit, 'utf8');
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="mtls-probe" tests="6" failures="1" errors="0" skipped="0" /);
    assert.match(xml, /<testsuite name="nginx" tests="3" failures="0" errors="0" skipped="0" /);
    assert.match(xml, /<testsuite name="alb" tests="3" failures="1" errors="0" skipped="0" /);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 6);
    assert.match(xml, /<testcase classname="alb" name="expired → target" time="[\d.]+">\n {6}<failure message="expected target, got mtls \(reset_after_client_certificate\): [^"]+" type="ExpectationMismatch">/);
    const failure = /<failure [^>]*>([\s\S]*?)<\/failure>/.exec(xml)?.[1] ?? '';
    assert.match(failure, /TLSv1\.2 \(IN\), TLS handshake, Request CERT \(13\):/, 'the curl-style trace');
    assert.match(failure, /Connection reset by peer \(TCP RST\) after the client's Certificate/);
    assert.match(failure, /Verdict: stopped at mtls — reset_after_client_certificate/);
    assert.match(xml, /<testcase classname="nginx" name="none → HTTP 400" time="[\d.]+">\n {6}<system-out>[\s\S]*Verdict: stopped at mtls — http_400_no_client_certificate/);
    assert.doesNotMatch(xml, /PRIVATE KEY|correct horse/);
  });

  test('a passphrase that is not in the environment: that check could not run, the rest did', async () => {
    const dir = await workspace('no-passphrase', mainConfig());
    const junit = join(scratch, 'no-passphrase.xml');
    const r = await run(['test', '--workspace', dir, '--endpoint', 'alb', '--junit', junit]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^✗ alb\s+locked-key\s+expect target\s+could not run: Identity "locked-key": \S+valid-encrypted\.key is protected by a passphrase: set it in the environment variable MTLS_PROBE_PASSPHRASE_LOCKED_KEY\./m);
    assert.match(r.stdout, /3 expectations: 1 passed, 1 failed, 1 could not run/);
    assert.doesNotMatch(r.stdout, /nginx/);
    const xml = await readFile(junit, 'utf8');
    assert.match(xml, /<testsuites name="mtls-probe" tests="3" failures="1" errors="1" skipped="0" /);
    assert.match(xml, /<testcase classname="alb" name="locked-key → target" time="[\d.]+">\n {6}<error message="Identity &quot;locked-key&quot;: [^"]*MTLS_PROBE_PASSPHRASE_LOCKED_KEY\." type="CheckNotRun">/);

    const wrong = await run(['test', '--workspace', dir, '--endpoint', 'alb'], { MTLS_PROBE_PASSPHRASE_LOCKED_KEY: 'not it' });
    assert.match(wrong.stdout, /could not run: The passphrase does not decrypt the private key in \S+valid-encrypted\.key/);
    assert.doesNotMatch(wrong.stdout, /not it/);
  });

  test('a PKCS#12 identity with a passphrase: from its variable, the name upper-cased with _ for other characters', async () => {
    const dir = await workspace(
      'pkcs12',
      `{
  "identities": { "partner.p12 v2": { "pfx": "../certs/valid-locked.p12" } },
  "endpoints": [{ "name": "alb", "url": "${alb.url}", "ca": "../certs/ca.pem", "expect": { "partner.p12 v2": "target" } }]
}
`,
    );
    const withPassphrase = await run(['test', '--workspace', dir], { MTLS_PROBE_PASSPHRASE_PARTNER_P12_V2: passphrase });
    assert.equal(withPassphrase.code, 0, withPassphrase.stdout + withPassphrase.stderr);
    assert.match(withPassphrase.stdout, /^✓ alb\s+partner\.p12 v2\s+expect target\s+got target with HTTP 200 /m);
    const without = await run(['test', '--workspace', dir]);
    assert.equal(without.code, 1);
    assert.match(without.stdout, /could not run: Identity "partner\.p12 v2": \S+valid-locked\.p12 is protected by a passphrase: set it in the environment variable MTLS_PROBE_PASSPHRASE_PARTNER_P12_V2\./);
  });

  test('--json prints one object; --endpoint and --config select what runs', async () => {
    const dir = await workspace('json', mainConfig());
    const r = await run(['test', '--config', join(dir, '.vscode', 'mtls-probe.json'), '--endpoint', 'nginx', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!);
    assert.equal(out.config, join(dir, '.vscode', 'mtls-probe.json'));
    assert.equal(out.folder, dir, 'the folder holding .vscode, so ../certs resolves');
    assert.deepEqual(out.summary, { total: 3, passed: 3, failed: 0, errors: 0, skipped: 0 });
    assert.deepEqual(
      out.runs.map((x: { id: string; status: string }) => [x.id, x.status]),
      [
        ['nginx/none', 'passed'],
        ['nginx/valid', 'passed'],
        ['nginx/expired', 'passed'],
      ],
    );
    const valid = out.runs[1];
    assert.deepEqual(valid.expected, { kind: 'target' });
    assert.equal(valid.result.verdict.reason, 'target_responded');
    assert.equal(valid.result.identity.label, 'valid');
    assert.match(valid.reproduce.curl, /^curl -v --cacert /);
    assert.match(valid.reproduce.openssl, /^openssl s_client -connect localhost:\d+ /);
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
  });

  test('a config with an error: the problems on stderr as file: path: message (fix), exit 2, nothing probed', async () => {
    const dir = await workspace(
      'broken',
      `{
  // "firewall" is not a layer
  "endpoints": [{ "name": "nginx", "url": "${nginx.url}", "expect": { "none": "firewall" } }]
}
`,
    );
    const r = await run(['test', '--workspace', dir]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`^${join(dir, '.vscode', 'mtls-probe.json').replace(/[.]/g, '\\.')}: endpoints\\[0\\]\\.expect\\.none: .*firewall.* \\(.+\\)$`, 'm'));
    assert.match(r.stderr, /has 1 error: fix it, then run the tests again\./);
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  test('bad arguments, a missing config, an unknown endpoint: exit 2, one clear line', async () => {
    const dir = await workspace('args', mainConfig());
    const cases: Array<[string[], RegExp]> = [
      [['test', '--workspace', join(scratch, 'nowhere')], /no config file at \S+nowhere\/\.vscode\/mtls-probe\.json/],
      [['test', '--workspace', dir, '--endpoint', 'nope'], /--endpoint "nope": not in \S+ \(endpoints: nginx, alb\)/],
      [['test', '--workspace', dir, '--concurrency', '0'], /--concurrency takes a positive whole number, not "0"/],
      [['test', '--bogus'], /Unknown option '--bogus'/],
      [['test', 'extra'], /test takes no positional arguments/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const help = await run(['test', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /MTLS_PROBE_PASSPHRASE_<NAME>/);
    const usage = await run(['--help']);
    assert.match(usage.stdout, /mtls-probe test \[--workspace DIR\]/);
  });

  test('Ctrl-C: exit 130, the check in flight reported as skipped', async () => {
    // A server that reads the ClientHello and never answers: the probe waits in its handshake phase. Its arrival
    // sends the Ctrl-C. The handshake's own limit (10 s by default) is the other way the probe can end: a verdict
    // (tls/handshake_timeout) and a failed check, where the cancel ends it as "cancelled while running".
    const sockets = new Set<Socket>();
    let helloSeen!: () => void;
    const hello = new Promise<void>((resolve) => (helloSeen = resolve));
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => helloSeen());
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = silent.address() as AddressInfo;
      const dir = await workspace('sigint', `{ "endpoints": [{ "name": "silent", "url": "https://127.0.0.1:${port}/", "expect": { "none": "mtls" } }] }`);
      const r = await run(['test', '--workspace', dir], {}, (kill) => void hello.then(() => kill('SIGINT')));
      assert.equal(r.code, 130, r.stdout + r.stderr);
      assert.match(r.stdout, /^- silent\s+none\s+expect mtls\s+cancelled while running/m);
      assert.doesNotMatch(r.stdout, /handshake_timeout|never answered the ClientHello/, 'the cancel, not the handshake limit, ended the probe');
      assert.match(r.stderr, /mtls-probe: interrupted/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('reproduce commands, run for real', () => {
  const at: ConfigLocation = { file: '(test)', jsonPath: '', offset: 0, length: 0 };
  const endpointFor = (url: string): EndpointConfig => ({ name: 'peer', url, caFile: join(certs, 'ca.pem'), insecure: false, identities: [], expectations: [], location: at });
  const pem = (): IdentityConfig => ({ kind: 'pem', name: 'valid', certFile: join(certs, 'valid.pem'), keyFile: join(certs, 'valid.key'), location: at });
  const pfx = (): IdentityConfig => ({ kind: 'pfx', name: 'valid-p12', pfxFile: join(certs, 'valid.p12'), location: at });

  test('curl: HTTP 200 from nginx with the valid identity (PEM and PKCS#12), the 400 without one', async () => {
    for (const identity of [pem(), pfx()]) {
      const r = await shell(curlCommand(endpointFor(nginx.url), identity));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'ok from nginx\n');
    }
    const none = await shell(`${curlCommand(endpointFor(nginx.url), null)} -w '%{http_code}'`);
    assert.match(none.stdout, /No required SSL certificate was sent[\s\S]*400$/);
  });

  test('curl: --connect-to and a server name routed like the probe does', async () => {
    const routed = curlCommand({ ...endpointFor('https://api.example.test/'), connectTo: { host: '127.0.0.1', port: nginx.port }, serverName: 'localhost' }, pem());
    assert.match(routed, /--connect-to localhost:443:127\.0\.0\.1:\d+ .*-H 'Host: api\.example\.test' https:\/\/localhost\/$/);
    const r = await shell(routed);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok from nginx\n');
  });

  test('openssl s_client: the handshake with the client certificate, verified, with -msg and -showcerts', async () => {
    for (const identity of [pem(), pfx()]) {
      const r = await shell(opensslCommand({ ...endpointFor(nginx.url), tlsMaxVersion: 'TLSv1.2' }, identity));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, />>> TLS 1\.2, Handshake \[length [0-9a-f]+\], ClientHello/);
      assert.match(r.stdout, /<<< TLS 1\.2, Handshake \[length [0-9a-f]+\], CertificateRequest/);
      assert.match(r.stdout, />>> TLS 1\.2, Handshake \[length [0-9a-f]+\], Certificate\n/);
      assert.match(r.stdout, /-----BEGIN CERTIFICATE-----/);
      assert.match(r.stdout, /Verify return code: 0 \(ok\)/);
      assert.match(r.stdout, /Protocol {2}: TLSv1\.2/);
    }
  });

  test('openssl s_client against the ALB-like target without a certificate: the reset shows', async () => {
    const r = await shell(opensslCommand({ ...endpointFor(alb.url), tlsMaxVersion: 'TLSv1.2' }, null));
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /<<< TLS 1\.2, Handshake \[length [0-9a-f]+\], CertificateRequest/);
    assert.match(r.stdout + r.stderr, /Connection reset by peer|errno=104/);
  });
});
