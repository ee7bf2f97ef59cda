import { resolve } from 'node:path';
import type { Node } from 'jsonc-parser/lib/esm/main.js';
import { childPath, nonEmptyString, type Member, type ProblemCollector } from './jsonc-problems';
import type { ConfigPathReference } from './types';

// How a table of fields is read and how it becomes JSON Schema. A field is described once, by a FieldRule: the
// shape of a good value (the schema the editor checks) with the check that reads it, what a bad value takes out,
// the words for it, and the editor's description. The config's reader and its JSON Schema both come from the rules,
// so they cannot disagree about which fields exist or what they accept.

export type JsonSchema = Record<string, unknown>;

/** What the editor shows for a field: the hover, examples and completion snippets. */
export interface FieldDocs {
  description: string;
  markdownDescription?: string;
  default?: unknown;
  examples?: unknown[];
  defaultSnippets?: unknown[];
}

/** One object being read (an endpoint, an identity, the "aws" settings), and what its errors do to it. */
export interface EntryContext<V> {
  readonly problems: ProblemCollector;
  /** JSON path of the object that holds the fields: `endpoints[0]`, `identities.partner`. */
  readonly path: string;
  /** The workspace folder, which relative paths are resolved against. */
  readonly folder: string;
  /** The sentence a problem that leaves the entry out ends with: `Endpoint "e" is skipped.` */
  readonly skipped: string;
  /** False once an error leaves the entry out. */
  usable: boolean;
  /** The fields read so far, in table order: a later field may depend on an earlier one. */
  readonly values: Partial<V>;
  /** The paths the entry names, kept only when the entry loads. */
  readonly references: ConfigPathReference[];
}

export interface Rejected {
  rejected: true;
  /** Replaces `"<field>" must be <mustBe>; found <value>.` */
  message?: string;
  /** Replaces the value's own words after "found". */
  found?: string;
  /** Replaces the rule's fix, for a mistake it can name. */
  fix?: string;
}

export type Read<T> = { value: T } | Rejected;

export function rejected(words: Omit<Rejected, 'rejected'> = {}): Rejected {
  return { rejected: true, ...words };
}

/** The check that reads a field and the JSON Schema of what it accepts: the two halves that must agree. */
export interface FieldShape<T, C> {
  shape: JsonSchema;
  /** Reads a good value or rejects it; problems inside the value (a bad header) it reports itself. */
  read(member: Member, context: C): Read<T>;
}

export interface FieldRule<T, C, E = never> extends FieldShape<T, C> {
  /** `"<field>" must be <mustBe>; found …` */
  mustBe: string;
  fix: string;
  /**
   * What a bad value takes out: the whole entry (`entry`: a probe without the field would test something else),
   * or the field alone, which is then ignored as `ignored` says.
   */
  whenBad: 'entry' | { ignored: string };
  /** A field the entry cannot do without: what to add when it is missing. */
  required?: string;
  /** Names people write for this field (lower case), for "did you mean". */
  aliases?: readonly string[];
  docs: FieldDocs;
  /** Puts a good value into the loaded entry. */
  apply?(entry: E, value: T): void;
}

/** A rule per field, in the order the fields are read, listed in messages and shown in the schema. */
export type FieldTable<V, C, E = never> = { readonly [K in keyof V]-?: FieldRule<V[K], C, E> };

export function fieldNames<T extends object>(table: T): (keyof T & string)[] {
  return Object.keys(table) as (keyof T & string)[];
}

/** Lower-case names people write → the field they mean. */
export function aliasesOf(table: Readonly<Record<string, { aliases?: readonly string[] }>>): Record<string, string> {
  return Object.fromEntries(Object.entries(table).flatMap(([name, rule]) => (rule.aliases ?? []).map((alias) => [alias, name])));
}

/** Reports an error that leaves the entry out. */
export function leaveOut(context: EntryContext<unknown>, node: Node | undefined, path: string, message: string, fix: string): void {
  context.problems.error(node, path, `${message} ${context.skipped}`, fix);
  context.usable = false;
}

