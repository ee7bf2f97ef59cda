// The package's "main" is a UMD build whose inner require() calls esbuild cannot follow (the bundle then fails
// at run time with "Cannot find module './impl/format'"); its ES module build bundles cleanly.
import { getLocation, printParseErrorCode, type Node, type ParseError, type ParseErrorCode } from 'jsonc-parser/lib/esm/main.js';
import type { ConfigLocation, ConfigProblem } from './types';

// Problems found in a JSONC text, each placed by JSON path and character range so the editor can underline it and
// the CLI can name it: the messages' words for values, "did you mean" for misspelt names, unknown and repeated
// properties, and syntax errors. Knows nothing of the config's fields: the field tables say what is known.

/** Enough to fix the first ones; a file that is not JSON at all would otherwise list one per character. */
const maxSyntaxProblems = 20;

/** A property of an object node: its name, the key node (for underlines) and the value node (absent in broken text). */
export interface Member {
  name: string;
  key: Node;
  value: Node | undefined;
  property: Node;
}

function clamp(n: number, low: number, high: number): number {
  return Math.min(Math.max(n, low), high);
}

export function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}…` : text);
}

export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${quote(key)}]`;
}

function formatJsonPath(segments: readonly (string | number)[]): string {
  return segments.reduce<string>((path, segment) => childPath(path, segment), '');
}

/** "in endpoints[0]", or "at the top level" for the document itself. */
function inside(jsonPath: string): string {
  return jsonPath === '' ? 'at the top level' : `in ${jsonPath}`;
}

export function membersOf(object: Node): Member[] {
  const members: Member[] = [];
  for (const property of object.children ?? []) {
    const key = property.children?.[0];
    if (property.type !== 'property' || key?.type !== 'string' || typeof key.value !== 'string') continue;
    members.push({ name: key.value, key, value: property.children?.[1], property });
  }
  return members;
}

/** The value of a node when it is a string. */
export function stringOf(node: Node | undefined): string | undefined {
  return node?.type === 'string' && typeof node.value === 'string' ? node.value : undefined;
}

/** The value of a member when it is a string with something other than spaces in it. */
export function nonEmptyString(member: Member): string | undefined {
  const value = stringOf(member.value);
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

/** Optimal string alignment distance (a transposition counts as one edit: "ulr" → "url"). */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (before[j - 2] ?? 0) + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known name someone probably meant, when it is close enough to say so. `aliases` (lower case → known name) are
 * names people write that the edit distance does not catch ("cacert" for "ca").
 */
function closestName(written: string, known: readonly string[], aliases: Readonly<Record<string, string>>): string | undefined {
  if (written.length > 64) return undefined;
  const lower = written.toLowerCase();
  const alias = Object.hasOwn(aliases, lower) ? aliases[lower] : undefined;
  if (alias !== undefined && known.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(written.length / 3))) return best;
  // "timeout" for "timeoutMs", "expected" for "expect".
  return known.find((name) => {
    const n = name.toLowerCase();
    return Math.min(n.length, lower.length) >= 4 && (n.startsWith(lower) || lower.startsWith(n));
  });
}

export function listNames(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}

/** Collects problems against one text; offsets are clamped to the text so every underline is valid. */
export class ProblemCollector {
  readonly problems: ConfigProblem[] = [];
  private syntaxErrorOffsets: number[] = [];

  constructor(
    readonly text: string,
    readonly file: string,
    private readonly aliases: Readonly<Record<string, string>> = {},
  ) {}

  location(node: Node | undefined, jsonPath: string): ConfigLocation {
    return this.range(node?.offset ?? 0, node?.length ?? 0, jsonPath);
  }

  range(offset: number, length: number, jsonPath: string): ConfigLocation {
    const start = clamp(Number.isFinite(offset) ? offset : 0, 0, this.text.length);
    return { file: this.file, jsonPath, offset: start, length: clamp(Number.isFinite(length) ? length : 0, 0, this.text.length - start) };
  }

  error(node: Node | undefined, jsonPath: string, message: string, fix: string): void {
    this.problems.push({ ...this.location(node, jsonPath), severity: 'error', message, fix });
  }

  warning(node: Node | undefined, jsonPath: string, message: string, fix: string): void {
    this.problems.push({ ...this.location(node, jsonPath), severity: 'warning', message, fix });
  }

  /** The value as the message should name it. */
  found(node: Node | undefined): string {
    if (!node) return 'nothing';
    switch (node.type) {
      case 'string':
        return typeof node.value === 'string' ? quote(node.value) : 'a string';
      case 'number': {
        const written = this.text.slice(node.offset, node.offset + node.length);
        return written.length > 40 ? `${written.slice(0, 37)}…` : written;
      }
      case 'boolean':
      case 'null':
        return String(node.value);
      case 'object':
        return 'an object';
      case 'array':
        return 'a list';
      default:
        return 'a property';
    }
  }

  /** The known name someone probably meant ("partnr" → "partner"), when it is close enough to say so. */
  closest(written: string, known: readonly string[]): string | undefined {
    return closestName(written, known, this.aliases);
  }

