// The product's version, replaced at bundle time with package.json's (scripts/build.mjs defines MTLS_PROBE_VERSION);
// from source (tests) it reads 0.0.0-dev. The one place the CLI, the probe's User-Agent and exports take it from.
declare const MTLS_PROBE_VERSION: string | undefined;
export const version: string = typeof MTLS_PROBE_VERSION === 'string' ? MTLS_PROBE_VERSION : '0.0.0-dev';
