// The editor hover on PEM text: blockAt + inspectCertificate + certificateHoverMarkdown for a position inside
// the 13th certificate of a 25-certificate bundle (target: <= 20 ms), measured cold (a fresh process for each
// run, so no cache holds anything: the first hover) and warm (median of 200, the same hover again), against
// `new X509Certificate(der).subject` for the same certificate, the least node:crypto can do. Also: the hover
// with the workspace lookups (matching key, issuing CA), blockAt alone, and the diagnostics' full scans.

import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { certificateFindings } from '../src/core/certs/certificate-diagnostics';
import { certificateHoverMarkdown, type CertificateHoverContext } from '../src/core/certs/certificate-hover';
import { inspectCertificate } from '../src/core/certs/inspect';
import { blockAt, findCertificateBlocks } from '../src/core/certs/pem-blocks';
import { WorkspaceCertificateIndex } from '../src/core/certs/workspace-certificates';
import { generateTestPki, type TestPki } from '../src/core/pki/test-pki';
import { median } from './statistics';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 200);
const coldRuns = Number(process.env.BENCH_COLD_RUNS ?? 5);
const warmup = 20;
const hoveredCertificate = 12; // the 13th


function certificatesOf(pki: TestPki): string[] {
  return [pki.server.certPem, pki.clients.valid.certPem, pki.clients.expired.certPem, pki.clients.untrusted.certPem, pki.rootCa.certPem, pki.otherCa.certPem];
}

/** Where the hover happens: the middle of the 13th certificate block. */
function hoverOffset(text: string): number {
  const block = findCertificateBlocks(text)[hoveredCertificate];
  if (block === undefined || block.der === null) throw new Error('bench bundle misread');
  return (block.start + block.end) >> 1;
}

type HoverMode = 'hover' | 'hover-workspace' | 'baseline';

/** One hover as the editor does it; with an index, as it does once the workspace has been read. */
function hover(text: string, offset: number, index: WorkspaceCertificateIndex | null): string {
  const block = blockAt(text, offset);
  if (block === null || block.der === null) throw new Error('no certificate at the hover position');
  const context: CertificateHoverContext = index === null ? {} : { matchingKey: index.hasMatchingKey(block.der), issuer: index.findIssuer(block.der) };
  return certificateHoverMarkdown(inspectCertificate(block.der), { ...context, workspaceRelative: (file) => file });
}

function baseline(der: Uint8Array): string {
  return new X509Certificate(der).subject;
}

/** In a fresh process: one measured call, nothing cached before it (the index is built first, as the extension does in the background). */
async function coldChild(mode: HoverMode, bundleFile: string, workspace: string): Promise<void> {
  const text = await readFile(bundleFile, 'utf8');
  const offset = hoverOffset(text);
  const der = findCertificateBlocks(text)[hoveredCertificate]!.der!;
  const index = mode === 'hover-workspace' ? await WorkspaceCertificateIndex.build([workspace]) : null;
  const start = performance.now();
  const out = mode === 'baseline' ? baseline(der) : hover(text, offset, index);
  const elapsed = performance.now() - start;
  if (out.length === 0) throw new Error('empty hover');
  if (mode === 'hover-workspace' && !out.includes('**Private key** `') && !out.includes('**Issuing CA** `')) throw new Error('workspace lookups found nothing');
  process.stdout.write(JSON.stringify({ elapsed }));
}

async function coldRun(mode: HoverMode, bundleFile: string, workspace: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--cold-child', mode, bundleFile, workspace]);
  return (JSON.parse(stdout) as { elapsed: number }).elapsed;
}

function timeMedian(run: () => unknown, runs: number = iterations): number {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return median(times);
}

export interface HoverBenchResult {
  iterations: number;
  coldRuns: number;
  bundleBytes: number;
  /** blockAt + inspectCertificate + certificateHoverMarkdown, first call in a fresh process (median of coldRuns processes). */
  hoverColdMs: number;
  hoverWarmMedianMs: number;
  /** The same plus hasMatchingKey and findIssuer against a workspace index. */
  hoverWorkspaceColdMs: number;
  hoverWorkspaceWarmMedianMs: number;
  /** new X509Certificate(der).subject for the same certificate. */
  baselineColdMs: number;
  baselineWarmMedianMs: number;
  blockAtMedianMs: number;
  /** findCertificateBlocks over the whole bundle (25 blocks). */
  findBlocksMedianMs: number;
  /** certificateFindings over the whole bundle (what the diagnostics run on every edit). */
  findingsMedianMs: number;
  /** findCertificateBlocks on 1 MB of text without a certificate. */
  noCertificates1MbMedianMs: number;
}

