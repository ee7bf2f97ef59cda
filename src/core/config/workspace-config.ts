import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
// The package's "main" is a UMD build whose inner require() calls esbuild cannot follow (the bundle then fails
// at run time with "Cannot find module './impl/format'"); its ES module build bundles cleanly.
import { getLocation, parseTree, printParseErrorCode, type Node, type ParseError, type ParseErrorCode } from 'jsonc-parser/lib/esm/main.js';
import type { Layer, TlsVersionName } from '../probe/types';
import {
  noIdentityName,
  workspaceConfigRelativePath,
  type AwsEndpointSettings,
  type ConfigLocation,
  type ConfigPathReference,
  type ConfigProblem,
  type EndpointConfig,
  type Expectation,
  type ExpectedOutcome,
  type IdentityConfig,
  type TrustStoreConfig,
  type WorkspaceConfig,
} from './types';

// The workspace config (.vscode/mtls-probe.json, JSONC) read into WorkspaceConfig, with every problem located by
// JSON path and character range so the editor can underline it and the CLI can name it.
//
// What a mistake disables:
// - identities and trust stores: any error leaves that entry out (a half-read identity would probe as someone else);
// - endpoints: an error in a field that decides where the request goes, what is verified or what is sent
//   (name, url, ca, insecure, connectTo, serverName, hostHeader, tlsMin, tlsMax, alpn, method, headers) leaves the
//   endpoint out, because a probe without it would test something else and its verdict would mislead;
//   an error in a field that only bounds the wait or points at evidence (timeoutMs, aws and each of its fields,
//   logs) drops that field, and the endpoint runs with the default;
// - "identities" of an endpoint: a bad list falls back to the default (none + every identity), a bad name in it is dropped;
// - expectations: a bad one is dropped, its endpoint stays;
// - unknown properties are warnings and are ignored; a property written twice is a warning and the first one counts.
// A syntax error inside an entry leaves that entry out (its other problems are not reported: the text is unfinished).

const layerNames = ['dns', 'tcp', 'tls', 'mtls', 'http', 'waf'] as const satisfies readonly Layer[];
// Fails to compile when Layer gains a member that is missing above.
const _everyLayerListed: [Exclude<Layer, (typeof layerNames)[number]>] extends [never] ? true : false = true;

const tlsVersions: Readonly<Record<string, TlsVersionName>> = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };
const targetName = 'target';
const systemStoreName = 'system';
const maxTimeoutMs = 600_000;
/** Enough to fix the first ones; a file that is not JSON at all would otherwise list one per character. */
const maxSyntaxProblems = 20;

const rootFields = ['$schema', 'identities', 'trustStores', 'endpoints'] as const;
const identityFields = ['cert', 'key', 'pfx'] as const;
const endpointFields = [
  'name',
  'url',
  'ca',
  'insecure',
  'connectTo',
  'serverName',
  'hostHeader',
  'tlsMin',
  'tlsMax',
  'alpn',
  'method',
  'headers',
  'timeoutMs',
  'identities',
  'expect',
  'aws',
  'logs',
] as const;
const expectationFields = ['stoppedAt', 'reason', 'status'] as const;
const awsFields = ['profile', 'region', 'loadBalancerArn', 'listenerArn', 'webAclArn', 'wafLogGroup', 'albLogs'] as const;

/** Names people write for a known property (lower case → known name), beyond what the edit distance catches. */
const propertyAliases: Readonly<Record<string, string>> = {
  cacert: 'ca',
  cafile: 'ca',
  'ca-cert': 'ca',
  cabundle: 'ca',
  resolve: 'connectTo',
  'connect-to': 'connectTo',
  sni: 'serverName',
  host: 'hostHeader',
  tlsminversion: 'tlsMin',
  tlsmaxversion: 'tlsMax',
  minversion: 'tlsMin',
  maxversion: 'tlsMax',
  timeout: 'timeoutMs',
  expected: 'expect',
  expectations: 'expect',
  certificate: 'cert',
  privatekey: 'key',
  p12: 'pfx',
  pkcs12: 'pfx',
  truststore: 'trustStores',
  endpoint: 'endpoints',
  identity: 'identities',
};

const secretFix =
  'Remove it: secrets do not belong in the workspace. mTLS Probe asks for the passphrase when it opens the file and keeps it in secret storage (the CLI reads it from --pass-env).';
const identityHints: Readonly<Record<string, string>> = { passphrase: secretFix, password: secretFix, pass: secretFix };

