// Replaced at bundle time with package.json's version (see scripts/build.mjs); tests run the source.
declare const MTLS_PROBE_VERSION: string | undefined;
export const version: string = typeof MTLS_PROBE_VERSION === 'string' ? MTLS_PROBE_VERSION : '0.0.0-dev';
