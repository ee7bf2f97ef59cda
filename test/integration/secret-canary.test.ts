// The canary: every CLI output, run with a private key, a passphrase and header values that hold unique markers,
// against the real local lab (an ALB-shaped mTLS listener, a WAF, a target, AWS-format logs) — `probe` (text, -v,
// --json, --report, --otlp, --evidence, --keylog), `matrix`, `test` with JUnit, `demo --json`, `lab`, `evidence`,
// `report` in every format. Everything the commands print (stdout, stderr) and every file they write (walked, .gz
// read too) is searched: no marker, no passphrase, no byte of a private key (its PEM lines, its DER scalar as raw
// bytes, hex and base64). The key log (--keylog) holds TLS secrets by design and is the only file left out. Keys
// written by `pki generate` and by the lab are mode 0600. `--show-secret-headers` shows the values on a terminal
// (a pseudo-terminal through script(1)) and is refused anywhere else; --json, --report and --otlp stay redacted.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { shellQuote } from '../../src/core/report/reproduce-commands';
import { builtCli, runBuiltCli, type CliRun } from '../support/built-cli';

const marker = (what: string): string => `canary-${what}-${randomBytes(6).toString('hex')}`;
const passphrase = `pass ${marker('passphrase')} !`;
const bearer = marker('bearer');
const cookie = marker('cookie');
const tenant = marker('tenant');
const markers = { passphrase, bearer, cookie, tenant };

const headers = ['-H', `Authorization: Bearer ${bearer}`, '-H', `Cookie: s=${cookie}`, '-H', `X-Tenant-Token: ${tenant}`, '--secret-header', 'X-Tenant-Token'];
const passEnv = { CANARY_PASSPHRASE: passphrase };

let root: string;
/** Where the test's own inputs go (the encrypted key, the workspace config): they hold the secrets by design. */
let inputs: string;
/** Where the commands write. */
let out: string;
let pki: string;
let demoDir: string;
let lab: { child: ChildProcessWithoutNullStreams; info: LabInfo; stdout: () => string; stderr: () => string } | undefined;
let encryptedKey: string;

interface LabInfo {
  url: string;
  ca: string;
  logs: string;
  identities: Record<string, { cert: string; key: string }>;
}

/** Everything the commands printed, by what printed it. */
const printed: Array<{ what: string; text: string }> = [];

async function cli(what: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const r = await runBuiltCli(args, { ...passEnv, ...env });
  printed.push({ what: `${what} (stdout)`, text: r.stdout }, { what: `${what} (stderr)`, text: r.stderr });
  return r;
}

/** True when some 8 bytes of `bytes` are in one of `parts`. */
function overlaps(bytes: Buffer, parts: readonly Buffer[]): boolean {
  for (let i = 0; i + 8 <= bytes.length; i++) if (parts.some((part) => part.includes(bytes.subarray(i, i + 8)))) return true;
  return false;
}

/**
 * A private key's private bytes in every form an output could carry them: its PEM lines (as written, as PKCS#8, and
 * URL-encoded), and its private numbers (the scalar or exponent, RSA's primes) raw, in hex and in base64. A PEM line
 * of public bytes only (an RSA modulus, an EC point: the certificate in the trace has them too) is left out: each line
 * looked for carries private bytes.
 */
function keyNeedles(file: string, pem: string): Array<{ what: string; bytes: Buffer }> {
  const key = createPrivateKey({ key: pem, passphrase });
  const jwk = key.export({ format: 'jwk' });
  const privateParts = (['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).flatMap((name) => (jwk[name] !== undefined ? [Buffer.from(jwk[name], 'base64url')] : []));
  const pkcs8 = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const bodyLines = (text: string): string[] => text.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----') && !line.includes(':'));
  // An encrypted key's lines are ciphertext, each one secret; a plain key's lines must carry private bytes.
  const encrypted = pem.includes('ENCRYPTED') ? bodyLines(pem) : [];
  const lines = new Set([...encrypted, ...[...bodyLines(pem), ...bodyLines(pkcs8)].filter((line) => !encrypted.includes(line) && overlaps(Buffer.from(line, 'base64'), privateParts))]);
  const needles: Array<{ what: string; bytes: Buffer }> = [];
  for (const line of lines) {
    needles.push({ what: `${file}: PEM line ${line.slice(0, 12)}…`, bytes: Buffer.from(line) }, { what: `${file}: PEM line ${line.slice(0, 12)}… (URL-encoded)`, bytes: Buffer.from(encodeURIComponent(line)) });
  }
  for (const name of ['d', 'p', 'q'] as const) {
    const value = jwk[name];
    if (value === undefined) continue;
    const bytes = Buffer.from(value, 'base64url').subarray(0, 24);
    needles.push(
      { what: `${file}: private ${name} (raw)`, bytes },
      { what: `${file}: private ${name} (hex)`, bytes: Buffer.from(bytes.toString('hex')) },
      { what: `${file}: private ${name} (HEX)`, bytes: Buffer.from(bytes.toString('hex').toUpperCase()) },
      { what: `${file}: private ${name} (base64)`, bytes: Buffer.from(bytes.toString('base64')) },
      { what: `${file}: private ${name} (base64url)`, bytes: Buffer.from(bytes.toString('base64url')) },
    );
  }
  assert.ok(needles.filter((n) => n.what.includes('PEM line')).length >= 2, `${file}: private PEM lines to look for`);
  return needles;
}

/** Every file under `dir`, but the ones `skip` keeps out. */
async function walk(dir: string, skip: (path: string) => boolean = () => false): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) files.push(...(await walk(path, skip)));
    else files.push(path);
  }
  return files;
}