// The same rules as the schema's patterns (schemas/mtls-probe.schema.json).
const httpsUrlPattern = /^[Hh][Tt][Tt][Pp][Ss]:\/\/[^\s/?#]+(?:[/?#]\S*)?$/;
const hostNamePattern = /^[A-Za-z0-9._-]+$/;
const httpTokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerValuePattern = /^[^\r\n\0]*$/;
const reasonPattern = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
const hostHeaderPattern = /^\S+$/;

/** Headers the HTTP client sets itself: it refuses these from the caller (the request would fail at run time). */
const clientManagedHeaders = new Set(['transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'content-length', 'connection']);
/** The probe sends its own correlation id in this header. */
const correlationHeader = 'x-amzn-trace-id';

interface AwsRule {
  pattern: RegExp;
  what: string;
  fix: string;
}

const awsRules: Readonly<Record<keyof AwsEndpointSettings, AwsRule>> = {
  profile: { pattern: /^\S+$/, what: 'a profile name', fix: 'Give the name of a profile in ~/.aws/config, e.g. "prod".' },
  region: { pattern: /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, what: 'an AWS region', fix: 'Give a region code such as "ap-northeast-1" or "us-east-1".' },
  loadBalancerArn: {
    pattern: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/\S+$/,
    what: 'a load balancer ARN',
    fix: 'Copy the ARN from the load balancer\'s details: "arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>".',
  },
  listenerArn: {
    pattern: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/\S+$/,
    what: 'a listener ARN',
    fix: 'Copy the ARN of the HTTPS listener: "arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<name>/<id>/<id>".',
  },
  webAclArn: {
    pattern: /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:(?:regional|global)\/webacl\/\S+$/,
    what: 'a WAF web ACL ARN',
    fix: 'Copy the ARN of the web ACL: "arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>".',
  },
  wafLogGroup: {
    pattern: /^aws-waf-logs-[A-Za-z0-9._/#-]+$/,
    what: 'a CloudWatch Logs group name starting with "aws-waf-logs-"',
    fix: 'Give the name (not the ARN) of the web ACL\'s logging destination; AWS WAF only logs to groups named "aws-waf-logs-…".',
  },
  albLogs: {
    pattern: /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/\S*)?$/,
    what: 'an s3:// location',
    fix: 'Give the bucket and prefix of the load balancer\'s access and connection logs, e.g. "s3://my-alb-logs/prod".',
  },
};

/**
 * The same check the config applies, for AWS settings given another way (CLI flags): null when the value is
 * well formed, else what is wrong and how to fix it.
 */
export function checkAwsSetting(name: keyof AwsEndpointSettings, value: string): string | null {
  const rule = awsRules[name];
  return rule.pattern.test(value) ? null : `"${value}" is not ${rule.what}. ${rule.fix}`;
}

/** A property of an object node: its name, the key node (for underlines) and the value node (absent in broken text). */
interface Member {
  name: string;
  key: Node;
  value: Node | undefined;
  property: Node;
}

/** Loaded and skipped identity names, for the endpoints that refer to them. */
interface IdentityNames {
  loaded: string[];
  skipped: Set<string>;
}

function clamp(n: number, low: number, high: number): number {
  return Math.min(Math.max(n, low), high);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}…` : text);
}

function childPath(parent: string, key: string | number): string {
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

function membersOf(object: Node): Member[] {
  const members: Member[] = [];
  for (const property of object.children ?? []) {
    const key = property.children?.[0];
    if (property.type !== 'property' || key?.type !== 'string' || typeof key.value !== 'string') continue;
    members.push({ name: key.value, key, value: property.children?.[1], property });
  }
  return members;
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

/** The known name someone probably meant, when it is close enough to say so. */
function closestName(written: string, known: readonly string[]): string | undefined {
  if (written.length > 64) return undefined;
  const lower = written.toLowerCase();
  const alias = propertyAliases[lower];
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

function listNames(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}

/** Collects problems against one text; offsets are clamped to the text so every underline is valid. */
class ProblemCollector {
  readonly problems: ConfigProblem[] = [];
  private syntaxErrorOffsets: number[] = [];

  constructor(
    readonly text: string,
    readonly file: string,
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
    const hint = hints?.[member.name.toLowerCase()];
    const suggestion = closestName(member.name, known);
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

function emptyConfig(file: string, folder: string): WorkspaceConfig {
  return { file, folder, identities: [], endpoints: [], trustStores: [], problems: [], pathReferences: [] };
}

/** The value of a member when it is a string with something other than spaces in it. */
function nonEmptyString(member: Member): string | undefined {
  const value = member.value;
  return value?.type === 'string' && typeof value.value === 'string' && value.value.trim() !== '' ? value.value : undefined;
}

function readPath(
  problems: ProblemCollector,
  member: Member,
  parentPath: string,
  folder: string,
  expects: ConfigPathReference['expects'],
  fix: string,
  consequence: string,
): ConfigPathReference | undefined {
  const jsonPath = childPath(parentPath, member.name);
  const written = nonEmptyString(member);
  if (written === undefined || written.includes('\0')) {
    problems.error(member.value ?? member.key, jsonPath, `"${member.name}" must be a file path; found ${problems.found(member.value)}. ${consequence}`, fix);
    return undefined;
  }
  return { ...problems.location(member.value, jsonPath), path: resolve(folder, written), written, expects };
}

function readIdentities(problems: ProblemCollector, node: Node | undefined, config: WorkspaceConfig, references: ConfigPathReference[]): IdentityNames {
  const names: IdentityNames = { loaded: [], skipped: new Set() };
  if (!node) return names;
  if (node.type !== 'object') {
    problems.error(
      node,
      'identities',
      `"identities" must be an object that maps names to { "cert", "key" } or { "pfx" }; found ${problems.found(node)}. No identity is loaded.`,
      'Write "identities": { "partner": { "cert": "certs/client.pem", "key": "certs/client.key" } }.',
    );
    return names;
  }
  const seen = new Set<string>();
  for (const member of membersOf(node)) {
    const jsonPath = childPath('identities', member.name);
    if (member.name === noIdentityName) {
      problems.error(
        member.key,
        jsonPath,
        `"${noIdentityName}" cannot name an identity: it is the probe without a client certificate.`,
        `Rename this identity; the probe without a certificate needs no entry.`,
      );
      continue;
    }
    if (member.name.trim() === '') {
      problems.error(member.key, jsonPath, `an identity name must not be empty; found ${quote(member.name)}.`, 'Give the identity a name, e.g. "partner".');
      continue;
    }
    if (seen.has(member.name)) {
      problems.error(member.key, jsonPath, `identity ${quote(member.name)} is defined twice; the first definition is used.`, 'Rename or remove one of them.');
      continue;
    }
    seen.add(member.name);
    const read = readIdentity(problems, member, jsonPath, config.folder);
    if (read) {
      config.identities.push(read.identity);
      references.push(...read.references);
      names.loaded.push(member.name);
    } else {
      names.skipped.add(member.name);
    }
  }
  return names;
}

function readIdentity(
  problems: ProblemCollector,
  member: Member,
  jsonPath: string,
  folder: string,
): { identity: IdentityConfig; references: ConfigPathReference[] } | undefined {
  if (problems.containsSyntaxError(member.property)) return undefined;
  const name = member.name;
  const skipped = `Identity ${quote(name)} is skipped.`;
  const value = member.value;
  if (value?.type !== 'object') {
    problems.error(
      value ?? member.key,
      jsonPath,
      `identity ${quote(name)} must be an object with "cert" and "key", or "pfx"; found ${problems.found(value)}. ${skipped}`,
      'Write { "cert": "certs/client.pem", "key": "certs/client.key" } for PEM files, or { "pfx": "certs/client.p12" }.',
    );
    return undefined;
  }
  const fields = problems.fields(value, jsonPath, identityFields, identityHints);
  const certMember = fields.get('cert');
  const keyMember = fields.get('key');
  const pfxMember = fields.get('pfx');
  let usable = true;
  const readFile = (field: Member | undefined, fix: string): ConfigPathReference | undefined => {
    if (!field) return undefined;
    const reference = readPath(problems, field, jsonPath, folder, 'file', fix, skipped);
    if (!reference) usable = false;
    return reference;
  };
  const cert = readFile(certMember, 'Give the path of the client certificate (PEM, optionally followed by its chain), relative to the workspace folder.');
  const key = readFile(keyMember, 'Give the path of the private key (PEM), relative to the workspace folder; leave "key" out when the certificate file holds the key too.');
  const pfx = readFile(pfxMember, 'Give the path of the PKCS#12 (.p12/.pfx) file, relative to the workspace folder.');
  if (certMember && pfxMember) {
    problems.error(
      pfxMember.key,
      childPath(jsonPath, 'pfx'),
      `identity ${quote(name)} has both "cert" and "pfx". ${skipped}`,
      'Keep "cert" (with "key") for PEM files, or "pfx" for a PKCS#12 file, not both.',
    );
    usable = false;
  } else if (!certMember && !pfxMember) {
    problems.error(
      member.key,
      jsonPath,
      keyMember ? `identity ${quote(name)} has a "key" but no "cert". ${skipped}` : `identity ${quote(name)} has neither "cert" nor "pfx". ${skipped}`,
      'Add "cert" (and "key" unless the certificate file holds the key too), or "pfx" for a PKCS#12 file.',
    );
    usable = false;
  } else if (pfxMember && keyMember) {
    problems.error(
      keyMember.key,
      childPath(jsonPath, 'key'),
      `"key" is not used with "pfx": the PKCS#12 file holds the key. ${skipped}`,
      'Remove "key", or use "cert" and "key" instead of "pfx".',
    );
    usable = false;
  }
  if (!usable) return undefined;
  const location = problems.location(member.property, jsonPath);
  if (pfx) return { identity: { kind: 'pfx', name, pfxFile: pfx.path, location }, references: [pfx] };
  if (!cert) return undefined;
  // Without "key" the certificate file holds the key too (a combined PEM).
  return {
    identity: { kind: 'pem', name, certFile: cert.path, keyFile: key?.path ?? cert.path, location },
    references: key ? [cert, key] : [cert],
  };
}

