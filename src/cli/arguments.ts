import { writeFile } from 'node:fs/promises';
import { isHeaderName } from '../core/secret-headers';
import { BadArgumentError, UnwritableFileError, reasonOf } from './errors';

// The values flags take, read the same way by every command: each problem is a BadArgumentError that names the
// flag and what it takes.

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new BadArgumentError(`${flag} takes a positive whole number, not "${value}".`);
  return n;
}

/** `lowest` is 0 where the system may pick a free port. */
export function portNumber(value: string | undefined, flag: string, lowest: 0 | 1 = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < lowest || n > 65535) throw new BadArgumentError(`${flag} takes a port number (${lowest}-65535), not "${value}".`);
  return n;
}

/** "a, b or c" */
function alternatives(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
}

/** One of a fixed set of words (`normalize` forgives case or a prefix before comparing). */
export function choice<T extends string>(value: string, allowed: readonly T[], flag: string, normalize: (v: string) => string = (v) => v): T {
  const found = allowed.find((word) => word === normalize(value));
  if (found === undefined) throw new BadArgumentError(`${flag} takes ${alternatives(allowed)}, not "${value}".`);
  return found;
}

/** The passphrase of `--pass-env VAR`: read from the environment so it never shows in shell history or `ps`. */
export function passphraseFrom(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (value === undefined) throw new BadArgumentError(`--pass-env ${name}: the environment variable ${name} is not set.`);
  return value;
}

/** `--secret-header NAME` (repeatable): header names, checked like the config's "secretHeaders". */
export function secretHeaderNames(names: readonly string[] | undefined): string[] {
  const trimmed = (names ?? []).map((name) => name.trim());
  const bad = trimmed.find((name) => !isHeaderName(name));
  if (bad !== undefined) throw new BadArgumentError(`--secret-header takes a header name such as X-Tenant-Token, not "${bad}".`);
  return trimmed;
}

/** The X-Amzn-Trace-Id a probe sends, as ALB and WAF log it. */
const traceIdPattern = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/i;

/** A trace id with or without its `Root=`, returned with it: the form the probe sends and the logs carry. */
export function parseCorrelationId(value: string, flag = '--correlation-id'): string {
  const id = value.startsWith('Root=') ? value : `Root=${value}`;
  if (!traceIdPattern.test(id)) throw new BadArgumentError(`${flag} takes an X-Amzn-Trace-Id like Root=1-6b05e1f2-ab75cbbc8afd3ae1dc5751ca (8 and 24 hex digits), not "${value}".`);
  return id;
}

/** Writes an output the command line named; `flag` leads the message when the file came with one. */
export async function writeOutputFile(file: string, data: string | Uint8Array, flag?: string): Promise<void> {
  try {
    await writeFile(file, data);
  } catch (e) {
    throw new UnwritableFileError(`${flag !== undefined ? `${flag} ` : ''}${file} could not be written (${reasonOf(e)}).`, { cause: e });
  }
}
