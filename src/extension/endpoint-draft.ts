// A probed URL as a config entry (Probe URL… → Save to Config): a name not yet taken, paths as the config writes
// them, the server trust that was used, and an expectation only where it says what the person means. No vscode
// import: unit-tested as is.

import * as path from 'node:path';
import { applyEdits, findNodeAtLocation, modify, parseTree } from 'jsonc-parser/lib/esm/main.js';

/** The trust the probe used for the server's certificate. */
export type ServerTrust = { kind: 'system' } | { kind: 'ca'; file: string } | { kind: 'insecure' };

/** `base`, or `base-2`, `base-3`… : the first name no endpoint has yet. */
export function uniqueName(base: string, taken: readonly string[]): string {
  const clean = base.trim() === '' ? 'endpoint' : base.trim();
  let name = clean;
  for (let n = 2; taken.includes(name); n++) name = `${clean}-${n}`;
  return name;
}

/** A file as the config names it: relative to the workspace folder with forward slashes, or absolute when outside it. */
export function configPath(folder: string, file: string): string {
  const relative = path.relative(folder, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return file;
  return relative.split(path.sep).join('/');
}

/** What the save asks: nothing when the application answered (that is what a probe of a URL is for), else a choice. */
export type ExpectationChoice = { kind: 'observed' } | { kind: 'target' } | { kind: 'none' };

/** The probe's outcome as an expectation: the layer it stopped at, or "target" when the application answered. */
export function observedExpectation(stoppedAt: string | null): string {
  return stoppedAt ?? 'target';
}

export interface EndpointDraft {
  name: string;
  url: string;
  trust: ServerTrust;
  /** The config's identity the probe used; absent for no certificate. */
  identity?: string;
  /** The expected outcome for that identity (or for "none"); absent: no expectation. */
  expect?: string;
}

/** The JSON object for "endpoints": only the keys the schema knows (`ca`, `insecure`, `identities`, `expect`). */
export function endpointEntry(draft: EndpointDraft, folder: string): Record<string, unknown> {
  const entry: Record<string, unknown> = { name: draft.name, url: draft.url };
  if (draft.trust.kind === 'ca') entry.ca = configPath(folder, draft.trust.file);
  if (draft.trust.kind === 'insecure') entry.insecure = true;
  if (draft.identity !== undefined) entry.identities = ['none', draft.identity];
  if (draft.expect !== undefined) entry.expect = { [draft.identity ?? 'none']: draft.expect };
  return entry;
}

/** `value` as JSON indented to sit at `indent` (its first line is not indented: it follows a key or a comma). */
function indented(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).split('\n').join(`\n${indent}`);
}

function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/**
 * Adds `value` at the end of the array or object at `path` (created when missing), touching nothing else: the
 * person's own formatting of the entries before it stays as they wrote it (jsonc's modify would re-indent the one
 * before). `key` names the member for an object. Comments and trailing commas are kept.
 */
export function appendToJsonc(text: string, path: string[], value: unknown, key?: string): string {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  const container = tree === undefined ? undefined : findNodeAtLocation(tree, path);
  const entry = (indent: string): string => `${key !== undefined ? `${JSON.stringify(key)}: ` : ''}${indented(value, indent)}`;
  if (container === undefined || container.type !== (key !== undefined ? 'object' : 'array')) {
    const whole = key !== undefined ? { [key]: value } : [value];
    return applyEdits(text, modify(text, path, whole, { formattingOptions: { insertSpaces: true, tabSize: 2 } }));
  }
  const children = container.children ?? [];
  const last = children.at(-1);
  if (last === undefined) {
    const indent = `${lineIndent(text, container.offset)}  `;
    const at = container.offset + 1;
    return `${text.slice(0, at)}\n${indent}${entry(indent)}\n${lineIndent(text, container.offset)}${text.slice(at).replace(/^\s*/, '')}`;
  }
  const indent = lineIndent(text, last.offset);
  const end = last.offset + last.length;
  return `${text.slice(0, end)},\n${indent}${entry(indent)}${text.slice(end)}`;
}