function readTrustStores(problems: ProblemCollector, node: Node | undefined, config: WorkspaceConfig, references: ConfigPathReference[]): void {
  if (!node) return;
  if (node.type !== 'object') {
    problems.error(
      node,
      'trustStores',
      `"trustStores" must be an object that maps names to PEM bundle paths; found ${problems.found(node)}. No trust store is loaded.`,
      'Write "trustStores": { "alb": "pki/ca-bundle.pem" }.',
    );
    return;
  }
  const seen = new Set<string>();
  for (const member of membersOf(node)) {
    const jsonPath = childPath('trustStores', member.name);
    if (member.name.trim() === '') {
      problems.error(member.key, jsonPath, `a trust store name must not be empty; found ${quote(member.name)}.`, 'Give the trust store a name, e.g. "alb".');
      continue;
    }
    if (seen.has(member.name)) {
      problems.error(member.key, jsonPath, `trust store ${quote(member.name)} is defined twice; the first definition is used.`, 'Rename or remove one of them.');
      continue;
    }
    seen.add(member.name);
    if (problems.containsSyntaxError(member.property)) continue;
    const file = readPath(
      problems,
      member,
      'trustStores',
      config.folder,
      'file',
      'Give the path of the PEM bundle of CA certificates, relative to the workspace folder.',
      `Trust store ${quote(member.name)} is skipped.`,
    );
    if (!file) continue;
    const trustStore: TrustStoreConfig = { name: member.name, file: file.path, location: problems.location(member.property, jsonPath) };
    config.trustStores.push(trustStore);
    references.push(file);
  }
}

