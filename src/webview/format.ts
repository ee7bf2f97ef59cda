// Times as the timeline writes them. Pure, so the axis tests run them in Node.

const minus = '\u2212';
const groupSeparator = '\u202f';

/** Decimals that show a value to the precision of `step` (1-2-5 steps: 0.2 → 1, 0.05 → 2). */
function decimalsFor(step: number): number {
  return Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
}

/** Thousands grouped with a narrow no-break space: "16 536.2". */
function grouped(value: number, decimals: number): string {
  const [whole = '0', fraction] = value.toFixed(decimals).split('.');
  const withGroups = whole.length > 4 ? whole.replace(/\B(?=(\d{3})+(?!\d))/g, groupSeparator) : whole;
  return fraction === undefined ? withGroups : `${withGroups}.${fraction}`;
}

/**
 * A point on the axis (ms) written to the precision of `step` (ms): the unit follows the step and the size —
 * "16 536.2 µs" deep in a handshake, "16.54 ms", "42.318 s" for a record far away, "3 min 12 s".
 */
export function formatAxisTime(value: number, step: number): string {
  const sign = value < 0 && Math.abs(value) >= step / 2 ? minus : '';
  const v = Math.abs(value);
  if (step < 0.01 && v < 1000) return `${sign}${grouped(v * 1000, decimalsFor(step * 1000))} µs`;
  if (v < 1000) return `${sign}${grouped(v, decimalsFor(step))} ms`;
  if (v < 60_000) return `${sign}${grouped(v / 1000, decimalsFor(step / 1000))} s`;
  const minutes = Math.floor(v / 60_000 + 1e-9);
  const rest = Math.max(0, v - minutes * 60_000);
  if (step >= 60_000 || rest < step / 2) return `${sign}${minutes} min`;
  return `${sign}${minutes} min ${grouped(rest / 1000, decimalsFor(step / 1000))} s`;
}

/** An exact time of a mark, relative to its run's start, to the microsecond: "412 µs", "16.898 ms", "42.318 s". */
export function formatRelativeTime(ms: number): string {
  const v = Math.abs(ms);
  if (v < 1) return `${ms < 0 && v >= 0.0005 ? minus : ''}${Math.round(v * 1000)} µs`;
  if (v < 1000) return `${ms < 0 ? minus : ''}${v.toFixed(3)} ms`;
  return formatAxisTime(ms, 1);
}

/** A length of time in words for people: "1.4 ms", "350 ms", "4.2 s", "2 min 58 s". */
export function formatDuration(ms: number): string {
  const v = Math.abs(ms);
  if (v < 1) return `${Math.round(v * 1000)} µs`;
  if (v < 10) return `${v.toFixed(2)} ms`;
  if (v < 100) return `${v.toFixed(1)} ms`;
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v < 60_000) return `${Math.round(v / 1000)} s`;
  const totalSeconds = Math.round(v / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  return seconds > 0 ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

/** ISO 8601 to the microsecond (Date keeps only milliseconds). */
export function isoWithMicroseconds(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.round((epochMs - wholeMs) * 1000);
  const carry = micros === 1000 ? 1 : 0;
  const base = new Date(wholeMs + carry).toISOString();
  return `${base.slice(0, -1)}${String(carry === 1 ? 0 : micros).padStart(3, '0')}Z`;
}

const subSecondSteps = [1, 2, 5];
/** Steps at or above a second follow the clock: 1, 2, 5, 10, 15, 30 s, then minutes. */
const clockSteps = [1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000];

/** The smallest readable step (ms) at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  if (raw >= 1000) return clockSteps.find((step) => step >= raw) ?? Math.ceil(raw / 3_600_000) * 3_600_000;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  // toPrecision drops the float noise of 2 × 1e-4 (0.00019999…), which would show in labels.
  const step = subSecondSteps.map((factor) => factor * magnitude).find((candidate) => candidate >= raw * (1 - 1e-9)) ?? 10 * magnitude;
  return Number(step.toPrecision(12));
}
