// Scanning a big AWS WAF log for one probe: LocalLogSource against `zcat FILE | jq -c 'select(…)'` on the
// same gzipped file in the same run (target: >= 3x faster, peak RSS <= 150 MB). The file — BENCH_WAF_LOG_MB of
// uncompressed JSON (default 1024, ~700-byte records) — is generated once and cached outside the repository.
// LocalLogSource runs in a child process under GNU time so its peak RSS is its own; both sides must report
// the same records. Also measured: gunzip alone (zcat, and Node's zlib as LocalLogSource uses it), to show
// how much of each side is decompression.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip, createGzip } from 'node:zlib';
import { LocalLogSource } from '../src/core/evidence/local/local-logs';

const sizeMb = Number(process.env.BENCH_WAF_LOG_MB ?? 1024);
const cacheDir = process.env.BENCH_CACHE_DIR ?? join(tmpdir(), 'mtls-probe-bench-cache');
const jq = '/usr/bin/jq';
const gnuTime = '/usr/bin/time';
/** Bump when the generated records change, so a stale cached file is not reused. */
const generatorVersion = 1;

// The probe being looked for: its trace id, and its client address (a few of its records carry only that).
const targetRequestId = '1-6650a1b2-5f0c3e9a7d21b4c8e6f9a013';
const targetIp = '198.51.100.77';
const startMs = Date.parse('2024-05-24T12:00:00Z');
const spanMs = 60 * 60_000;
const windowFrom = startMs + 20 * 60_000;
const windowTo = startMs + 35 * 60_000;

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length]!;
}

const userAgents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'curl/8.5.0',
  'okhttp/4.12.0',
  'python-requests/2.31.0',
];
const paths = ['/api/v1/orders', '/api/v1/orders/8812', '/health', '/api/v1/customers/search', '/static/app.js', '/login', '/api/v2/payments'];
const countries = ['JP', 'US', 'DE', 'SG', 'GB', 'FR', 'IN'];

/** A realistic ALB-fronted WAF record (~700 bytes): headers, labels, managed rule groups, non-terminating rules. */
function wafRecord(timestamp: number, clientIp: string, requestId: string, n: number): string {
  const blocked = n % 97 === 0;
  const traceHex = requestId.slice(2);
  return JSON.stringify({
    timestamp,
    formatVersion: 1,
    webaclId: 'arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/front-acl/4f2c9a8e-1b3d-4e5f-9a7b-0c1d2e3f4a5b',
    terminatingRuleId: blocked ? 'AWSManagedRulesCommonRuleSet' : 'Default_Action',
    terminatingRuleType: blocked ? 'MANAGED_RULE_GROUP' : 'REGULAR',
    action: blocked ? 'BLOCK' : 'ALLOW',
    terminatingRuleMatchDetails: [],
    httpSourceName: 'ALB',
    httpSourceId: '123456789012-app/front/50dc6c495c0c9188',
    ruleGroupList: [
      { ruleGroupId: 'AWS#AWSManagedRulesCommonRuleSet', terminatingRule: blocked ? { ruleId: 'CrossSiteScripting_QUERYARGUMENTS', action: 'BLOCK' } : null, nonTerminatingMatchingRules: [], excludedRules: null },
      { ruleGroupId: 'AWS#AWSManagedRulesKnownBadInputsRuleSet', terminatingRule: null, nonTerminatingMatchingRules: [], excludedRules: null },
    ],
    rateBasedRuleList: [],
    nonTerminatingMatchingRules: [],
    requestHeadersInserted: null,
    responseCodeSent: null,
    httpRequest: {
      clientIp,
      country: pick(countries, n),
      headers: [
        { name: 'Host', value: 'api.example.com' },
        { name: 'User-Agent', value: pick(userAgents, n >> 3) },
        { name: 'Accept', value: '*/*' },
        { name: 'X-Amzn-Trace-Id', value: `Root=${requestId}` },
        { name: 'X-Request-Nonce', value: traceHex.slice(9, 21) },
      ],
      uri: pick(paths, n >> 2),
      args: n % 5 === 0 ? `page=${n % 40}&sort=desc` : '',
      httpVersion: 'HTTP/1.1',
      httpMethod: n % 9 === 0 ? 'POST' : 'GET',
      requestId,
    },
    labels: blocked ? [{ name: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments' }] : [{ name: 'awswaf:clientip:geo:country:' + pick(countries, n) }],
    ja3Fingerprint: traceHex.slice(0, 32).padEnd(32, '0'),
  });
}

interface Planted {
  timestamp: number;
  requestId: string;
  clientIp: string;
  inWindow: boolean;
}

/** Where the probe's records go: by trace id, by client IP only, and two outside the window. */
function plantedRecords(total: number): Array<Planted & { index: number }> {
  const at = (fraction: number): number => Math.floor(total * fraction);
  const time = (index: number): number => startMs + Math.floor((index / total) * spanMs);
  const plan = [
    { index: at(0.05), requestId: targetRequestId, clientIp: targetIp },
    { index: at(0.4), requestId: targetRequestId, clientIp: '203.0.113.200' },
    { index: at(0.45), requestId: `1-6650a1b2-${'a1'.repeat(12)}`, clientIp: targetIp },
    { index: at(0.5), requestId: targetRequestId, clientIp: targetIp },
    { index: at(0.55), requestId: `1-6650a1b2-${'b2'.repeat(12)}`, clientIp: targetIp },
    { index: at(0.9), requestId: targetRequestId, clientIp: targetIp },
  ];
  return plan.map((p) => ({ ...p, timestamp: time(p.index), inWindow: time(p.index) >= windowFrom && time(p.index) <= windowTo }));
}

async function generate(file: string, bytes: number): Promise<{ records: number }> {
  // ~760 bytes per line on average: estimate the count, then plant the probe's records among them.
  const estimate = Math.max(100, Math.round(bytes / 760));
  const planted = new Map(plantedRecords(estimate).map((p) => [p.index, p]));
  let n = 0;
  let written = 0;
  const random = randomBytes(12 * 4096);
  function* lines(): Generator<string> {
    while (written < bytes || n < estimate) {
      const batch: string[] = [];
      for (let i = 0; i < 2000 && (written < bytes || n < estimate); i++, n++) {
        const plant = planted.get(n);
        const offset = (n % 4096) * 12;
        const id = `1-${Math.floor((startMs + (n / estimate) * spanMs) / 1000).toString(16)}-${random.subarray(offset, offset + 12).toString('hex').replace(/^(.{4})/, (n & 0xffff).toString(16).padStart(4, '0'))}`;
        const ip = `${10 + (n % 200)}.${(n >> 3) % 256}.${(n >> 7) % 256}.${(n * 7) % 254 + 1}`;
        const line = plant ? wafRecord(plant.timestamp, plant.clientIp, plant.requestId, n) : wafRecord(startMs + Math.floor((n / estimate) * spanMs), ip, id, n);
        written += line.length + 1;
        batch.push(line);
      }
      yield `${batch.join('\n')}\n`;
    }
  }
  const partial = `${file}.partial`;
  await pipeline(Readable.from(lines()), createGzip({ level: 6 }), createWriteStream(partial));
  await rename(partial, file);
  return { records: n };
}

function timeCommand(command: string, args: string[], capture: boolean): Promise<{ seconds: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
      else resolve({ seconds, stdout, stderr });
    });
  });
}

