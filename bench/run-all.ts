// Runs every benchmark and prints the figures the issues ask for; results also go to bench/results/.
// Needs nginx, haproxy, openssl, curl and GNU time (.ci/run installs them), the code-server harness
// (scripts/install-e2e-harness.sh), Debian's Chromium and a built dist/ (npm run bench builds).

import { mkdir, writeFile } from 'node:fs/promises';
import { describeActivationBench, runActivationBench } from './activation';
import { describeDemoBench, runDemoBench } from './demo';
import { describeCertInspectBench, runCertInspectBench } from './cert-inspect';
import { describeCliStartupBench, runCliStartupBench } from './cli-startup';
import { describeExtensionSizeBench, runExtensionSizeBench } from './extension-size';
import { describeHoverBench, runHoverBench } from './hover';
import { describeMatrixFloorBench, runMatrixFloorBench } from './matrix-floor';
import { describeMatrixBench, runMatrixBench } from './matrix-vs-curl';
import { describeTimelinePanelBench, runTimelinePanelBench } from './timeline-panel';
import { describeTimelineRenderBench, runTimelineRenderBench } from './timeline-render';
import { describeTraceOverhead, runTraceOverhead } from './trace-overhead';
import { describeWafLogScanBench, runWafLogScanBench } from './waf-log-scan';

async function main(): Promise<void> {
  const trace = await runTraceOverhead();
  for (const r of trace) console.log(describeTraceOverhead(r));
  const matrix = await runMatrixBench();
  console.log(describeMatrixBench(matrix));
  const matrixFloor = await runMatrixFloorBench();
  for (const r of matrixFloor) console.log(describeMatrixFloorBench(r));
  const certificates = await runCertInspectBench();
  console.log(describeCertInspectBench(certificates));
  const hover = await runHoverBench();
  console.log(describeHoverBench(hover));
  const extensionSize = await runExtensionSizeBench();
  console.log(describeExtensionSizeBench(extensionSize));
  const cliStartup = await runCliStartupBench();
  console.log(describeCliStartupBench(cliStartup));
  const activation = await runActivationBench();
  console.log(describeActivationBench(activation));
  const wafLogScan = await runWafLogScanBench();
  console.log(describeWafLogScanBench(wafLogScan));
  const timelineRender = await runTimelineRenderBench();
  console.log(describeTimelineRenderBench(timelineRender));
  const timelinePanel = await runTimelinePanelBench();
  console.log(describeTimelinePanelBench(timelinePanel));
  const demo = await runDemoBench();
  console.log(describeDemoBench(demo));
  const dir = new URL('./results/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/latest.json`, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, trace, matrix, matrixFloor, certificates, hover, extensionSize, cliStartup, activation, wafLogScan, timelineRender, timelinePanel, demo }, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