async function keyFiles(dir: string): Promise<string[]> {
  return (await walk(dir)).filter((file) => file.endsWith('.key'));
}

function labLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('\n')) resolve(seen.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`the lab exited with ${code} before it printed: ${seen}`)));
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'mtls-probe-canary-'));
  inputs = join(root, 'inputs');
  out = join(root, 'out');
  pki = join(root, 'lab', 'pki');
  demoDir = join(out, 'demo');
  await mkdir(inputs, { recursive: true });
  await mkdir(out, { recursive: true });
  // The lab's PKI comes from `pki generate` (the lab reuses a folder that holds one); RSA for keys of many lines.
  const generated = await cli('pki generate', ['pki', 'generate', pki, '--key', 'rsa2048']);
  assert.equal(generated.code, 0, generated.stderr);
  // The identity's key, encrypted with the passphrase (PKCS#8, AES-256-CBC), as a person would keep it.
  encryptedKey = join(inputs, 'valid.encrypted.key');
  const plain = await readFile(join(pki, 'valid.key'), 'utf8');
  await writeFile(encryptedKey, createPrivateKey(plain).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }), { mode: 0o600 });

  const child = spawn(process.execPath, [builtCli, 'lab', '--json', '--dir', join(root, 'lab'), '--secret-header', 'X-Tenant-Token']);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const info = JSON.parse(await labLine(child)) as LabInfo;
  lab = { child, info, stdout: () => stdout, stderr: () => stderr };
});