function readEndpoints(
  problems: ProblemCollector,
  node: Node | undefined,
  config: WorkspaceConfig,
  identities: IdentityNames,
  references: ConfigPathReference[],
): void {
  if (!node) return;
  if (node.type !== 'array') {
    problems.error(
      node,
      'endpoints',
      `"endpoints" must be a list of endpoints; found ${problems.found(node)}. No endpoint is loaded.`,
      'Write "endpoints": [ { "name": "prod-api", "url": "https://api.example.com/health" } ].',
    );
    return;
  }
  /** Name → JSON path of the endpoint that has it. */
  const names = new Map<string, string>();
  (node.children ?? []).forEach((element, index) => {
    const read = readEndpoint(problems, element, `endpoints[${index}]`, config.folder, identities, names);
    if (read) {
      config.endpoints.push(read.endpoint);
      references.push(...read.references);
    }
  });
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`, and a bare IPv6 address; the port defaults to the URL's. */
function parseConnectTo(written: string, defaultPort: number): { host: string; port: number } | string {
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::([^:]*))?$/.exec(written);
  if (bracketed) {
    host = bracketed[1] ?? '';
    port = bracketed[2];
    if (isIP(host) !== 6) return 'the address in brackets must be an IPv6 address';
  } else if ((written.match(/:/g) ?? []).length > 1) {
    if (isIP(written) !== 6) return 'an IPv6 address with a port goes in brackets, e.g. "[2001:db8::1]:443"';
    host = written;
  } else {
    const colon = written.indexOf(':');
    host = colon < 0 ? written : written.slice(0, colon);
    port = colon < 0 ? undefined : written.slice(colon + 1);
    if (!hostNamePattern.test(host)) return 'the host must be a DNS name or an IP address';
  }
  if (port === undefined) return { host, port: defaultPort };
  const number = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
  if (!(number >= 1 && number <= 65535)) return 'the port must be a number from 1 to 65535';
  return { host, port: number };
}

function readEndpoint(
  problems: ProblemCollector,
  element: Node,
  jsonPath: string,
  folder: string,
  identities: IdentityNames,
  names: Map<string, string>,
): { endpoint: EndpointConfig; references: ConfigPathReference[] } | undefined {
  if (problems.containsSyntaxError(element)) return undefined;
  if (element.type !== 'object') {
    problems.error(
      element,
      jsonPath,
      `${jsonPath} must be an object with "name" and "url"; found ${problems.found(element)}. It is skipped.`,
      'Write { "name": "prod-api", "url": "https://api.example.com/health" }.',
    );
    return undefined;
  }
  const fields = problems.fields(element, jsonPath, endpointFields);
  const field = (name: (typeof endpointFields)[number]): Member | undefined => fields.get(name);
  const openingBrace: Node = { type: 'object', offset: element.offset, length: 1 };
  const references: ConfigPathReference[] = [];
  let runnable = true;

  // The name first: the other messages say which endpoint is skipped.
  const nameMember = field('name');
  const name = nameMember && nonEmptyString(nameMember);
  const skipped = name !== undefined ? `Endpoint ${quote(name)} is skipped.` : `${jsonPath} is skipped.`;
  /** An error in a field the probe cannot run without: the endpoint is left out. */
  const disabling = (member: Member, message: string, fix: string): void => {
    problems.error(member.value ?? member.key, childPath(jsonPath, member.name), `${message} ${skipped}`, fix);
    runnable = false;
  };
  /** An error in a field the probe can run without: the field is left out. */
  const dropping = (member: Member, path: string, message: string, fix: string, consequence = 'It is ignored.'): void => {
    problems.error(member.value ?? member.key, path, `${message} ${consequence}`, fix);
  };

  if (!nameMember) {
    problems.error(openingBrace, jsonPath, `${jsonPath} has no "name". ${skipped}`, 'Add a "name" that is unique in this file, e.g. "name": "prod-api".');
    runnable = false;
  } else if (name === undefined) {
    disabling(nameMember, `"name" must be a non-empty string; found ${problems.found(nameMember.value)}.`, 'Give the endpoint a name that is unique in this file, e.g. "prod-api".');
  } else if (names.has(name)) {
    problems.error(
      nameMember.value,
      childPath(jsonPath, 'name'),
      `endpoint name ${quote(name)} is already used by ${names.get(name) ?? 'an earlier endpoint'}; this one is skipped.`,
      'Give each endpoint its own name.',
    );
    runnable = false;
  } else {
    names.set(name, jsonPath);
  }
  const anchor = name !== undefined ? nameMember?.value : openingBrace;

  const urlMember = field('url');
  let url: URL | undefined;
  if (!urlMember) {
    problems.error(anchor, jsonPath, `${name !== undefined ? `endpoint ${quote(name)}` : jsonPath} has no "url". ${skipped}`, 'Add the address to probe, e.g. "url": "https://api.example.com/health".');
    runnable = false;
  } else {
    const written = nonEmptyString(urlMember);
    if (written !== undefined && httpsUrlPattern.test(written)) {
      try {
        const parsed = new URL(written);
        if (parsed.protocol === 'https:' && parsed.hostname !== '') url = parsed;
      } catch {
        // Reported below.
      }
    }
    if (!url) {
      disabling(
        urlMember,
        `"url" must be an https:// URL; found ${problems.found(urlMember.value)}.`,
        written?.toLowerCase().startsWith('http://')
          ? 'mTLS runs over TLS: use https://.'
          : 'Give the full address, starting with https://, e.g. "https://api.example.com/health".',
      );
    }
  }

  let caFile: string | undefined;
  const caMember = field('ca');
  if (caMember) {
    const written = nonEmptyString(caMember);
    if (written === systemStoreName) {
      caFile = undefined;
    } else if (written !== undefined && !written.includes('\0')) {
      const reference: ConfigPathReference = { ...problems.location(caMember.value, childPath(jsonPath, 'ca')), path: resolve(folder, written), written, expects: 'file' };
      caFile = reference.path;
      references.push(reference);
    } else {
      disabling(
        caMember,
        `"ca" must be a file path or "${systemStoreName}"; found ${problems.found(caMember.value)}.`,
        `Give the path of a PEM bundle relative to the workspace folder, or "${systemStoreName}".`,
      );
    }
  }

  let insecure = false;
  const insecureMember = field('insecure');
  if (insecureMember) {
    if (insecureMember.value?.type === 'boolean') insecure = insecureMember.value.value === true;
    else disabling(insecureMember, `"insecure" must be true or false; found ${problems.found(insecureMember.value)}.`, 'Write true to skip verifying the server certificate (like curl -k), or remove it.');
  }
  if (insecure && caFile !== undefined && caMember) {
    problems.warning(caMember.key, childPath(jsonPath, 'ca'), `"ca" has no effect while "insecure" is true.`, 'Remove "ca", or set "insecure" to false to verify the server with it.');
  }

  let connectTo: EndpointConfig['connectTo'];
  const connectToMember = field('connectTo');
  if (connectToMember) {
    const written = nonEmptyString(connectToMember);
    const parsed = written === undefined ? 'it must be a host, host:port or [IPv6]:port' : parseConnectTo(written, url ? Number(url.port || 443) : 443);
    if (typeof parsed === 'string') {
      disabling(connectToMember, `"connectTo" is not an address to connect to (${parsed}); found ${problems.found(connectToMember.value)}.`, 'Write a host, host:port or [IPv6]:port, e.g. "203.0.113.10" or "203.0.113.10:8443".');
    } else {
      connectTo = parsed;
    }
  }

  let serverName: string | undefined;
  const serverNameMember = field('serverName');
  if (serverNameMember) {
    const written = nonEmptyString(serverNameMember);
    if (written !== undefined && hostNamePattern.test(written) && isIP(written) === 0) serverName = written;
    else
      disabling(
        serverNameMember,
        `"serverName" must be a DNS name (sent as SNI); found ${problems.found(serverNameMember.value)}.`,
        'Give a DNS name such as "api.example.com" (no scheme, port or IP address), or remove it to send the URL\'s host.',
      );
  }

  let hostHeader: string | undefined;
  const hostHeaderMember = field('hostHeader');
  if (hostHeaderMember) {
    const written = nonEmptyString(hostHeaderMember);
    if (written !== undefined && hostHeaderPattern.test(written)) hostHeader = written;
    else disabling(hostHeaderMember, `"hostHeader" must be a host name without spaces; found ${problems.found(hostHeaderMember.value)}.`, 'Give the Host header to send, e.g. "api.example.com", or remove it to send the URL\'s host.');
  }

  const readTlsVersion = (member: Member | undefined): TlsVersionName | undefined => {
    if (!member) return undefined;
    const written = member.value?.type === 'string' && typeof member.value.value === 'string' ? member.value.value : undefined;
    const version = written !== undefined ? tlsVersions[written] : undefined;
    if (version) return version;
    const suggestion =
      member.value?.type === 'number' && tlsVersions[String(member.value.value)]
        ? `Write it as a string: "${String(member.value.value)}".`
        : written !== undefined && /^tlsv?1\.[23]$/i.test(written)
          ? `Write "${written.slice(-3)}".`
          : 'mTLS Probe speaks TLS 1.2 and 1.3: write "1.2" or "1.3".';
    disabling(member, `"${member.name}" must be "1.2" or "1.3"; found ${problems.found(member.value)}.`, suggestion);
    return undefined;
  };
  const tlsMinMember = field('tlsMin');
  const tlsMaxMember = field('tlsMax');
  const tlsMinVersion = readTlsVersion(tlsMinMember);
  const tlsMaxVersion = readTlsVersion(tlsMaxMember);
  if (tlsMinVersion === 'TLSv1.3' && tlsMaxVersion === 'TLSv1.2' && tlsMaxMember) {
    disabling(tlsMaxMember, `"tlsMax" "1.2" is below "tlsMin" "1.3": no TLS version is left.`, 'Raise "tlsMax" or lower "tlsMin".');
  }

  let alpn: string[] | undefined;
  const alpnMember = field('alpn');
  if (alpnMember) {
    const items = alpnMember.value?.type === 'array' ? (alpnMember.value.children ?? []) : undefined;
    const protocols = items?.map((item) => (item.type === 'string' && typeof item.value === 'string' && item.value !== '' && item.value.length <= 255 ? item.value : undefined));
    if (protocols && protocols.every((p): p is string => p !== undefined)) alpn = protocols;
    else {
      const bad = items?.find((_, i) => protocols?.[i] === undefined);
      disabling(
        alpnMember,
        `"alpn" must be a list of protocol names; found ${problems.found(bad ?? alpnMember.value)}${bad ? ' in it' : ''}.`,
        'Write the protocols to offer in order, e.g. ["h2", "http/1.1"]; an empty list offers none.',
      );
    }
  }

  let method: string | undefined;
  const methodMember = field('method');
  if (methodMember) {
    const written = nonEmptyString(methodMember);
    if (written !== undefined && httpTokenPattern.test(written)) method = written;
    else disabling(methodMember, `"method" must be an HTTP method; found ${problems.found(methodMember.value)}.`, 'Give a method such as "GET", "HEAD" or "POST".');
  }

  let headers: Record<string, string> | undefined;
  const headersMember = field('headers');
  if (headersMember) {
    const headersNode = headersMember.value;
    if (headersNode?.type !== 'object') {
      disabling(headersMember, `"headers" must be an object of header name → value; found ${problems.found(headersNode)}.`, 'Write "headers": { "X-Test": "1" }.');
    } else {
      headers = {};
      const seenHeaders = new Set<string>();
      for (const header of membersOf(headersNode)) {
        const headerPath = childPath(childPath(jsonPath, 'headers'), header.name);
        const lower = header.name.toLowerCase();
        if (!httpTokenPattern.test(header.name)) {
          problems.error(header.key, headerPath, `header name ${quote(header.name)} is not a valid HTTP header name. ${skipped}`, 'Use letters, digits and "-" in header names, e.g. "X-Test".');
          runnable = false;
        } else if (clientManagedHeaders.has(lower)) {
          problems.error(header.key, headerPath, `header ${quote(header.name)} is set by the HTTP client and cannot be given. ${skipped}`, 'Remove it.');
          runnable = false;
        } else if (lower === correlationHeader) {
          problems.warning(header.key, headerPath, `header ${quote(header.name)} is replaced by the probe's correlation id.`, 'Remove it: each probe sends its own id so server-side records can be matched.');
        } else if (seenHeaders.has(lower)) {
          problems.warning(header.key, headerPath, `header ${quote(header.name)} is given twice (names are case-insensitive); the first one is used.`, 'Remove one of them.');
        } else if (header.value?.type !== 'string' || typeof header.value.value !== 'string' || !headerValuePattern.test(header.value.value)) {
          problems.error(header.value ?? header.key, headerPath, `header ${quote(header.name)} must have a string value on one line; found ${problems.found(header.value)}. ${skipped}`, 'Write the value in double quotes, e.g. "1".');
          runnable = false;
        } else {
          seenHeaders.add(lower);
          headers[header.name] = header.value.value;
        }
      }
    }
  }

  let timeoutMs: number | undefined;
  const timeoutMember = field('timeoutMs');
  if (timeoutMember) {
    const value = timeoutMember.value?.type === 'number' ? Number(timeoutMember.value.value) : Number.NaN;
    if (Number.isInteger(value) && value >= 1 && value <= maxTimeoutMs) timeoutMs = value;
    else
      dropping(
        timeoutMember,
        childPath(jsonPath, 'timeoutMs'),
        `"timeoutMs" must be a whole number of milliseconds from 1 to ${maxTimeoutMs}; found ${problems.found(timeoutMember.value)}.`,
        'Give the timeout for one probe in milliseconds, e.g. 10000.',
        'It is ignored: the default timeouts apply.',
      );
  }

  const probedIdentities = readEndpointIdentities(problems, field('identities'), jsonPath, identities, dropping);
  const expectations = readExpectations(problems, field('expect'), jsonPath, identities, probedIdentities.explicit ? probedIdentities.names : undefined);
  const aws = readAws(problems, field('aws'), jsonPath, dropping);

  let logs: string | undefined;
  const logsMember = field('logs');
  if (logsMember) {
    const reference = readPath(problems, logsMember, jsonPath, folder, 'file-or-folder', 'Give a folder or file of local logs (ALB, WAF or ModSecurity), relative to the workspace folder.', 'It is ignored.');
    if (reference) {
      logs = reference.path;
      references.push(reference);
    }
  }

  if (!runnable || name === undefined || !url || !urlMember) return undefined;
  const endpoint: EndpointConfig = {
    name,
    url: nonEmptyString(urlMember) ?? url.href,
    insecure,
    identities: probedIdentities.names,
    expectations,
    location: problems.location(element, jsonPath),
  };
  if (caFile !== undefined) endpoint.caFile = caFile;
  if (connectTo) endpoint.connectTo = connectTo;
  if (serverName !== undefined) endpoint.serverName = serverName;
  if (hostHeader !== undefined) endpoint.hostHeader = hostHeader;
  if (tlsMinVersion) endpoint.tlsMinVersion = tlsMinVersion;
  if (tlsMaxVersion) endpoint.tlsMaxVersion = tlsMaxVersion;
  if (alpn) endpoint.alpn = alpn;
  if (method !== undefined) endpoint.method = method;
  if (headers) endpoint.headers = headers;
  if (timeoutMs !== undefined) endpoint.timeoutMs = timeoutMs;
  if (aws) endpoint.aws = aws;
  if (logs !== undefined) endpoint.logs = logs;
  return { endpoint, references };
}

