import type { PhaseTimeouts } from './types';

/**
 * Each phase's time limit when the caller sets none. A module of its own: the CLI's help states these values and
 * must not load the probe engine (undici) to do so.
 */
export const defaultTimeouts: Readonly<PhaseTimeouts> = Object.freeze({ dns: 5000, connect: 5000, tls: 10000, http: 15000 });
