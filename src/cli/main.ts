import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { IdentityError } from '../core/identity/identity-error';
import { loadPemIdentity, loadPfxIdentity, type ClientIdentity } from '../core/identity/client-identity';
import { runMatrix, type MatrixEndpoint, type MatrixIdentity } from '../core/probe/matrix';
import { ProbeAbortedError, ProbeInputError } from '../core/probe/probe';
import type { ProbeOptions, TlsVersionName } from '../core/probe/types';
import { formatProbeReport } from '../core/report/curl-style';
import { currentResult, type CheckRun } from '../core/runs/check-run';
import { runJson } from '../core/runs/run-json';
import { runCheck, runFromResult } from '../core/runs/run-service';
import type { CommandIo } from './commands/command-io';
import { awsFlagNames, awsFlagOptions } from './aws-flags';
import { version } from './version';

/** A usage or input problem: printed as one line, exit code 2. */
class UsageError extends Error {}

const usage = `mtls-probe ${version} — probe mutual-TLS endpoints and name the layer where a request stops

Usage:
  mtls-probe probe URL [options]        one traced attempt, printed like curl -v plus a verdict
  mtls-probe demo [--report FILE.html] [--json]
                                        the seed experiment against the local lab: six cases, verdicts confirmed by
                                        the lab's AWS-format logs, a table and the timeline of all of them
  mtls-probe lab [--port N] [--dir DIR] [--mode verify|passthrough|off] [--json]
                                        run the local lab until Ctrl-C: an ALB-shaped mTLS listener, a WAF, a target
  mtls-probe report RUN.json... -o FILE.html [--format html|otlp|json]
                                        the timeline of saved runs (--json output, exports) as one self-contained page
  mtls-probe matrix URL... --identity SPEC... [--repeat N] [--concurrency N] [--json]
  mtls-probe cert inspect FILE... [--json] [--pass-env VAR]
                                        certificates, keys, CSRs, CRLs, PKCS#7 and PKCS#12: fields, validity, chain
  mtls-probe cert pairs DIR [--json]    match certificates to private keys by public key
  mtls-probe truststore lint FILE [--json]
                                        check a CA bundle against AWS ALB's trust-store rules
  mtls-probe pki generate DIR [--key rsa2048|p256] [--force] [--json]
                                        a test PKI with one client identity per rejection case
  mtls-probe evidence --since ISO --until ISO [--correlation-id ID] [--client-ip IP] [--client-port N] [--serial HEX] [--json] PATH...
                                        find one probe's records in ALB connection/access logs, AWS WAF and ModSecurity logs
  mtls-probe test [--workspace DIR] [--config FILE] [--endpoint NAME]... [--junit FILE] [--json] [--concurrency N]
                                        run the expectations in .vscode/mtls-probe.json; exit 1 when one fails
                                        (passphrases from MTLS_PROBE_PASSPHRASE_<IDENTITY>; see mtls-probe test --help)

Identity:
  --cert FILE            client certificate (PEM or DER; may hold the chain, and the key)
  --key FILE             private key (PKCS#8, PKCS#1 or SEC1; PEM or DER; encrypted PKCS#8 too)
  --pfx FILE             PKCS#12 / PFX file (legacy RC2/3DES and modern AES both work)
  --pass-env VAR         read the key or PFX passphrase from environment variable VAR (never from the command line)

Server trust and routing:
  --cacert FILE          CA certificates to trust for the server (default: the system store)
  -k, --insecure         do not verify the server certificate
  --connect-to H:P:H2:P2 connect to H2:P2 instead of H:P (empty H or P matches any), like curl
  --resolve H:P:ADDR     use ADDR for H:P, like curl
  --sni NAME             server name to send (default: the URL host)

TLS and HTTP:
  --tls-min 1.2|1.3      lowest TLS version to offer (default 1.2)
  --tls-max 1.2|1.3      highest TLS version to offer (default 1.3)
  --alpn LIST            ALPN protocols to offer (default h2,http/1.1); --http1.1 is --alpn http/1.1
  -X, --request METHOD   HTTP method (default GET)
  -H, --header "K: V"    extra request header (repeatable)
  -d, --data TEXT        request body
  --handshake-only       stop after the TLS handshake
  --timeout MS           time limit for each phase: DNS, connect, handshake, response
                         (default 5000, 5000, 10000 and 15000)
  --connect-timeout MS   time limit for the TCP connect alone

Output:
  --json                 print exactly one JSON object (the run: the probe result, its verdict, evidence) on stdout
  --report FILE.html     also write the run's timeline as a self-contained HTML page (evidence included)
  --otlp FILE            also write the run as OpenTelemetry JSON (OTLP) spans, for Jaeger or Grafana Tempo
  --keylog FILE          append the session's TLS secrets in NSS key log format (for Wireshark)
  --no-timestamps        human output without the time column

Evidence (probe):
  --evidence PATH|aws    after the probe, read these logs (file or folder, repeatable: ALB connection/access logs,
                         AWS WAF JSON logs, ModSecurity JSON audit logs, plain or .gz), or "aws" for the listener,
                         CloudWatch metrics, WAF records and ALB logs in S3; the verdict is confirmed with them
  --correlation-id ID    send this X-Amzn-Trace-Id (Root=1-<8 hex>-<24 hex>) instead of a fresh one
  --aws-profile, --aws-region, --listener-arn, --load-balancer-arn, --web-acl-arn, --waf-log-group, --alb-logs, --wait
                         with --evidence aws: see mtls-probe evidence --help

Matrix:
  --identity SPEC        none | [LABEL=]CERT,KEY | [LABEL=]FILE.p12 (repeatable; --pass-env applies to all)
  --repeat N             probe each endpoint × identity pair N times (default 1)
  --concurrency N        probes in flight at once (default 16)

Exit status: 0 when the probe ran (whatever the verdict), 2 for bad arguments or unreadable files, 130 when interrupted.
`;

