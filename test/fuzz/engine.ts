// The fuzzer's engine: seeded input generation (fast-check arbitraries sampled with a seed, so a run is repeatable
// and any input can be made again from its seed and index), byte/text/JSON mutators of seed inputs, the runner that
// tells coded errors (the product's error classes with a stable `code`) from uncoded exceptions, and the
// super-linearity check (time per byte of worst-case shapes at growing sizes).
//
// Every target takes bytes: mutated files and lines are bytes already, structured inputs (a TLS session, a webview
// message) are framed or JSON-encoded, so a reproducer is the input's hex whatever the target.

import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';

/** An error class of the product whose instances carry a stable `code`. */
export type CodedErrorClass = abstract new (...args: never[]) => Error & { readonly code: string };

export interface ScalingShape {
  /** e.g. "deep DER nesting". */
  name: string;
  /** An input of about `bytes` bytes in the worst-case shape. */
  make(bytes: number): Buffer;
  /**
   * Made anew for every timed run: for code that caches what it parsed (certificates by their hash), where timing the
   * same input again would time the cache.
   */
  fresh?: boolean;
}

export interface FuzzTarget {
  name: string;
  /** One line: what is fuzzed and how. */
  description: string;
  /** Share of the run's inputs (the total is split by weight). */
  weight: number;
  /** Generates one input from a seeded random source. */
  input: fc.Arbitrary<Buffer>;
  /**
   * Runs the code under test on one input and names the outcome ("record", "null", "decoded:not_tls"…). Throwing a
   * coded error is an outcome too; anything else thrown is a finding.
   */
  run(input: Buffer): string | Promise<string>;
  /** The coded errors the entry points may throw; empty for those documented never to throw. */
  coded: readonly CodedErrorClass[];
  /** Worst-case shapes for the super-linearity check. */
  shapes: readonly ScalingShape[];
  /** Loads what `run` needs once (a module loaded on demand). */
  setup?(): Promise<void>;
}

export interface Finding {
  target: string;
  seed: number;
  index: number;
  error: string;
  stack: string;
  inputHex: string;
  /** How many inputs failed with this signature. */
  count: number;
}

export interface TargetResult {
  target: string;
  inputs: number;
  outcomes: Map<string, number>;
  exceptions: number;
  findings: Finding[];
  durationMs: number;
  slowest: { index: number; ms: number; bytes: number };
}

// ---- seeds --------------------------------------------------------------------------------------------

/** A 31-bit seed for fast-check from the run's seed, the target and the batch: batches are independent and repeatable. */
export function batchSeed(seed: number, target: string, batch: number): number {
  return createHash('sha256').update(`${seed}:${target}:${batch}`).digest().readUInt32BE(0) >>> 1;
}

export const batchSize = 1000;

/** The inputs of one batch: input `index` of a run is `batchInputs(…, floor(index / batchSize))[index % batchSize]`. */
export function batchInputs(target: FuzzTarget, seed: number, batch: number, count = batchSize): Buffer[] {
  return fc.sample(target.input, { seed: batchSeed(seed, target.name, batch), numRuns: count });
}

/** Input `index` of a run with `seed`, made again. */
export function inputAt(target: FuzzTarget, seed: number, index: number): Buffer {
  return batchInputs(target, seed, Math.floor(index / batchSize))[index % batchSize]!;
}

// ---- byte mutators --------------------------------------------------------------------------------------

/** Values that break length fields and counters: zero, one, the signed and unsigned edges of 8 to 32 bits. */
const interesting = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffff, 0xffffff, 0x7fffffff, 0xffffffff];

export type ByteOp =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; v: number }
  /** Overwrites a big-endian field of `width` bytes with an interesting value: length-field corruption. */
  | { k: 'field'; at: number; width: number; which: number }
  /** Adds `delta` to a big-endian field: a length off by a few. */
  | { k: 'nudge'; at: number; width: number; delta: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'token'; at: number; which: number }
  | { k: 'delete'; at: number; n: number }
  | { k: 'repeat'; at: number; n: number; times: number }
  | { k: 'truncate'; at: number }
  | { k: 'splice'; other: number; from: number; n: number; at: number };

const at = fc.nat();