type DroppingReporter = (member: Member, path: string, message: string, fix: string, consequence?: string) => void;

/** Why an identity name cannot be used here, or undefined when it can. */
function identityNameProblem(written: string, identities: IdentityNames): { message: string; fix: string } | undefined {
  if (written === noIdentityName || identities.loaded.includes(written)) return undefined;
  if (identities.skipped.has(written)) {
    return {
      message: `identity ${quote(written)} is skipped because its definition has an error (see ${childPath('identities', written)}).`,
      fix: `Fix the definition of ${quote(written)} under "identities".`,
    };
  }
  const known = [noIdentityName, ...identities.loaded];
  const suggestion = closestName(written, known);
  return {
    message: `identity ${quote(written)} is not defined.`,
    fix: `${suggestion !== undefined ? `Did you mean "${suggestion}"? ` : ''}Use "${noIdentityName}" or an identity defined under "identities": ${listNames(known)}.`,
  };
}

function readEndpointIdentities(
  problems: ProblemCollector,
  member: Member | undefined,
  endpointPath: string,
  identities: IdentityNames,
  dropping: DroppingReporter,
): { names: string[]; explicit: boolean } {
  const everyIdentity = { names: [noIdentityName, ...identities.loaded], explicit: false };
  if (!member) return everyIdentity;
  const jsonPath = childPath(endpointPath, 'identities');
  if (member.value?.type !== 'array') {
    dropping(
      member,
      jsonPath,
      `"identities" must be a list of identity names; found ${problems.found(member.value)}.`,
      `Write e.g. ["${noIdentityName}", "partner"], or remove it to probe with "${noIdentityName}" and every identity.`,
      `It is ignored: the endpoint is probed with "${noIdentityName}" and every identity.`,
    );
    return everyIdentity;
  }
  const names: string[] = [];
  (member.value.children ?? []).forEach((item, index) => {
    const itemPath = `${jsonPath}[${index}]`;
    if (item.type !== 'string' || typeof item.value !== 'string') {
      problems.error(item, itemPath, `an identity name must be a string; found ${problems.found(item)}. It is ignored.`, `Give "${noIdentityName}" or the name of an identity defined under "identities".`);
      return;
    }
    const problem = identityNameProblem(item.value, identities);
    if (problem) {
      problems.error(item, itemPath, `${problem.message} It is not probed.`, problem.fix);
    } else if (names.includes(item.value)) {
      problems.warning(item, itemPath, `identity ${quote(item.value)} is listed twice.`, 'Remove the repeated name.');
    } else {
      names.push(item.value);
    }
  });
  if ((member.value.children ?? []).length === 0) {
    problems.warning(member.value, jsonPath, `"identities" is empty: this endpoint is never probed.`, `List the identities to probe with, or remove "identities" to probe with "${noIdentityName}" and every identity.`);
  }
  return { names, explicit: true };
}