const options = {
  cert: { type: 'string' },
  key: { type: 'string' },
  pfx: { type: 'string' },
  'pass-env': { type: 'string' },
  cacert: { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
  'connect-to': { type: 'string' },
  resolve: { type: 'string' },
  sni: { type: 'string' },
  'tls-min': { type: 'string' },
  'tls-max': { type: 'string' },
  alpn: { type: 'string' },
  'http1.1': { type: 'boolean' },
  request: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  data: { type: 'string', short: 'd' },
  'handshake-only': { type: 'boolean' },
  timeout: { type: 'string' },
  'connect-timeout': { type: 'string' },
  json: { type: 'boolean' },
  report: { type: 'string' },
  otlp: { type: 'string' },
  keylog: { type: 'string' },
  'no-timestamps': { type: 'boolean' },
  evidence: { type: 'string', multiple: true },
  'correlation-id': { type: 'string' },
  ...awsFlagOptions,
  demo: { type: 'boolean' },
  identity: { type: 'string', multiple: true },
  repeat: { type: 'string' },
  concurrency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} satisfies ParseArgsConfig['options'];

type EvidenceRequestFromFlags = import('./commands/evidence').ProbeEvidenceRequest;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>['values'];

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive whole number, not "${value}".`);
  return n;
}

function tlsVersion(value: string | undefined, flag: string): TlsVersionName | undefined {
  if (value === undefined) return undefined;
  const v = value.replace(/^TLSv?/i, '');
  if (v === '1.2') return 'TLSv1.2';
  if (v === '1.3') return 'TLSv1.3';
  throw new UsageError(`${flag} takes 1.2 or 1.3, not "${value}".`);
}

/** Splits "host:port" pieces where a host may be an [IPv6] literal. */
function splitHostPorts(spec: string): string[] {
  return [...spec.matchAll(/\[[^\]]*\]|[^:]+|(?<=:)(?=:|$)|^(?=:)/g)].map((m) => m[0].replace(/^\[|\]$/g, ''));
}

export function parseConnectTo(spec: string, url: URL): { host: string; port: number } | undefined {
  const parts = splitHostPorts(spec);
  if (parts.length !== 4) throw new UsageError(`--connect-to takes HOST1:PORT1:HOST2:PORT2, not "${spec}".`);
  const [h1, p1, h2, p2] = parts as [string, string, string, string];
  const urlHost = url.hostname.replace(/^\[|\]$/g, '');
  const urlPort = url.port || '443';
  if ((h1 !== '' && h1 !== urlHost) || (p1 !== '' && p1 !== urlPort)) return undefined;
  const port = p2 === '' ? Number(urlPort) : Number(p2);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new UsageError(`--connect-to: "${p2}" is not a port.`);
  return { host: h2 === '' ? urlHost : h2, port };
}

export function parseResolve(spec: string, url: URL): { host: string; port: number } | undefined {
  const parts = splitHostPorts(spec);
  if (parts.length !== 3) throw new UsageError(`--resolve takes HOST:PORT:ADDRESS, not "${spec}".`);
  const [h, p, addr] = parts as [string, string, string];
  const urlHost = url.hostname.replace(/^\[|\]$/g, '');
  const urlPort = url.port || '443';
  if (h !== urlHost || p !== urlPort) return undefined;
  return { host: addr, port: Number(p) };
}

function passphraseFrom(values: Values): string | undefined {
  const name = values['pass-env'];
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (value === undefined) throw new UsageError(`--pass-env ${name}: the environment variable ${name} is not set.`);
  return value;
}

async function loadIdentityFromFlags(values: Values): Promise<ClientIdentity | null> {
  const passphrase = passphraseFrom(values);
  if (values.pfx !== undefined) {
    if (values.cert !== undefined || values.key !== undefined) throw new UsageError('Give either --pfx or --cert/--key, not both.');
    return loadPfxIdentity({ pfxFile: values.pfx, ...(passphrase !== undefined ? { passphrase } : {}) });
  }
  if (values.key !== undefined && values.cert === undefined) throw new UsageError('--key needs --cert.');
  if (values.cert === undefined) return null;
  return loadPemIdentity({ certFile: values.cert, ...(values.key !== undefined ? { keyFile: values.key } : {}), ...(passphrase !== undefined ? { passphrase } : {}) });
}

async function readCa(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'latin1');
  } catch (e) {
    throw new IdentityError('file_unreadable', file, `--cacert ${file} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new IdentityError('no_certificate', file, `--cacert ${file} contains no PEM CERTIFICATE block.`);
  }
  return text;
}