/** One mutation; `tokens` is the target's dictionary (markers, separators, keywords). */
export function byteOp(tokenCount: number): fc.Arbitrary<ByteOp> {
  const ops: Array<fc.Arbitrary<ByteOp>> = [
    fc.record({ k: fc.constant('flip' as const), at, bit: fc.nat(7) }),
    fc.record({ k: fc.constant('set' as const), at, v: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80, 0x20, 0x0a, 0x2d, 0x30), fc.nat(255)) }),
    fc.record({ k: fc.constant('field' as const), at, width: fc.integer({ min: 1, max: 4 }), which: fc.nat(interesting.length - 1) }),
    fc.record({ k: fc.constant('nudge' as const), at, width: fc.integer({ min: 1, max: 3 }), delta: fc.integer({ min: -4, max: 4 }) }),
    fc.record({ k: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ k: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ k: fc.constant('repeat' as const), at, n: fc.integer({ min: 1, max: 64 }), times: fc.integer({ min: 1, max: 32 }) }),
    fc.record({ k: fc.constant('truncate' as const), at }),
    fc.record({ k: fc.constant('splice' as const), other: fc.nat(), from: fc.nat(), n: fc.integer({ min: 1, max: 512 }), at }),
  ];
  if (tokenCount > 0) ops.push(fc.record({ k: fc.constant('token' as const), at, which: fc.nat(tokenCount - 1) }));
  return fc.oneof(...ops);
}

function readField(b: Buffer, pos: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + b[pos + i]!;
  return v;
}

function writeField(b: Buffer, pos: number, width: number, value: number): void {
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    b[pos + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

/** Applies one mutation to `input`; `seeds` feed splices, `tokens` insertions. Positions wrap around the input. */
export function applyByteOp(input: Buffer, op: ByteOp, seeds: readonly Buffer[], tokens: readonly Buffer[]): Buffer {
  const n = input.length;
  switch (op.k) {
    case 'flip':
    case 'set':
    case 'field':
    case 'nudge': {
      if (n === 0) return input;
      const out = Buffer.from(input);
      const pos = op.at % n;
      if (op.k === 'flip') out[pos]! ^= 1 << op.bit;
      else if (op.k === 'set') out[pos] = op.v;
      else {
        const width = Math.min(op.width, n - pos);
        const max = 256 ** width;
        const value = op.k === 'field' ? interesting[op.which]! % max : (((readField(out, pos, width) + op.delta) % max) + max) % max;
        writeField(out, pos, width, value);
      }
      return out;
    }
    case 'insert':
    case 'token': {
      const pos = op.at % (n + 1);
      const bytes = op.k === 'insert' ? Buffer.from(op.bytes) : tokens[op.which % tokens.length]!;
      return Buffer.concat([input.subarray(0, pos), bytes, input.subarray(pos)]);
    }
    case 'delete': {
      if (n === 0) return input;
      const pos = op.at % n;
      return Buffer.concat([input.subarray(0, pos), input.subarray(pos + op.n)]);
    }
    case 'repeat': {
      if (n === 0) return input;
      const pos = op.at % n;
      const piece = input.subarray(pos, pos + op.n);
      return Buffer.concat([input.subarray(0, pos), ...Array<Buffer>(op.times + 1).fill(piece), input.subarray(pos + piece.length)]);
    }
    case 'truncate':
      return input.subarray(0, op.at % (n + 1));
    case 'splice': {
      if (seeds.length === 0) return input;
      const other = seeds[op.other % seeds.length]!;
      const from = other.length === 0 ? 0 : op.from % other.length;
      const pos = op.at % (n + 1);
      return Buffer.concat([input.subarray(0, pos), other.subarray(from, from + op.n), input.subarray(pos)]);
    }
  }
}

/** Inputs larger than this are cut back after each mutation: repeats compound, and size is the scaling check's job. */
const maxMutatedBytes = 256 * 1024;

/** A seed picked at random and mutated 1 to `maxOps` times (sometimes not at all: the seeds themselves are inputs). */
export function mutatedBytes(seeds: readonly Buffer[], tokens: readonly Buffer[] = [], maxOps = 8): fc.Arbitrary<Buffer> {
  return fc
    .record({ seed: fc.nat(seeds.length - 1), ops: fc.array(byteOp(tokens.length), { minLength: 0, maxLength: maxOps }) })
    .map(({ seed, ops }) => {
      let out = seeds[seed]!;
      for (const op of ops) {
        out = applyByteOp(out, op, seeds, tokens);
        if (out.length > maxMutatedBytes) out = out.subarray(0, maxMutatedBytes);
      }
      return out;
    });
}

/** Mutated seeds most of the time, random bytes and repeated tokens some of the time. */
export function fuzzBytes(seeds: readonly Buffer[], tokens: readonly Buffer[] = []): fc.Arbitrary<Buffer> {
  const arbitraries: Array<fc.WeightedArbitrary<Buffer>> = [
    { arbitrary: mutatedBytes(seeds, tokens), weight: 16 },
    { arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), weight: 1 },
  ];
  if (tokens.length > 0) {
    arbitraries.push({ arbitrary: fc.array(fc.nat(tokens.length - 1), { maxLength: 32 }).map((picks) => Buffer.concat(picks.map((i) => tokens[i]!))), weight: 2 });
  }
  return fc.oneof(...arbitraries);
}

export function textTokens(...tokens: string[]): Buffer[] {
  return tokens.map((t) => Buffer.from(t, 'utf8'));
}

// ---- JSON mutators ---------------------------------------------------------------------------------------

/** Keys that trip code reading parsed JSON: prototype names, and names that break string conversion. */
const hostileKeys = ['toString', 'valueOf', '__proto__', 'constructor', 'then', 'length', 'hasOwnProperty', 'toJSON'];

/** Any JSON value, with hostile keys and values in it. */
export function jsonValue(keys: readonly string[]): fc.Arbitrary<unknown> {
  const key = fc.oneof(fc.constantFrom(...keys, ...hostileKeys), fc.string({ maxLength: 8 }));
  const leaf = fc.oneof(
    fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 2 ** 53, 1e21, 8.64e15 + 1, '', '-', ' ', '\u0000', 'NaN', '1970-01-01T00:00:00Z', 'x'.repeat(300)),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ maxLength: 24 }),
    fc.constant({ toString: 1 }),
    fc.constant({ valueOf: null, toString: 'x' }),
  );
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
  })).value;
}

