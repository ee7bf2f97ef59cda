import { setFlagsFromString } from 'node:v8';

/**
 * undici parses HTTP/1.1 with llhttp, compiled to WebAssembly. V8 compiles a module's busy functions again with its
 * optimizing compiler, in the background, and a process does not exit before such a job is done: every CLI run that
 * spoke HTTP/1.1 ended ~55 ms late (bench/cli-startup.ts). A CLI run is short, and the baseline compiler's code parses
 * a response head in microseconds: the budget that calls in the optimizing compiler is set out of reach.
 *
 * Called once the command's code has loaded, not before: changing a V8 flag invalidates the code cache of Node's own
 * modules, and each built-in loaded after it compiles from source (node:http2 and node:tls alone: +11 ms). The CLI's
 * process only (the extension host is not ours to tune), and only on the V8 versions of Node 18 to 24, which have the
 * flag: V8 writes an error line for a flag it does not know.
 */
export function keepWasmOnBaselineCompiler(): void {
  const major = Number(process.versions.v8.split('.')[0]);
  if (major >= 10 && major <= 13) setFlagsFromString('--wasm-tiering-budget=2147483647');
}