export async function runHoverBench(): Promise<HoverBenchResult> {
  // RSA 2048, as most CAs issue: 25 certificates make a ~40 KB bundle.
  const pkis = await Promise.all(Array.from({ length: 5 }, (_, i) => generateTestPki({ organization: `Hover bench ${i}`, keyAlgorithm: 'rsa2048' })));
  const pems = pkis.flatMap(certificatesOf).slice(0, 25);
  const text = pems.map((pem, i) => `# certificate ${i + 1}\n${pem}`).join('\n');
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-bench-hover-'));
  try {
    const bundleFile = join(dir, 'bundle.pem');
    await writeFile(bundleFile, text);
    // The workspace: the CAs and every identity's key, as a repository's certs/ folder has them.
    const workspace = join(dir, 'workspace');
    await mkdir(workspace);
    await Promise.all(
      pkis.flatMap((pki, i) => [
        writeFile(join(workspace, `ca-${i}.pem`), pki.rootCa.certPem + pki.otherCa.certPem),
        ...[pki.server, pki.clients.valid, pki.clients.expired, pki.clients.untrusted].map((pair, j) => writeFile(join(workspace, `identity-${i}-${j}.key`), pair.keyPem)),
      ]),
    );
    const cold = async (mode: HoverMode): Promise<number> => {
      const runs: number[] = [];
      for (let i = 0; i < coldRuns; i++) runs.push(await coldRun(mode, bundleFile, workspace));
      return median(runs);
    };
    const hoverColdMs = await cold('hover');
    const hoverWorkspaceColdMs = await cold('hover-workspace');
    const baselineColdMs = await cold('baseline');

    const offset = hoverOffset(text);
    const der = findCertificateBlocks(text)[hoveredCertificate]!.der!;
    const index = await WorkspaceCertificateIndex.build([workspace]);
    if (index.size.keys !== 20) throw new Error(`bench workspace misread: ${index.size.keys} keys`);
    const filler = 'key: value # a line of an ordinary configuration file, "quoted" \\n and all\n'.repeat(Math.ceil((1 << 20) / 76));
    const now = new Date();
    return {
      iterations,
      coldRuns,
      bundleBytes: Buffer.byteLength(text),
      hoverColdMs,
      hoverWarmMedianMs: timeMedian(() => hover(text, offset, null)),
      hoverWorkspaceColdMs,
      hoverWorkspaceWarmMedianMs: timeMedian(() => hover(text, offset, index)),
      baselineColdMs,
      baselineWarmMedianMs: timeMedian(() => baseline(der)),
      blockAtMedianMs: timeMedian(() => blockAt(text, offset)),
      findBlocksMedianMs: timeMedian(() => findCertificateBlocks(text)),
      findingsMedianMs: timeMedian(() => certificateFindings(text, now, { expiryWarningDays: 30 })),
      noCertificates1MbMedianMs: timeMedian(() => findCertificateBlocks(filler), 50),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function describeHoverBench(r: HoverBenchResult): string {
  const ms = (value: number): string => `${value.toFixed(3)} ms`;
  return (
    `hover on the 13th of 25 certificates (${(r.bundleBytes / 1024).toFixed(0)} KB): first hover ${ms(r.hoverColdMs)} (median of ${r.coldRuns} fresh processes; target <= 20 ms), again ${ms(r.hoverWarmMedianMs)} (median, n=${r.iterations})\n` +
    `  with matching key + issuing CA from the workspace index: first ${ms(r.hoverWorkspaceColdMs)} (the index is built first, which runs the inspection code once), again ${ms(r.hoverWorkspaceWarmMedianMs)}\n` +
    `  baseline new X509Certificate(der).subject: first ${ms(r.baselineColdMs)}, again ${ms(r.baselineWarmMedianMs)}\n` +
    `  blockAt ${ms(r.blockAtMedianMs)}; findCertificateBlocks over the bundle ${ms(r.findBlocksMedianMs)}; certificateFindings over the bundle ${ms(r.findingsMedianMs)}; 1 MB without certificates ${ms(r.noCertificates1MbMedianMs)}`
  );
}

const childFlag = process.argv.indexOf('--cold-child');
if (childFlag !== -1) {
  const [mode, bundleFile, workspace] = process.argv.slice(childFlag + 1) as [HoverMode, string, string];
  void coldChild(mode, bundleFile, workspace);
} else if (process.argv[1]?.endsWith('hover.ts')) {
  void runHoverBench().then((r) => console.log(describeHoverBench(r)));
}
