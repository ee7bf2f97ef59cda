import { performance } from 'node:perf_hooks';

// Imported first by extension.ts, so this runs before the rest of the bundle is evaluated: activation time is
// measured from here (module load) to the end of activate().
export const bundleLoadStartedAt = performance.now();