function probeOptionsFrom(values: Values, url: string, ca: string | undefined): Omit<ProbeOptions, 'identity'> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL: give one like https://api.example.com/health.`);
  }
  const connectTo = values['connect-to'] ? parseConnectTo(values['connect-to'], parsed) : values.resolve ? parseResolve(values.resolve, parsed) : undefined;
  const phaseTimeout = positiveInt(values.timeout, '--timeout');
  const connectTimeout = positiveInt(values['connect-timeout'], '--connect-timeout');
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`-H takes "Name: value", not "${h}".`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const tlsMin = tlsVersion(values['tls-min'], '--tls-min');
  const tlsMax = tlsVersion(values['tls-max'], '--tls-max');
  const alpn = values['http1.1'] ? ['http/1.1'] : values.alpn?.split(',').map((s) => s.trim()).filter(Boolean);
  const hostHeader = Object.entries(headers).find(([k]) => k.toLowerCase() === 'host')?.[1];
  return {
    url,
    ...(ca !== undefined ? { ca } : {}),
    ...(values.insecure ? { insecure: true } : {}),
    ...(values.sni !== undefined ? { serverName: values.sni } : {}),
    ...(hostHeader !== undefined ? { hostHeader } : {}),
    ...(connectTo ? { connectTo } : {}),
    ...(tlsMin ? { tlsMinVersion: tlsMin } : {}),
    ...(tlsMax ? { tlsMaxVersion: tlsMax } : {}),
    ...(alpn ? { alpn } : {}),
    ...(values.request ? { method: values.request } : {}),
    headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'host')),
    ...(values.data !== undefined ? { body: values.data } : {}),
    ...(values['handshake-only'] ? { handshakeOnly: true } : {}),
    timeouts: {
      ...(phaseTimeout ? { dns: phaseTimeout, connect: phaseTimeout, tls: phaseTimeout, http: phaseTimeout } : {}),
      ...(connectTimeout ? { connect: connectTimeout } : {}),
    },
  };
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function printRun(run: CheckRun, values: Values): void {
  print(formatProbeReport(currentResult(run), { timestamps: !values['no-timestamps'] }));
}