after(async () => {
  if (lab !== undefined && lab.child.exitCode === null) lab.child.kill('SIGTERM');
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

function identityFlags(): string[] {
  return ['--cacert', lab!.info.ca, '--cert', lab!.info.identities.valid!.cert, '--key', encryptedKey, '--pass-env', 'CANARY_PASSPHRASE'];
}

/** Runs a command on a pseudo-terminal (script(1)), as a person at a terminal would: stdout is a TTY there. */
function onTerminal(args: string[]): { code: number | null; output: string } {
  const line = [process.execPath, builtCli, ...args].map(shellQuote).join(' ');
  const r = spawnSync('script', ['-qec', line, '/dev/null'], { env: { ...process.env, ...passEnv }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.error, undefined, 'script(1) from util-linux runs the command on a pseudo-terminal');
  return { code: r.status, output: r.stdout };
}

describe('secret canary: the CLI', () => {
  let saved: string;

  test('probe: the terminal trace with -v, with evidence from the lab\'s logs; --json with --report, --otlp and --keylog', async () => {
    const text = await cli('probe', ['probe', lab!.info.url, ...identityFlags(), ...headers, '--evidence', lab!.info.logs, '-v']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /> authorization: \[redacted, \d+ bytes\]/);
    assert.match(text.stdout, /> cookie: \[redacted, \d+ bytes\]/);
    assert.ok(text.stdout.includes(`> x-tenant-token: [redacted, ${Buffer.byteLength(tenant)} bytes]`));
    assert.match(text.stdout, /Verdict: passed/);
    assert.match(text.stderr, /mtls-probe: \[/, 'the -v progress lines are there (and searched)');

    saved = join(out, 'probe-run.json');
    const json = await cli('probe --json', ['probe', lab!.info.url, ...identityFlags(), ...headers, '--json', '--report', join(out, 'probe.html'), '--otlp', join(out, 'probe.otlp.json'), '--keylog', join(out, 'keylog.txt')]);
    assert.equal(json.code, 0, json.stderr);
    const run = JSON.parse(json.stdout) as { run: { secretHeaders?: string[] }; verdict: { stoppedAt: string | null } };
    assert.deepEqual(run.run.secretHeaders, ['x-tenant-token']);
    assert.equal(run.verdict.stoppedAt, null);
    await writeFile(saved, json.stdout);
    assert.ok((await readFile(join(out, 'keylog.txt'), 'utf8')).includes('CLIENT_'), 'the key log holds the session secrets (by design; not searched)');
    assert.equal((await stat(join(out, 'keylog.txt'))).mode & 0o777, 0o600);
  });

  test('probe --show-secret-headers: refused unless stdout is a terminal; on one, the trace shows the values and the files stay redacted', async () => {
    const piped = await cli('probe --show-secret-headers (piped)', ['probe', lab!.info.url, ...identityFlags(), ...headers, '--show-secret-headers']);
    assert.equal(piped.code, 2);
    assert.equal(piped.stdout, '');
    assert.match(piped.stderr, /^mtls-probe: --show-secret-headers shows secret header values on a terminal only, and stdout is not one [^\n]*\n$/);

    const shown = onTerminal(['probe', lab!.info.url, ...identityFlags(), ...headers, '--show-secret-headers', '--report', join(out, 'shown.html'), '--otlp', join(out, 'shown.otlp.json')]);
    assert.equal(shown.code, 0, shown.output);
    assert.match(shown.output, new RegExp(`> authorization: Bearer ${bearer}`));
    assert.match(shown.output, new RegExp(`> x-tenant-token: ${tenant}`));
    assert.ok(!shown.output.includes(passphrase), 'the passphrase is never shown');
    // Its files are searched with the rest (below); its terminal output, which the person asked for, is not kept.

    const json = onTerminal(['probe', lab!.info.url, ...identityFlags(), ...headers, '--show-secret-headers', '--json']);
    assert.equal(json.code, 0, json.output);
    printed.push({ what: 'probe --json --show-secret-headers (terminal)', text: json.output });
  });

  test('matrix: the table and --json', async () => {
    const spec = `valid=${lab!.info.identities.valid!.cert},${encryptedKey}`;
    for (const json of [false, true]) {
      const r = await cli(`matrix${json ? ' --json' : ''}`, ['matrix', lab!.info.url, '--cacert', lab!.info.ca, '--identity', 'none', '--identity', spec, '--pass-env', 'CANARY_PASSPHRASE', ...headers, ...(json ? ['--json'] : [])]);
      assert.equal(r.code, 0, r.stderr);
      if (json) assert.equal(r.stdout.trim().split('\n').length, 2);
    }
  });

  test('test with a workspace config marking X-Tenant-Token secret: lines, reproduce command, --json and JUnit', async () => {
    const workspace = join(inputs, 'workspace');
    await mkdir(join(workspace, '.vscode'), { recursive: true });
    const config = {
      identities: { 'tenant-client': { cert: lab!.info.identities.valid!.cert, key: encryptedKey } },
      endpoints: [
        {
          name: 'lab',
          url: lab!.info.url,
          ca: lab!.info.ca,
          secretHeaders: ['X-Tenant-Token'],
          headers: { Authorization: `Bearer ${bearer}`, Cookie: `s=${cookie}`, 'X-Tenant-Token': tenant },
          // "none" fails on purpose: a failure prints its reproduce command, and JUnit its trace in <failure>.
          expect: { none: 'target', 'tenant-client': 'target' },
        },
      ],
    };
    await writeFile(join(workspace, '.vscode', 'mtls-probe.json'), JSON.stringify(config, null, 2));
    const env = { MTLS_PROBE_PASSPHRASE_TENANT_CLIENT: passphrase };
    const lines = await cli('test', ['test', '--workspace', workspace, '--junit', join(out, 'junit.xml')], env);
    assert.equal(lines.code, 1, lines.stderr);
    assert.match(lines.stdout, /✓ lab {2}tenant-client/);
    assert.match(lines.stdout, /reproduce: curl -v .*-H "Authorization: \$\{MTLS_PROBE_HEADER_AUTHORIZATION:\?set it to the Authorization value\}"/);
    assert.match(lines.stdout, /-H "X-Tenant-Token: \$\{MTLS_PROBE_HEADER_X_TENANT_TOKEN:\?/);
    assert.match(lines.stdout, /Set MTLS_PROBE_HEADER_AUTHORIZATION \(the Authorization value\), MTLS_PROBE_HEADER_COOKIE \(the Cookie value\), MTLS_PROBE_HEADER_X_TENANT_TOKEN \(the X-Tenant-Token value\) in the environment first/);
    const junit = await readFile(join(out, 'junit.xml'), 'utf8');
    assert.ok(junit.includes(`&gt; x-tenant-token: [redacted, ${Buffer.byteLength(tenant)} bytes]`));
    assert.match(junit, /<failure /);

    const json = await cli('test --json', ['test', '--workspace', workspace, '--json'], env);
    assert.equal(json.code, 1, json.stderr);
    const parsed = JSON.parse(json.stdout) as { runs: Array<{ reproduce: { environment?: string[] } }> };
    assert.deepEqual(parsed.runs[0]!.reproduce.environment, ['MTLS_PROBE_HEADER_AUTHORIZATION', 'MTLS_PROBE_HEADER_COOKIE', 'MTLS_PROBE_HEADER_X_TENANT_TOKEN']);
    await writeFile(join(out, 'test-runs.json'), json.stdout);
  });

  test('evidence: the lab\'s records of the probe, text and --json', async () => {
    const run = JSON.parse(await readFile(saved, 'utf8')) as { correlationId: string; startedAt: string };
    const since = new Date(Date.parse(run.startedAt) - 60_000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    for (const json of [false, true]) {
      const r = await cli(`evidence${json ? ' --json' : ''}`, ['evidence', '--since', since, '--until', until, '--correlation-id', run.correlationId, '--secret-header', 'X-Tenant-Token', lab!.info.logs, ...(json ? ['--json'] : [])]);
      assert.equal(r.code, 0, r.stderr);
      if (json) assert.match(r.stdout, /"waf-log"/);
    }
  });

  test('report: the saved runs in every format', async () => {
    for (const format of ['html', 'otlp', 'json']) {
      const r = await cli(`report --format ${format}`, ['report', saved, join(out, 'test-runs.json'), '-o', join(out, `report.${format}`), '--format', format]);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  test('demo --json with its own lab (its PKI generated by the lab) and its report', async () => {
    const r = await cli('demo --json', ['demo', '--json', '--dir', demoDir, '--report', join(out, 'demo.html')]);
    assert.equal(r.code, 0, r.stderr);
  });

  test('the lab stops on SIGTERM; its output is searched too', async () => {
    const exited = new Promise<number | null>((resolve) => lab!.child.once('exit', resolve));
    lab!.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    printed.push({ what: 'lab (stdout)', text: lab!.stdout() }, { what: 'lab (stderr)', text: lab!.stderr() });
  });

  test('no marker, no passphrase and no private-key byte in anything printed or written', async () => {
    const labKeys = await keyFiles(pki);
    const demoKeys = await keyFiles(demoDir);
    assert.ok(labKeys.length >= 10 && demoKeys.length >= 10, 'both PKIs were written');
    const needles = [
      ...Object.entries(markers).map(([what, value]) => ({ what: `the ${what} marker`, bytes: Buffer.from(value) })),
      ...(await Promise.all([...labKeys, ...demoKeys, encryptedKey].map(async (file) => keyNeedles(relative(root, file), await readFile(file, 'utf8'))))).flat(),
    ];
    const isKeyFile = (path: string): boolean => path.endsWith('.key');
    const keylog = join(out, 'keylog.txt');
    // What the commands wrote: outputs, the lab's logs and its PKI but the key files themselves (and the key log).
    const files = [...(await walk(out, (p) => p === keylog || isKeyFile(p))), ...(await walk(join(root, 'lab'), isKeyFile))];
    assert.ok(files.some((f) => f.endsWith('.log.gz')) && files.some((f) => f.endsWith('junit.xml')) && files.some((f) => f.endsWith('report.otlp')), files.join('\n'));
    const found: string[] = [];
    const search = (what: string, content: Buffer): void => {
      for (const needle of needles) if (content.includes(needle.bytes)) found.push(`${what}: ${needle.what}`);
    };
    for (const { what, text } of printed) search(what, Buffer.from(text));
    for (const file of files) {
      const content = await readFile(file);
      search(relative(root, file), content);
      if (file.endsWith('.gz')) search(`${relative(root, file)} (gunzipped)`, gunzipSync(content));
    }
    assert.deepEqual(found, [], `${files.length} files and ${printed.length} outputs searched`);
  });

  test('keys written by pki generate and by the lab are 0600', async () => {
    for (const file of [...(await keyFiles(pki)), ...(await keyFiles(demoDir))]) assert.equal((await stat(file)).mode & 0o777, 0o600, file);
  });
});