type JsonOp = { path: number[]; action: 'replace' | 'delete' | 'wrap'; value: unknown };

function jsonChildren(value: unknown): Array<[string | number, unknown]> {
  if (Array.isArray(value)) return value.map((v, i) => [i, v]);
  if (value !== null && typeof value === 'object') return Object.entries(value);
  return [];
}

/** Applies a JSON mutation at the node reached by following `path` (each step picks a child modulo their count). */
function applyJsonOp(root: unknown, op: JsonOp): unknown {
  // A copy: generated values may be shared constants, which a later step must not change.
  const replacement = (node: unknown): unknown => (op.action === 'wrap' ? [node] : (JSON.parse(JSON.stringify(op.value) ?? 'null') as unknown));
  if (op.path.length === 0 || jsonChildren(root).length === 0) return op.action === 'delete' ? null : replacement(root);
  let parent = root as Record<string | number, unknown>;
  let key: string | number = 0;
  for (let i = 0; i < op.path.length; i++) {
    const children = jsonChildren(parent);
    if (children.length === 0) break;
    [key] = children[op.path[i]! % children.length]!;
    const child = parent[key];
    if (i === op.path.length - 1 || jsonChildren(child).length === 0) break;
    parent = child as Record<string | number, unknown>;
  }
  if (op.action === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else {
    parent[key] = replacement(parent[key]);
  }
  return root;
}

/**
 * JSON seeds mutated by structure (a node replaced by a hostile value, deleted or wrapped in an array), then
 * serialised and, some of the time, mutated as bytes too (cut off, a bracket dropped).
 */
export function mutatedJson(seeds: readonly string[], keys: readonly string[], tokens: readonly Buffer[] = []): fc.Arbitrary<Buffer> {
  const op = fc.record({ path: fc.array(fc.nat(), { maxLength: 6 }), action: fc.constantFrom('replace' as const, 'replace' as const, 'delete' as const, 'wrap' as const), value: jsonValue(keys) });
  const seedBuffers = seeds.map((s) => Buffer.from(s));
  return fc
    .record({ seed: fc.nat(seeds.length - 1), ops: fc.array(op, { minLength: 1, maxLength: 4 }), bytes: fc.array(byteOp(tokens.length), { maxLength: 2 }), useBytes: fc.nat(3) })
    .map(({ seed, ops, bytes, useBytes }) => {
      let value: unknown = JSON.parse(seeds[seed]!);
      for (const o of ops) value = applyJsonOp(value, o);
      let out: Buffer = Buffer.from(JSON.stringify(value) ?? 'null');
      if (useBytes === 0) for (const b of bytes) out = applyByteOp(out, b, seedBuffers, tokens);
      return out;
    });
}

// ---- running ---------------------------------------------------------------------------------------------

/** Names a thrown value: a coded error by class and code; null for anything else (a finding). */
export function codedOutcome(error: unknown, coded: readonly CodedErrorClass[]): string | null {
  if (!(error instanceof Error)) return null;
  if (!coded.some((c) => error instanceof c)) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name}:${code}` : null;
}

/** What tells one bug from another: the error's class and message shape and where it was thrown. */
function signature(error: unknown): string {
  if (!(error instanceof Error)) return `non-error ${typeof error}`;
  const frame = (error.stack ?? '').split('\n').find((l) => l.trimStart().startsWith('at ')) ?? '';
  return `${error.name}: ${error.message.replace(/\d+/g, 'N').slice(0, 120)} ${frame.trim()}`;
}

export interface RunOptions {
  seed: number;
  inputs: number;
  /** Called once per new finding signature. */
  onFinding?(finding: Finding): void;
}

/** Runs `inputs` generated inputs through a target; never throws for what the target throws. */
export async function runTarget(target: FuzzTarget, options: RunOptions): Promise<TargetResult> {
  const outcomes = new Map<string, number>();
  const bySignature = new Map<string, Finding>();
  let exceptions = 0;
  const slowest = { index: -1, ms: 0, bytes: 0 };
  const started = performance.now();
  for (let done = 0, batch = 0; done < options.inputs; batch++) {
    const count = Math.min(batchSize, options.inputs - done);
    const inputs = batchInputs(target, options.seed, batch, batchSize).slice(0, count);
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const index = batch * batchSize + i;
      let outcome: string;
      const t0 = performance.now();
      try {
        const result = target.run(input);
        outcome = typeof result === 'string' ? result : await result;
      } catch (error) {
        const coded = codedOutcome(error, target.coded);
        if (coded !== null) outcome = coded;
        else {
          outcome = 'EXCEPTION';
          exceptions++;
          const sig = signature(error);
          const known = bySignature.get(sig);
          if (known !== undefined) known.count++;
          else {
            const finding: Finding = {
              target: target.name,
              seed: options.seed,
              index,
              error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
              stack: error instanceof Error ? (error.stack ?? '') : '',
              inputHex: input.toString('hex'),
              count: 1,
            };
            bySignature.set(sig, finding);
            options.onFinding?.(finding);
          }
        }
      }
      const ms = performance.now() - t0;
      if (ms > slowest.ms) Object.assign(slowest, { index, ms, bytes: input.length });
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    done += count;
  }
  return { target: target.name, inputs: options.inputs, outcomes, exceptions, findings: [...bySignature.values()], durationMs: performance.now() - started, slowest };
}

// ---- super-linearity ----------------------------------------------------------------------------------------

export const scalingSizes = [1024, 64 * 1024, 1024 * 1024];
/** Time per byte at the largest size over the smallest above this is flagged as super-linear. */
export const superLinearRatio = 3;

export interface ScalingResult {
  target: string;
  shape: string;
  /** Per size: the input's actual bytes and its CPU time per run (best of a few blocks of runs). */
  points: Array<{ bytes: number; ms: number; nsPerByte: number }>;
  /** ns/byte at the largest size measured over ns/byte at the smallest. */
  ratio: number;
  flagged: boolean;
  /** Uncoded exceptions the shape threw at some size (a finding, like the fuzz run's). */
  exceptions: string[];
  /** Set when a size was not measured because the one before already grew too fast. */
  skipped?: string;
  /** Measurements made: a shape over the bound is measured again (up to 3 times) and its best kept. */
  attempts: number;
}

/** Uncoded exceptions met while timing, by message: a worst-case shape may find what random inputs do not. */
let timingExceptions: string[] = [];

async function timeOnce(target: FuzzTarget, input: Buffer): Promise<number> {
  const t0 = performance.now();
  try {
    const result = target.run(input);
    if (typeof result !== 'string') await result;
  } catch (error) {
    if (codedOutcome(error, target.coded) === null) {
      const text = error instanceof Error ? `${error.name}: ${error.message} (${input.length} bytes)` : String(error);
      if (!timingExceptions.includes(text)) timingExceptions.push(text);
    }
  }
  return performance.now() - t0;
}

/** CPU time this process has used, in ms: what a busy machine's other processes do not inflate, unlike wall time. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * CPU time per run, best of 3 blocks; a block repeats the run until it lasts ~20 ms, so small inputs are timed well
 * above the clock's resolution. Fresh shapes get a new input for every run (made outside the timed block).
 */
async function bestTime(target: FuzzTarget, shape: ScalingShape, size: number, first: Buffer): Promise<number> {
  const t0 = cpuMs();
  await timeOnce(target, first);
  const once = Math.max(0.001, cpuMs() - t0);
  const reps = Math.min(200, Math.max(1, Math.ceil(20 / once)));
  let best = Infinity;
  for (let block = 0; block < 3; block++) {
    const inputs = Array.from({ length: reps }, () => (shape.fresh ? shape.make(size) : first));
    const start = cpuMs();
    for (const input of inputs) await timeOnce(target, input);
    best = Math.min(best, (cpuMs() - start) / reps);
  }
  return best;
}

/**
 * Times each shape at growing sizes; a size is skipped when the last step already grew super-linearly. Other work on
 * the machine only ever makes a size look slower, so a shape over the bound is measured again and its best kept: a
 * real super-linear shape stays over it (the cases found grew 5x to 1,700x), a busy machine's noise does not.
 */
export async function scaling(target: FuzzTarget, sizes: readonly number[] = scalingSizes): Promise<ScalingResult[]> {
  const results: ScalingResult[] = [];
  for (const shape of target.shapes) {
    timingExceptions = [];
    let result = await measureShape(target, shape, sizes, 1);
    for (let attempt = 2; attempt <= 3 && result.ratio > superLinearRatio; attempt++) {
      const again = await measureShape(target, shape, sizes, attempt);
      if (again.ratio < result.ratio) result = again;
      result.attempts = attempt;
    }
    result.exceptions = timingExceptions;
    result.flagged = result.ratio > superLinearRatio || timingExceptions.length > 0;
    results.push(result);
  }
  return results;
}

async function measureShape(target: FuzzTarget, shape: ScalingShape, sizes: readonly number[], attempts: number): Promise<ScalingResult> {
  const points: ScalingResult['points'] = [];
  let skipped: string | undefined;
  for (const size of sizes) {
    const previous = points.at(-1);
    if (previous !== undefined && points.length >= 2 && previous.nsPerByte / points[0]!.nsPerByte > superLinearRatio) {
      skipped = `${size} bytes skipped: time per byte already ${(previous.nsPerByte / points[0]!.nsPerByte).toFixed(1)}× at ${previous.bytes} bytes`;
      break;
    }
    if (shape.fresh) await timeOnce(target, shape.make(Math.min(size, 4096))); // warm-up: the first call compiles
    const input = shape.make(size);
    if (!shape.fresh) await timeOnce(target, input);
    const ms = await bestTime(target, shape, size, input);
    points.push({ bytes: input.length, ms, nsPerByte: (ms * 1e6) / Math.max(1, input.length) });
  }
  const ratio = points.at(-1)!.nsPerByte / points[0]!.nsPerByte;
  return { target: target.name, shape: shape.name, points, ratio, flagged: ratio > superLinearRatio, exceptions: [], attempts, ...(skipped !== undefined ? { skipped } : {}) };
}

/** Repeats `unit` until the result reaches `bytes` (whole units). */
export function repeatTo(unit: string | Buffer, bytes: number, prefix: string | Buffer = '', suffix: string | Buffer = ''): Buffer {
  const u = Buffer.from(unit);
  const p = Buffer.from(prefix);
  const s = Buffer.from(suffix);
  const times = Math.max(1, Math.floor((bytes - p.length - s.length) / Math.max(1, u.length)));
  return Buffer.concat([p, Buffer.alloc(u.length * times, u), s]);
}