interface FoundRecord {
  timestamp: number;
  requestId: string;
  clientIp: string;
}

const recordKey = (r: FoundRecord): string => `${r.timestamp} ${r.requestId} ${r.clientIp}`;

/** The child: LocalLogSource over the file, printing what it found and how long collect() took. */
async function scanChild(file: string): Promise<void> {
  const start = performance.now();
  const report = await new LocalLogSource([file]).collect({ from: new Date(windowFrom), to: new Date(windowTo) }, { traceId: `Root=${targetRequestId}`, clientIp: targetIp });
  const seconds = (performance.now() - start) / 1000;
  const found = report.events.map((e) => {
    const record = e.record as { timestamp: number; httpRequest: { requestId: string; clientIp: string } };
    return { timestamp: record.timestamp, requestId: record.httpRequest.requestId, clientIp: record.httpRequest.clientIp };
  });
  process.stdout.write(JSON.stringify({ seconds, found, stats: report.stats, problems: report.problems, maxRssKb: process.resourceUsage().maxRSS }));
}

async function nodeGunzipSeconds(file: string): Promise<number> {
  const start = performance.now();
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 20 }))) bytes += (chunk as Buffer).length;
  if (bytes === 0) throw new Error('empty file');
  return (performance.now() - start) / 1000;
}

export interface WafLogScanBenchResult {
  uncompressedMb: number;
  compressedMb: number;
  records: number;
  jqSeconds: number;
  localLogSourceSeconds: number;
  /** collect() alone, inside the child (without Node/tsx start-up). */
  localLogSourceCollectSeconds: number;
  ratio: number;
  localLogSourcePeakRssMb: number;
  zcatOnlySeconds: number;
  nodeGunzipOnlySeconds: number;
  /** Share of LocalLogSource's collect() that Node's gunzip alone takes. */
  gunzipShareOfLocalLogSource: number;
  recordsFound: number;
  sameRecords: boolean;
  skippedLines: number;
}