  syntaxErrors(source: string, errors: readonly ParseError[]): void {
    this.syntaxErrorOffsets = errors.map((e) => e.offset).sort((a, b) => a - b);
    for (const e of errors.slice(0, maxSyntaxProblems)) {
      let segments: (string | number)[] = [];
      try {
        segments = getLocation(source, e.offset).path;
      } catch {
        // Only the JSON path is lost; the offset still places the problem.
      }
      const at = source.slice(e.offset, e.offset + Math.max(e.length, 1)).split(/\r?\n/)[0] ?? '';
      const found = e.offset >= source.length ? 'the end of the file' : quote(at.length > 20 ? at.slice(0, 20) : at);
      const [what, fix] = syntaxErrorText(e.error);
      this.problems.push({ ...this.range(e.offset, e.length, formatJsonPath(segments)), severity: 'error', message: `JSON syntax error: ${what}; found ${found}.`, fix });
    }
    if (errors.length > maxSyntaxProblems) {
      const last = errors[errors.length - 1];
      this.problems.push({
        ...this.range(last?.offset ?? 0, last?.length ?? 0, ''),
        severity: 'error',
        message: `JSON syntax error: ${errors.length - maxSyntaxProblems} more syntax errors after the first ${maxSyntaxProblems}.`,
        fix: 'Fix the first errors; the later ones often follow from them.',
      });
    }
  }

  /** Whether a syntax error lies inside this node (its end included: an unclosed entry's error sits at its end). */
  containsSyntaxError(node: Node): boolean {
    const offsets = this.syntaxErrorOffsets;
    let low = 0;
    let high = offsets.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((offsets[middle] ?? 0) < node.offset) low = middle + 1;
      else high = middle;
    }
    const first = offsets[low];
    return first !== undefined && first <= node.offset + node.length;
  }

  unknownProperty(member: Member, parentPath: string, known: readonly string[], hints?: Readonly<Record<string, string>>): void {
    const lower = member.name.toLowerCase();
    // Own properties only: "constructor" is not a hint.
    const hint = hints !== undefined && Object.hasOwn(hints, lower) ? hints[lower] : undefined;
    const suggestion = this.closest(member.name, known);
    const fix =
      hint ??
      (suggestion !== undefined
        ? `Did you mean "${suggestion}"? Known properties: ${listNames(known)}.`
        : `Remove it, or use a known property: ${listNames(known)}.`);
    this.warning(member.key, childPath(parentPath, member.name), `unknown property ${quote(member.name)} ${inside(parentPath)}.`, fix);
  }

  /** The known properties of an object (first occurrence of each); unknown and repeated ones become warnings. */
  fields<K extends string>(object: Node, parentPath: string, known: readonly K[], hints?: Readonly<Record<string, string>>): Map<K, Member> {
    const fields = new Map<K, Member>();
    for (const member of membersOf(object)) {
      const name = member.name as K;
      if (!known.includes(name)) {
        this.unknownProperty(member, parentPath, known, hints);
      } else if (fields.has(name)) {
        this.warning(
          member.key,
          childPath(parentPath, member.name),
          `property ${quote(member.name)} appears twice ${inside(parentPath)}; the first one is used.`,
          'Remove one of them.',
        );
      } else {
        fields.set(name, member);
      }
    }
    return fields;
  }
}

function syntaxErrorText(code: ParseErrorCode): [what: string, fix: string] {
  const general = 'Correct the JSON here (comments and trailing commas are allowed).';
  // ParseErrorCode is a const enum, which isolated modules cannot read: go by its name.
  const name = printParseErrorCode(code);
  switch (name) {
    case 'InvalidSymbol':
      return ['unexpected character', 'Remove it, or put text in double quotes.'];
    case 'InvalidNumberFormat':
      return ['not a valid number', 'Write the number in decimal (e.g. 10000), or put text in double quotes.'];
    case 'PropertyNameExpected':
      return ['expected a property name in double quotes', 'Put the property name in double quotes, e.g. "url".'];
    case 'ValueExpected':
      return ['expected a value', 'Give a value: a string in double quotes, a number, true, false, an object or a list.'];
    case 'ColonExpected':
      return ['expected a colon after the property name', 'Write "name": value.'];
    case 'CommaExpected':
      return ['expected a comma', 'Separate the entries with commas.'];
    case 'CloseBraceExpected':
      return ['expected "}"', 'Close the object with "}".'];
    case 'CloseBracketExpected':
      return ['expected "]"', 'Close the list with "]".'];
    case 'EndOfFileExpected':
      return ['expected the end of the file', 'The config is one object: remove what follows its closing "}".'];
    case 'UnexpectedEndOfComment':
      return ['unclosed block comment', 'Close the comment with "*/".'];
    case 'UnexpectedEndOfString':
      return ['unclosed string', 'Close the string with a double quote.'];
    case 'InvalidCharacter':
      return ['a control character inside a string', 'Escape it (\\n, \\t) or remove it.'];
    case 'InvalidEscapeCharacter':
    case 'InvalidUnicode':
      return ['an invalid escape in a string', 'Write a backslash as \\\\ (Windows paths can use forward slashes).'];
    default:
      return [name, general];
  }
}