function readExpectations(
  problems: ProblemCollector,
  member: Member | undefined,
  endpointPath: string,
  identities: IdentityNames,
  listedIdentities: readonly string[] | undefined,
): Expectation[] {
  const expectations: Expectation[] = [];
  if (!member) return expectations;
  const jsonPath = childPath(endpointPath, 'expect');
  const node = member.value;
  if (node?.type !== 'object') {
    problems.error(
      node ?? member.key,
      jsonPath,
      `"expect" must be an object of identity name → expected outcome; found ${problems.found(node)}. No expectation is checked.`,
      `Write e.g. "expect": { "${noIdentityName}": "mtls", "partner": 200 }.`,
    );
    return expectations;
  }
  const seen = new Set<string>();
  for (const entry of membersOf(node)) {
    const entryPath = childPath(jsonPath, entry.name);
    if (seen.has(entry.name)) {
      problems.warning(entry.key, entryPath, `the expectation for ${quote(entry.name)} appears twice; the first one is used.`, 'Remove one of them.');
      continue;
    }
    seen.add(entry.name);
    const nameProblem = identityNameProblem(entry.name, identities);
    if (nameProblem) {
      problems.error(entry.key, entryPath, `${nameProblem.message} This expectation is dropped.`, nameProblem.fix);
      continue;
    }
    const expected = readExpectedOutcome(problems, entry.value, entryPath);
    if (!expected) continue;
    if (listedIdentities && !listedIdentities.includes(entry.name)) {
      problems.warning(
        entry.key,
        entryPath,
        `there is an expectation for ${quote(entry.name)}, but ${childPath(endpointPath, 'identities')} does not list it. This expectation is dropped.`,
        `Add "${entry.name}" to "identities", or remove this expectation.`,
      );
      continue;
    }
    expectations.push({ identity: entry.name, expected, location: problems.location(entry.property, entryPath) });
  }
  return expectations;
}

function isLayer(value: string): value is Layer {
  return (layerNames as readonly string[]).includes(value);
}

const outcomeFix = `Write a layer (${listNames(layerNames)}) where the probe should stop, "${targetName}" for the application's answer, or an HTTP status such as 200.`;

