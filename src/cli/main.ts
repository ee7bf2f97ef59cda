import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { IdentityError } from '../core/identity/identity-error';
import { loadPemIdentity, loadPfxIdentity, type ClientIdentity } from '../core/identity/client-identity';
import { loadIdentitySpec } from '../core/identity/identity-spec';
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
import { defaultMatrixConcurrency, matrixUsage, overview, probeUsage } from './usage';

/** A usage or input problem: printed as one line, exit code 2. */
class UsageError extends Error {}

// Options of one command given to the other would be silently ignored: they are refused instead.
const probeOnlyFlags = ['cert', 'key', 'pfx', 'report', 'otlp', 'keylog', 'no-timestamps', 'evidence', 'correlation-id', ...awsFlagNames] as const;
const matrixOnlyFlags = ['identity', 'repeat', 'concurrency'] as const;

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

/** The URL, or an error that shows the URL meant: "api.example.com/health" is https://api.example.com/health. */
function parseProbeUrl(url: string): URL {
  // Without "//" new URL() fails on "host/path" and takes "host:8443" for a scheme: both are a host without https://.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const meant = `https://${url.replace(/^\/+/, '')}`;
    if (URL.canParse(meant)) throw new UsageError(`"${url}" has no scheme: did you mean ${meant}?`);
  } else if (/^http:\/\//i.test(url)) {
    throw new UsageError(`"${url}" is not an https:// URL, and mTLS needs TLS: did you mean https://${url.slice('http://'.length)}?`);
  }
  try {
    return new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL: give one like https://api.example.com/health.`);
  }
}

function probeOptionsFrom(values: Values, url: string, ca: string | undefined): Omit<ProbeOptions, 'identity'> {
  const parsed = parseProbeUrl(url);
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

function refuseFlags(values: Values, flags: readonly (keyof Values)[], command: 'probe' | 'matrix'): void {
  const given = flags.find((flag) => values[flag] !== undefined);
  if (given !== undefined) throw new UsageError(`--${String(given)} is not a ${command} option. See mtls-probe ${command} --help.`);
}

async function runProbe(positionals: string[], values: Values, signal: AbortSignal): Promise<number> {
  if (values.demo) throw new UsageError('the demo is its own command now: mtls-probe demo (or npm run demo).');
  if (positionals.length !== 1) throw new UsageError(`probe takes one URL${positionals.length > 1 ? `, not ${positionals.length} (several: mtls-probe matrix)` : ''}. See mtls-probe probe --help.`);
  refuseFlags(values, matrixOnlyFlags, 'probe');
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
    const identity = spec.trim() === 'none' ? null : await loadIdentitySpec(spec, passphrase);
    out.push({ label: identity?.label ?? 'none', identity });
  }
  return out;
}

async function runMatrixCommand(positionals: string[], values: Values, signal: AbortSignal): Promise<number> {
  if (positionals.length === 0) throw new UsageError('matrix takes one or more URLs. See mtls-probe matrix --help.');
  refuseFlags(values, probeOnlyFlags, 'matrix');
  const ca = await readCa(values.cacert);
  const endpoints: MatrixEndpoint[] = positionals.map((url) => ({ label: url, options: probeOptionsFrom(values, url, ca) }));
  const identities = await matrixIdentities(values.identity ?? [], passphraseFrom(values));
  const repeat = positiveInt(values.repeat, '--repeat') ?? 1;
  const concurrency = positiveInt(values.concurrency, '--concurrency') ?? defaultMatrixConcurrency;
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
      const topic = command === 'help' ? rest[0] : command;
      if (topic !== undefined && toolkitCommands[topic] !== undefined) return await (await toolkitCommands[topic]())(['--help'], stdio);
      print(topic === 'probe' ? probeUsage : topic === 'matrix' ? matrixUsage : overview);
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
      const command = ['probe', 'matrix'].find((c) => argv[0] === c);
      // Node appends how to pass a positional that starts with "-": noise next to a mistyped option.
      const message = (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
      process.stderr.write(`mtls-probe: ${message}. See mtls-probe${command ? ` ${command}` : ''} --help.\n`);
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
