// Loaded on the first probe (its own bundle, dist/probe-engine.js): undici, the TLS decoder, the identity loaders,
// the run service and the timeline model stay out of activation.
export { probeCheck, collectRunEvidence, endpointEvidenceRequest } from '../../core/runs/run-service';
export { loadIdentityWith } from '../../core/runs/identity-loading';
export { formatProbeReport } from '../../core/report/curl-style';
export { exportRuns, runExportFormats } from '../../core/report/run-exports';
export { buildTimeline } from '../../core/timeline/build-timeline';
export { curlCommand, opensslCommand } from '../../core/report/reproduce-commands';
export { loadConfiguredIdentity } from '../../core/config/probe-options';
