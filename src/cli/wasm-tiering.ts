import { setFlagsFromString } from 'node:v8';

/**
 * undici parses HTTP/1.1 with llhttp, compiled to WebAssembly. V8 compiles a module's busy functions again with its
 * optimizing compiler, in the background, and a process does not exit before such a job is done: every CLI run that
 * spoke HTTP/1.1 ended ~60 ms late (`mtls-probe probe` of one URL: 186 → 126 ms, bench/cli-startup.ts). A CLI run is
 * short, and the baseline compiler's code parses a response head in microseconds: the budget that calls in the
 * optimizing compiler is set out of reach. The CLI's process only (the extension host is not ours to tune), and only
 * on the V8 versions of Node 18 to 24, which have the flag: V8 writes an error line for a flag it does not know.
 */
export function keepWasmOnBaselineCompiler(): void {
  const major = Number(process.versions.v8.split('.')[0]);
  if (major >= 10 && major <= 13) setFlagsFromString('--wasm-tiering-budget=2147483647');
}
