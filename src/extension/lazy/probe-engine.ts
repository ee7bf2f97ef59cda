// Loaded on the first probe (its own bundle, dist/probe-engine.js): undici, the TLS decoder and the identity
// loaders stay out of activation.
export { probe } from '../../core/probe/probe';
export { formatProbeReport } from '../../core/report/curl-style';
export { probeReportHtml } from '../../core/report/html-report';
export { loadConfiguredIdentity, probeOptionsFor } from '../../core/config/probe-options';
export { evaluateExpectation } from '../../core/expectations/expectations';
export { curlCommand, opensslCommand } from '../../core/report/reproduce-commands';