function readExpectedOutcome(problems: ProblemCollector, node: Node | undefined, jsonPath: string): ExpectedOutcome | undefined {
  const dropped = 'This expectation is dropped.';
  const statusOf = (n: Node | undefined): number | undefined => {
    const value = n?.type === 'number' ? Number(n.value) : Number.NaN;
    return Number.isInteger(value) && value >= 100 && value <= 599 ? value : undefined;
  };
  if (node?.type === 'string' && typeof node.value === 'string') {
    const written = node.value;
    if (isLayer(written)) return { kind: 'stopped', layer: written };
    if (written === targetName) return { kind: 'target' };
    const suggestion = /^\d{3}$/.test(written) ? `Write the status as a number, without quotes: ${written}.` : undefined;
    const closest = closestName(written, [...layerNames, targetName]);
    problems.error(
      node,
      jsonPath,
      `the expected outcome must be a layer, "${targetName}" or an HTTP status; found ${problems.found(node)}. ${dropped}`,
      suggestion ?? (closest !== undefined ? `Did you mean "${closest}"? ${outcomeFix}` : outcomeFix),
    );
    return undefined;
  }
  if (node?.type === 'number') {
    const status = statusOf(node);
    if (status !== undefined) return { kind: 'status', status };
    problems.error(node, jsonPath, `an expected HTTP status must be a whole number from 100 to 599; found ${problems.found(node)}. ${dropped}`, 'Give the status the endpoint should answer with, e.g. 200 or 403.');
    return undefined;
  }
  if (node?.type !== 'object') {
    problems.error(node, jsonPath, `the expected outcome must be a layer, "${targetName}", an HTTP status or an object; found ${problems.found(node)}. ${dropped}`, outcomeFix);
    return undefined;
  }
  const fields = problems.fields(node, jsonPath, expectationFields);
  const stoppedAt = fields.get('stoppedAt');
  const reason = fields.get('reason');
  const status = fields.get('status');
  let valid = true;
  const stoppedAtValue = stoppedAt?.value?.type === 'string' && typeof stoppedAt.value.value === 'string' ? stoppedAt.value.value : undefined;
  if (!stoppedAt) {
    problems.error(node, jsonPath, `the expected outcome has no "stoppedAt". ${dropped}`, `Add "stoppedAt": a layer (${listNames(layerNames)}) or "${targetName}".`);
    valid = false;
  } else if (stoppedAtValue === undefined || (!isLayer(stoppedAtValue) && stoppedAtValue !== targetName)) {
    const closest = stoppedAtValue !== undefined ? closestName(stoppedAtValue, [...layerNames, targetName]) : undefined;
    problems.error(
      stoppedAt.value ?? stoppedAt.key,
      childPath(jsonPath, 'stoppedAt'),
      `"stoppedAt" must be a layer or "${targetName}"; found ${problems.found(stoppedAt.value)}. ${dropped}`,
      `${closest !== undefined ? `Did you mean "${closest}"? ` : ''}Use one of ${listNames([...layerNames, targetName])}.`,
    );
    valid = false;
  }
  const reasonValue = reason?.value?.type === 'string' && typeof reason.value.value === 'string' ? reason.value.value : undefined;
  if (reason && (reasonValue === undefined || !reasonPattern.test(reasonValue))) {
    problems.error(
      reason.value ?? reason.key,
      childPath(jsonPath, 'reason'),
      `"reason" must be a verdict reason code; found ${problems.found(reason.value)}. ${dropped}`,
      'Give the code in lower case with underscores, as the verdict shows it, e.g. "alert_certificate_required".',
    );
    valid = false;
  }
  const statusValue = status ? statusOf(status.value) : undefined;
  if (status && statusValue === undefined) {
    problems.error(
      status.value ?? status.key,
      childPath(jsonPath, 'status'),
      `"status" must be a whole number from 100 to 599; found ${problems.found(status.value)}. ${dropped}`,
      'Give the HTTP status the application should answer with, e.g. 200.',
    );
    valid = false;
  }
  if (!valid || stoppedAtValue === undefined) return undefined;
  if (stoppedAtValue === targetName) {
    if (reason) {
      problems.error(reason.key, childPath(jsonPath, 'reason'), `"reason" applies to a layer where the probe stops, not to "${targetName}". ${dropped}`, `Remove "reason", or give "stoppedAt" a layer.`);
      return undefined;
    }
    return statusValue !== undefined ? { kind: 'target', status: statusValue } : { kind: 'target' };
  }
  if (status) {
    problems.error(
      status.key,
      childPath(jsonPath, 'status'),
      `"status" applies to "stoppedAt": "${targetName}", not to a layer. ${dropped}`,
      `To expect this status whichever layer answers, write the number alone (e.g. ${statusValue ?? 400}); otherwise remove "status".`,
    );
    return undefined;
  }
  if (!isLayer(stoppedAtValue)) return undefined;
  return reasonValue !== undefined ? { kind: 'stopped', layer: stoppedAtValue, reason: reasonValue } : { kind: 'stopped', layer: stoppedAtValue };
}

function readAws(problems: ProblemCollector, member: Member | undefined, endpointPath: string, dropping: DroppingReporter): AwsEndpointSettings | undefined {
  if (!member) return undefined;
  const jsonPath = childPath(endpointPath, 'aws');
  const node = member.value;
  if (node?.type !== 'object') {
    dropping(member, jsonPath, `"aws" must be an object of AWS settings; found ${problems.found(node)}.`, 'Write e.g. "aws": { "profile": "prod", "region": "ap-northeast-1" }.', 'It is ignored: no AWS evidence is fetched.');
    return undefined;
  }
  const fields = problems.fields(node, jsonPath, awsFields);
  const aws: AwsEndpointSettings = {};
  for (const name of awsFields) {
    const field = fields.get(name);
    if (!field) continue;
    const rule = awsRules[name];
    const written = field.value?.type === 'string' && typeof field.value.value === 'string' ? field.value.value : undefined;
    if (written !== undefined && rule.pattern.test(written)) aws[name] = written;
    else dropping(field, childPath(jsonPath, name), `"${name}" must be ${rule.what}; found ${problems.found(field.value)}.`, rule.fix);
  }
  // An ARN names its region; evidence is fetched from one region, so a disagreement finds nothing.
  for (const name of ['loadBalancerArn', 'listenerArn', 'webAclArn'] as const) {
    const arnRegion = aws[name]?.split(':')[3];
    const field = fields.get(name);
    if (aws.region === undefined || arnRegion === undefined || field === undefined) continue;
    if (name === 'webAclArn' && aws[name]?.split(':')[5]?.startsWith('global/')) continue;
    if (arnRegion !== aws.region) {
      problems.warning(
        field.value,
        childPath(jsonPath, name),
        `"${name}" is in region "${arnRegion}", but "region" is "${aws.region}".`,
        'Use the region the load balancer and web ACL are in, or correct the ARN.',
      );
    }
  }
  return aws;
}

/**
 * Reads the workspace config from its text (JSONC). Pure: no file system access (see checkConfigPaths).
 * Relative paths, `file` included, are resolved against `folder`. Never throws: every mistake is a problem.
 */