export async function runWafLogScanBench(): Promise<WafLogScanBenchResult> {
  for (const binary of [jq, gnuTime, '/usr/bin/zcat']) if (!existsSync(binary)) throw new Error(`${binary} is missing: apt-get install -y jq time gzip`);
  await mkdir(cacheDir, { recursive: true });
  const file = join(cacheDir, `waf-log-${sizeMb}mb-v${generatorVersion}.json.gz`);
  const countFile = `${file}.records`;
  let records: number;
  if (!existsSync(file) || !existsSync(countFile)) {
    const generated = await generate(file, sizeMb * 1024 * 1024);
    records = generated.records;
    await writeFile(countFile, String(records));
  } else {
    records = Number(await readFile(countFile, 'utf8'));
  }
  const compressedMb = (await stat(file)).size / (1024 * 1024);

  const filter = `select(.httpRequest.requestId == "${targetRequestId}" or .httpRequest.clientIp == "${targetIp}") | select(.timestamp >= ${windowFrom} and .timestamp <= ${windowTo})`;
  const jqRun = await timeCommand('/bin/bash', ['-c', `set -o pipefail; zcat '${file}' | ${jq} -c '${filter}'`], true);
  const jqFound = jqRun.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const r = JSON.parse(l) as { timestamp: number; httpRequest: { requestId: string; clientIp: string } };
      return { timestamp: r.timestamp, requestId: r.httpRequest.requestId, clientIp: r.httpRequest.clientIp };
    });

  const child = await timeCommand(gnuTime, ['-v', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--scan-child', file], true);
  const childReport = JSON.parse(child.stdout) as { seconds: number; found: FoundRecord[]; stats: { skippedLines: number; lines: number }; problems: unknown[] };
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr)?.[1] ?? NaN);

  const zcatOnly = await timeCommand('/bin/bash', ['-c', `zcat '${file}' > /dev/null`], false);
  const nodeGunzipOnlySeconds = await nodeGunzipSeconds(file);

  const expected = plantedRecords(records).filter((p) => p.inWindow);
  const jqKeys = jqFound.map(recordKey).sort();
  const ourKeys = childReport.found.map(recordKey).sort();
  const sameRecords = JSON.stringify(jqKeys) === JSON.stringify(ourKeys) && jqKeys.length === expected.length;
  if (!sameRecords) throw new Error(`the two scans disagree: jq ${JSON.stringify(jqKeys)}, LocalLogSource ${JSON.stringify(ourKeys)}, planted in window ${expected.length}`);
  if (childReport.problems.length > 0) throw new Error(`LocalLogSource reported problems: ${JSON.stringify(childReport.problems)}`);
  return {
    uncompressedMb: sizeMb,
    compressedMb,
    records,
    jqSeconds: jqRun.seconds,
    localLogSourceSeconds: child.seconds,
    localLogSourceCollectSeconds: childReport.seconds,
    ratio: jqRun.seconds / child.seconds,
    localLogSourcePeakRssMb: rssKb / 1024,
    zcatOnlySeconds: zcatOnly.seconds,
    nodeGunzipOnlySeconds,
    gunzipShareOfLocalLogSource: nodeGunzipOnlySeconds / childReport.seconds,
    recordsFound: ourKeys.length,
    sameRecords,
    skippedLines: childReport.stats.skippedLines,
  };
}

export function describeWafLogScanBench(r: WafLogScanBenchResult): string {
  const s = (value: number): string => `${value.toFixed(2)} s`;
  return (
    `WAF log scan, ${r.uncompressedMb} MB uncompressed (${r.compressedMb.toFixed(0)} MB gzip, ${r.records.toLocaleString('en')} records), one trace id / client IP in a 15-minute window:\n` +
    `  zcat | jq -c 'select(…)': ${s(r.jqSeconds)}; LocalLogSource (whole child process): ${s(r.localLogSourceSeconds)} (collect() ${s(r.localLogSourceCollectSeconds)}) — ${r.ratio.toFixed(1)}x faster (target >= 3x)\n` +
    `  LocalLogSource peak RSS ${r.localLogSourcePeakRssMb.toFixed(0)} MB (target <= 150 MB); both found the same ${r.recordsFound} records; skipped lines ${r.skippedLines}\n` +
    `  gunzip alone: zcat ${s(r.zcatOnlySeconds)}, Node zlib ${s(r.nodeGunzipOnlySeconds)} (${(r.gunzipShareOfLocalLogSource * 100).toFixed(0)} % of collect())`
  );
}

const childFlag = process.argv.indexOf('--scan-child');
if (childFlag !== -1) {
  void scanChild(process.argv[childFlag + 1]!);
} else if (process.argv[1]?.endsWith('waf-log-scan.ts')) {
  void runWafLogScanBench().then((r) => console.log(describeWafLogScanBench(r)));
}