/** Reads one field: its value, or undefined after reporting why it is bad. */
export function readField<T, C extends EntryContext<unknown>, E>(rule: FieldRule<T, C, E>, member: Member, context: C): T | undefined {
  const read = rule.read(member, context);
  if (!('rejected' in read)) return read.value;
  const { problems } = context;
  const message = read.message ?? `"${member.name}" must be ${rule.mustBe}; found ${read.found ?? problems.found(member.value)}.`;
  const path = childPath(context.path, member.name);
  if (rule.whenBad === 'entry') leaveOut(context, member.value ?? member.key, path, message, read.fix ?? rule.fix);
  else problems.error(member.value ?? member.key, path, `${message} ${rule.whenBad.ignored}`, read.fix ?? rule.fix);
  return undefined;
}

/** Reads every field of the table that the object has, in table order, into `context.values`. */
export function readFields<V, C extends EntryContext<V>, E>(
  table: FieldTable<V, C, E>,
  members: ReadonlyMap<string, Member>,
  context: C,
  onMissing?: (name: keyof V & string, fix: string) => void,
): Partial<V> {
  for (const name of fieldNames(table)) {
    const rule = table[name];
    const member = members.get(name);
    if (!member) {
      if (rule.required !== undefined) {
        onMissing?.(name, rule.required);
        context.usable = false;
      }
      continue;
    }
    const value = readField(rule, member, context);
    if (value !== undefined) context.values[name] = value;
  }
  return context.values;
}

/** Puts every value read into the entry, in table order. */
export function applyFields<V, C, E>(table: FieldTable<V, C, E>, values: Partial<V>, entry: E): E {
  for (const name of fieldNames(table)) {
    const value = values[name];
    if (value !== undefined) table[name].apply?.(entry, value as V[typeof name]);
  }
  return entry;
}

/** The table as JSON Schema: a property per field (its shape and its words), and the fields an entry needs. */
export function objectSchema(table: Readonly<Record<string, { shape: JsonSchema; docs: FieldDocs; required?: string }>>): JsonSchema {
  const required = Object.entries(table).filter(([, rule]) => rule.required !== undefined).map(([name]) => name);
  return {
    type: 'object',
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
    properties: Object.fromEntries(Object.entries(table).map(([name, rule]) => [name, fieldSchema(rule)])),
  };
}

export function fieldSchema(rule: { shape: JsonSchema; docs: FieldDocs }): JsonSchema {
  return { ...rule.shape, ...rule.docs };
}

// The shapes most fields have. Each gives the schema and the check together.

const nonBlankPattern = '\\S';

/** A string with something other than spaces in it. */
export function nonBlank<C>(): FieldShape<string, C> {
  return {
    shape: { type: 'string', pattern: nonBlankPattern },
    read: (member) => {
      const written = nonEmptyString(member);
      return written !== undefined ? { value: written } : rejected();
    },
  };
}

/** A string that matches `pattern` (an ECMAScript pattern, as the schema writes it) and passes `also`. */
export function matching<C>(pattern: string, also: (written: string) => boolean = () => true): FieldShape<string, C> {
  const regex = new RegExp(pattern);
  return {
    shape: { type: 'string', pattern },
    read: (member) => {
      const written = nonEmptyString(member);
      return written !== undefined && regex.test(written) && also(written) ? { value: written } : rejected();
    },
  };
}

/** A path relative to the workspace folder, kept with the place it is written for the existence checks. */
export function path<C extends EntryContext<unknown>>(expects: ConfigPathReference['expects']): FieldShape<ConfigPathReference, C> {
  return {
    shape: { type: 'string', minLength: 1, pattern: nonBlankPattern },
    read: (member, context) => readPath(member, context, expects),
  };
}

export function readPath(member: Member, context: EntryContext<unknown>, expects: ConfigPathReference['expects']): Read<ConfigPathReference> {
  const written = nonEmptyString(member);
  if (written === undefined || written.includes('\0')) return rejected();
  const location = context.problems.location(member.value, childPath(context.path, member.name));
  const reference: ConfigPathReference = { ...location, path: resolve(context.folder, written), written, expects };
  context.references.push(reference);
  return { value: reference };
}

export function trueOrFalse<C>(): FieldShape<boolean, C> {
  return {
    shape: { type: 'boolean' },
    read: (member) => (member.value?.type === 'boolean' ? { value: member.value.value === true } : rejected()),
  };
}

export function wholeNumber<C>(minimum: number, maximum: number): FieldShape<number, C> {
  return {
    shape: { type: 'integer', minimum, maximum },
    read: (member) => {
      const value = member.value?.type === 'number' ? Number(member.value.value) : Number.NaN;
      return Number.isInteger(value) && value >= minimum && value <= maximum ? { value } : rejected();
    },
  };
}