export function parseWorkspaceConfig(text: string, file: string, folder: string): WorkspaceConfig {
  const absoluteFolder = resolve(folder);
  const config = emptyConfig(resolve(absoluteFolder, file), absoluteFolder);
  const problems = new ProblemCollector(text, config.file);
  const finish = (): WorkspaceConfig => {
    // Stable: problems at one place keep the order they were found in.
    config.problems = problems.problems.sort((a, b) => a.offset - b.offset);
    return config;
  };
  // A byte-order mark is not whitespace to the parser; a space in its place keeps every offset.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  const errors: ParseError[] = [];
  let root: Node | undefined;
  try {
    root = parseTree(source, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  } catch (e) {
    // The parser recurses once per nesting level: thousands of unclosed brackets exhaust the stack.
    problems.error(undefined, '', `the file cannot be read as JSON (${e instanceof Error ? e.message : String(e)}).`, 'Check for unbalanced or very deeply nested brackets.');
    return finish();
  }
  problems.syntaxErrors(source, errors);
  if (!root) {
    if (errors.length === 0) {
      problems.warning(undefined, '', 'the config file is empty.', 'Add the endpoints to probe, e.g. { "endpoints": [ { "name": "api", "url": "https://api.example.com/health" } ] }.');
    }
    return finish();
  }
  if (root.type !== 'object') {
    problems.error(
      root,
      '',
      `the config must be a JSON object; found ${problems.found(root)}.`,
      'Put the settings in braces: { "identities": { … }, "endpoints": [ … ] }.',
    );
    return finish();
  }
  const fields = problems.fields(root, '', rootFields);
  const references: ConfigPathReference[] = [];
  const identities = readIdentities(problems, fields.get('identities')?.value, config, references);
  readTrustStores(problems, fields.get('trustStores')?.value, config, references);
  readEndpoints(problems, fields.get('endpoints')?.value, config, identities, references);
  config.pathReferences = references;
  return finish();
}

/** The paths a hand-made config names, placed at their entries (a parsed config carries the exact places). */
function pathReferencesOf(config: WorkspaceConfig): ConfigPathReference[] {
  const references: ConfigPathReference[] = [];
  const add = (path: string, location: ConfigLocation, expects: ConfigPathReference['expects'] = 'file'): void => {
    references.push({ ...location, path, written: path, expects });
  };
  for (const identity of config.identities) {
    if (identity.kind === 'pfx') add(identity.pfxFile, identity.location);
    else {
      add(identity.certFile, identity.location);
      if (identity.keyFile !== identity.certFile) add(identity.keyFile, identity.location);
    }
  }
  for (const trustStore of config.trustStores) add(trustStore.file, trustStore.location);
  for (const endpoint of config.endpoints) {
    if (endpoint.caFile !== undefined) add(endpoint.caFile, endpoint.location);
    if (endpoint.logs !== undefined) add(endpoint.logs, endpoint.location, 'file-or-folder');
  }
  return references;
}

function errnoCode(e: unknown): string | undefined {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' ? (e as NodeJS.ErrnoException).code : undefined;
}

/**
 * Warnings for the paths of loaded entries that do not exist or are not what they should be. Warnings, not errors:
 * the files may be generated later (e.g. by the test PKI generator).
 */
export async function checkConfigPaths(config: WorkspaceConfig): Promise<ConfigProblem[]> {
  const references = config.pathReferences ?? pathReferencesOf(config);
  const checks = new Map<string, Promise<'file' | 'folder' | 'other' | { missing: true } | { failed: string }>>();
  const kindOf = (path: string) => {
    let check = checks.get(path);
    if (!check) {
      check = stat(path).then(
        (s) => (s.isFile() ? 'file' : s.isDirectory() ? 'folder' : 'other'),
        (e: unknown) => {
          const code = errnoCode(e);
          return code === 'ENOENT' || code === 'ENOTDIR' ? { missing: true as const } : { failed: e instanceof Error ? e.message : String(e) };
        },
      );
      checks.set(path, check);
    }
    return check;
  };
  const problems: ConfigProblem[] = [];
  const results = await Promise.all(references.map((reference) => kindOf(reference.path)));
  references.forEach((reference, i) => {
    const kind = results[i];
    const { path, written, expects, ...location } = reference;
    const named = written === path ? quote(path) : `${quote(written)} (${path})`;
    const problem = (message: string, fix: string): void => {
      problems.push({ ...location, severity: 'warning', message, fix });
    };
    if (kind === undefined || kind === 'file' || (kind === 'folder' && expects === 'file-or-folder')) return;
    if (typeof kind === 'object' && 'missing' in kind) {
      problem(`${named} does not exist.`, 'Correct the path (relative to the workspace folder), or create the file; probes that need it fail until it exists.');
    } else if (typeof kind === 'object') {
      problem(`${named} cannot be checked: ${kind.failed}.`, 'Make sure the file is readable.');
    } else if (kind === 'folder') {
      problem(`${named} is a folder, not a file.`, 'Give the path of the file itself.');
    } else {
      problem(`${named} is not a regular file.`, 'Give the path of a regular file.');
    }
  });
  return problems;
}

/**
 * Reads `<folder>/.vscode/mtls-probe.json` (or `file`, relative to the folder) and checks its paths.
 * Null when the file does not exist; any other read failure is a problem naming the file.
 */
export async function loadWorkspaceConfig(folder: string, file?: string): Promise<WorkspaceConfig | null> {
  const absoluteFolder = resolve(folder);
  const configFile = resolve(absoluteFolder, file ?? workspaceConfigRelativePath);
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    const config = emptyConfig(configFile, absoluteFolder);
    config.problems.push({
      file: configFile,
      jsonPath: '',
      offset: 0,
      length: 0,
      severity: 'error',
      message: code === 'EISDIR' ? `${configFile} is a folder, not a file.` : `${configFile} cannot be read: ${e instanceof Error ? e.message : String(e)}.`,
      fix: code === 'EISDIR' ? 'Remove the folder, or give the path of the config file.' : 'Check the file\'s permissions.',
    });
    return config;
  }
  // Editors drop the byte-order mark from the document, so offsets count from after it.
  const config = parseWorkspaceConfig(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, configFile, absoluteFolder);
  config.problems.push(...(await checkConfigPaths(config)));
  config.problems.sort((a, b) => a.offset - b.offset);
  return config;
}

/** One line for an expected outcome: "mtls", "mtls (alert_certificate_required)", "target with HTTP 200", "HTTP 400". */
export function describeExpectedOutcome(expected: ExpectedOutcome): string {
  switch (expected.kind) {
    case 'stopped':
      return expected.reason !== undefined ? `${expected.layer} (${expected.reason})` : expected.layer;
    case 'target':
      return expected.status !== undefined ? `${targetName} with HTTP ${expected.status}` : targetName;
    case 'status':
      return `HTTP ${expected.status}`;
  }
}