/** --report and --otlp: the run's files beside the terminal output; the page's path is printed for a person. */
async function writeExports(runs: CheckRun[], values: Values, title?: string): Promise<void> {
  const targets = [values.report !== undefined ? ([values.report, 'html'] as const) : null, values.otlp !== undefined ? ([values.otlp, 'otlp'] as const) : null].filter((t) => t !== null);
  if (targets.length === 0) return;
  const { exportRuns } = await import('../core/runs/run-exports');
  for (const [file, format] of targets) {
    try {
      await writeFile(file, await exportRuns(runs, format, title !== undefined ? { title } : {}));
    } catch (e) {
      throw new UsageError(`--${format === 'html' ? 'report' : 'otlp'} ${file} could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
    if (!values.json) process.stderr.write(`mtls-probe: ${format === 'html' ? 'timeline report' : 'OpenTelemetry trace'} written to ${file}\n`);
  }
}

async function appendKeyLog(file: string | undefined, keyLog: string): Promise<void> {
  if (file === undefined || keyLog.length === 0) return;
  await writeFile(file, keyLog, { flag: 'a', mode: 0o600 });
}

async function runProbe(positionals: string[], values: Values, signal: AbortSignal): Promise<number> {
  if (values.demo) throw new UsageError('the demo is its own command now: mtls-probe demo (or npm run demo).');
  if (positionals.length !== 1) throw new UsageError('probe takes one URL. See mtls-probe --help.');
  const correlationId = values['correlation-id'];
  if (correlationId !== undefined && !/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/i.test(correlationId)) {
    throw new UsageError(`--correlation-id takes an X-Amzn-Trace-Id like Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca (8 and 24 hex digits), not "${correlationId}".`);
  }
  // The log readers (and the AWS SDK) load only when asked for: a plain probe starts as fast as before.
  const wantsEvidence = values.evidence !== undefined || awsFlagNames.some((flag) => values[flag] !== undefined);
  const evidence = wantsEvidence ? await import('./commands/evidence') : undefined;
  let evidenceRequest: EvidenceRequestFromFlags | undefined;
  if (evidence !== undefined) {
    try {
      const targets = evidence.splitEvidenceTargets(values.evidence ?? []);
      evidence.checkAwsFlagsUsed(values, targets.aws, '--evidence aws');
      await evidence.checkEvidencePaths(targets.logs);
      const port = URL.canParse(positionals[0]!) ? Number(new URL(positionals[0]!).port || 443) : undefined;
      evidenceRequest = { logs: targets.logs, ...(targets.aws ? { aws: evidence.awsSettingsFromFlags(values) } : {}), ...(port !== undefined ? { port } : {}) };
      const waitMs = evidence.parseWait(values.wait);
      if (waitMs !== undefined) evidenceRequest.waitMs = waitMs;
      if (!values.json) evidenceRequest.onWaiting = (message) => process.stderr.write(`mtls-probe: ${message}\n`);
    } catch (e) {
      throw e instanceof evidence.EvidenceInputError ? new UsageError(e.message) : e;
    }
  }
  const identity = await loadIdentityFromFlags(values);
  const ca = await readCa(values.cacert);
  const url = positionals[0]!;
  let keyLog = '';
  const run = await runCheck({ kind: 'url', name: url, options: probeOptionsFrom(values, url, ca) }, identity, {
    signal,
    ...(correlationId !== undefined ? { correlationId } : {}),
    onKeyLog: (k) => (keyLog += k),
    ...(evidenceRequest !== undefined
      ? {
          evidence: {
            request: evidenceRequest,
            signal,
            ...(evidenceRequest.waitMs !== undefined ? { waitUntil: new Date(Date.now() + evidenceRequest.waitMs) } : {}),
            ...(evidenceRequest.onWaiting !== undefined ? { onWaiting: evidenceRequest.onWaiting } : {}),
          },
        }
      : {}),
  });
  // Ctrl-C while reading logs ends the run like Ctrl-C during the probe (exit 130).
  if (signal.aborted) throw new ProbeAbortedError();
  await appendKeyLog(values.keylog, keyLog);
  await writeExports([run], values);
  if (values.json) print(JSON.stringify(runJson(run)));
  else if (evidence !== undefined && run.evidence !== undefined && evidenceRequest !== undefined) {
    print(evidence.formatRunReportWithEvidence(run, { timestamps: !values['no-timestamps'] }));
    const hint = evidence.lookAgainHint(run.evidence, evidenceRequest);
    if (hint !== null) print(`\n${hint}`);
  } else printRun(run, values);
  return 0;
}

async function matrixIdentities(specs: string[], passphrase: string | undefined): Promise<MatrixIdentity[]> {
  const out: MatrixIdentity[] = [];
  for (const spec of specs.length > 0 ? specs : ['none']) {
    if (spec === 'none') {
      out.push({ label: 'none', identity: null });
      continue;
    }
    const eq = spec.indexOf('=');
    const label = eq > 0 ? spec.slice(0, eq) : undefined;
    const files = (eq > 0 ? spec.slice(eq + 1) : spec).split(',');
    const pass = passphrase !== undefined ? { passphrase } : {};
    let identity: ClientIdentity;
    if (files.length === 1 && /\.(p12|pfx)$/i.test(files[0]!)) identity = await loadPfxIdentity({ pfxFile: files[0]!, ...pass, ...(label ? { label } : {}) });
    else if (files.length === 2) identity = await loadPemIdentity({ certFile: files[0]!, keyFile: files[1]!, ...pass, ...(label ? { label } : {}) });
    else if (files.length === 1) identity = await loadPemIdentity({ certFile: files[0]!, ...pass, ...(label ? { label } : {}) });
    else throw new UsageError(`--identity takes none, [LABEL=]CERT,KEY or [LABEL=]FILE.p12, not "${spec}".`);
    out.push({ label: identity.label, identity });
  }
  return out;
}

async function runMatrixCommand(positionals: string[], values: Values, signal: AbortSignal): Promise<number> {
  if (positionals.length === 0) throw new UsageError('matrix takes one or more URLs. See mtls-probe --help.');
  const ca = await readCa(values.cacert);
  const endpoints: MatrixEndpoint[] = positionals.map((url) => ({ label: url, options: probeOptionsFrom(values, url, ca) }));
  const identities = await matrixIdentities(values.identity ?? [], passphraseFrom(values));
  const repeat = positiveInt(values.repeat, '--repeat') ?? 1;
  const concurrency = positiveInt(values.concurrency, '--concurrency') ?? 16;
  const rows = await runMatrix(endpoints, identities, {
    repeat,
    concurrency,
    signal,
    ...(values.json ? { onRow: (row) => print(JSON.stringify({ endpoint: row.endpoint, identity: row.identity, iteration: row.iteration, result: runJson(runFromResult(row.result, { endpointName: row.endpoint, identityName: row.identity })) })) } : {}),
  });
  if (!values.json) {
    const header = ['ENDPOINT', 'IDENTITY', 'STOPPED AT', 'REASON', 'TLS', 'HTTP', 'TOTAL ms'];
    const table = rows.map((r) => [r.endpoint, r.identity, r.result.verdict.stoppedAt ?? 'passed', r.result.verdict.reason, r.result.tls.version ?? '-', r.result.http ? String(r.result.http.status) : '-', r.result.timings.total.toFixed(1)]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    for (const row of [header, ...table]) print(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  }
  return 0;
}

// Commands with their own option tables get the arguments that follow their name, unparsed. They load
// on use: the certificate libraries would otherwise add ~40 ms to every probe's start-up.
const toolkitCommands: Record<string, () => Promise<(args: string[], io: CommandIo) => Promise<number>>> = {
  cert: async () => (await import('./commands/cert')).runCertCommand,
  truststore: async () => (await import('./commands/truststore')).runTrustStoreCommand,
  pki: async () => (await import('./commands/pki')).runPkiCommand,
  test: async () => (await import('./commands/test')).runTestCommand,
  evidence: async () => (await import('./commands/evidence')).runEvidenceCommand,
  report: async () => (await import('./commands/report')).runReportCommand,
  lab: async () => (await import('./commands/lab')).runLabCommand,
  demo: async () => (await import('./commands/demo')).runDemoCommand,
};

const stdio: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export async function main(argv: string[]): Promise<number> {
  const loadToolkitCommand = argv[0] === undefined ? undefined : toolkitCommands[argv[0]];
  if (loadToolkitCommand !== undefined) {
    try {
      return await (await loadToolkitCommand())(argv.slice(1), stdio);
    } catch (e) {
      process.stderr.write(`mtls-probe: internal error: ${(e as Error).message ?? String(e)}\nPlease report this with the command you ran.\n`);
      return 1;
    }
  }
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (values.version) {
      print(version);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      print(usage);
      return command === undefined && !values.help ? 2 : 0;
    }
    switch (command) {
      case 'probe':
        return await runProbe(rest, values, controller.signal);
      case 'matrix':
        return await runMatrixCommand(rest, values, controller.signal);
      default:
        throw new UsageError(`Unknown command "${command}". Commands: probe, matrix, test, evidence, report, demo, lab, cert, truststore, pki. See mtls-probe --help.`);
    }
  } catch (e) {
    if (e instanceof ProbeAbortedError) {
      process.stderr.write('mtls-probe: interrupted\n');
      return 130;
    }
    if (e instanceof UsageError || e instanceof IdentityError || e instanceof ProbeInputError) {
      process.stderr.write(`mtls-probe: ${e.message}\n`);
      return 2;
    }
    if ((e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`mtls-probe: ${(e as Error).message}. See mtls-probe --help.\n`);
      return 2;
    }
    process.stderr.write(`mtls-probe: internal error: ${(e as Error).message ?? String(e)}\nPlease report this with the command you ran.\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 1;
    },
  );
}
