import type { Node } from 'jsonc-parser/lib/esm/main.js';
import { aliasesOf, fieldNames, fieldSchema, leaveOut, objectSchema, path, readField, readFields, type EntryContext, type FieldTable, type JsonSchema } from './field-rules';
import { childPath, listNames, membersOf, quote, type Member, type ProblemCollector } from './jsonc-problems';
import { noIdentityName, type ConfigPathReference, type IdentityConfig, type TrustStoreConfig, type WorkspaceConfig } from './types';

// The "identities" and "trustStores" of the workspace config: their fields, how they are read and their JSON
// Schema. Any error leaves that entry out: a half-read identity would probe as someone else.

interface IdentityValues {
  cert: ConfigPathReference;
  key: ConfigPathReference;
  pfx: ConfigPathReference;
}

type IdentityContext = EntryContext<IdentityValues>;

const identityFields: FieldTable<IdentityValues, IdentityContext> = {
  cert: {
    ...path('file'),
    mustBe: 'a file path',
    fix: 'Give the path of the client certificate (PEM, optionally followed by its chain), relative to the workspace folder.',
    whenBad: 'entry',
    aliases: ['certificate'],
    docs: {
      description: 'Path of the client certificate (PEM, optionally followed by its intermediate CAs), relative to the workspace folder.',
      markdownDescription:
        'Path of the client certificate (PEM), relative to the workspace folder. Put the intermediate CAs after the certificate to send the whole chain. Without `key`, this file must hold the private key too.',
    },
  },
  key: {
    ...path('file'),
    mustBe: 'a file path',
    fix: 'Give the path of the private key (PEM), relative to the workspace folder; leave "key" out when the certificate file holds the key too.',
    whenBad: 'entry',
    aliases: ['privatekey'],
    docs: {
      description:
        'Path of the private key (PEM; encrypted PKCS#8 is asked for its passphrase), relative to the workspace folder. Leave it out when the certificate file holds the key.',
      markdownDescription:
        'Path of the private key (PEM), relative to the workspace folder. An encrypted key\'s passphrase is asked for once and kept in secret storage — never write it here. Leave `key` out when the `cert` file holds the key too.',
    },
  },
  pfx: {
    ...path('file'),
    mustBe: 'a file path',
    fix: 'Give the path of the PKCS#12 (.p12/.pfx) file, relative to the workspace folder.',
    whenBad: 'entry',
    aliases: ['p12', 'pkcs12'],
    docs: {
      description:
        'Path of a PKCS#12 (.p12/.pfx) file with the certificate and key, relative to the workspace folder. Legacy files (RC2/3DES) work too.',
      markdownDescription:
        'Path of a PKCS#12 (`.p12`/`.pfx`) file holding the certificate, its chain and the key, relative to the workspace folder. Legacy files (RC2/3DES with SHA-1) work too. The passphrase is asked for once and kept in secret storage.',
    },
  },
};

export const identityAliases = aliasesOf(identityFields);

const secretFix =
  'Remove it: secrets do not belong in the workspace. mTLS Probe asks for the passphrase when it opens the file and keeps it in secret storage (the CLI reads it from --pass-env).';
/** Unknown properties of an identity that need more than "did you mean". */
const identityHints: Readonly<Record<string, string>> = { passphrase: secretFix, password: secretFix, pass: secretFix };

/** The identity is one of PEM files or a PKCS#12 file: the combinations the fields alone cannot rule out. */
function checkIdentityKind(context: IdentityContext, fields: ReadonlyMap<string, Member>, entry: Member): void {
  const name = quote(entry.name);
  const cert = fields.get('cert');
  const key = fields.get('key');
  const pfx = fields.get('pfx');
  if (cert && pfx) {
    leaveOut(context, pfx.key, childPath(context.path, 'pfx'), `identity ${name} has both "cert" and "pfx".`, 'Keep "cert" (with "key") for PEM files, or "pfx" for a PKCS#12 file, not both.');
  } else if (!cert && !pfx) {
    leaveOut(
      context,
      entry.key,
      context.path,
      key ? `identity ${name} has a "key" but no "cert".` : `identity ${name} has neither "cert" nor "pfx".`,
      'Add "cert" (and "key" unless the certificate file holds the key too), or "pfx" for a PKCS#12 file.',
    );
  } else if (pfx && key) {
    leaveOut(context, key.key, childPath(context.path, 'key'), `"key" is not used with "pfx": the PKCS#12 file holds the key.`, 'Remove "key", or use "cert" and "key" instead of "pfx".');
  }
}

function readIdentity(problems: ProblemCollector, member: Member, jsonPath: string, folder: string): { identity: IdentityConfig; references: ConfigPathReference[] } | undefined {
  if (problems.containsSyntaxError(member.property)) return undefined;
  const name = member.name;
  const context: IdentityContext = { problems, path: jsonPath, folder, skipped: `Identity ${quote(name)} is skipped.`, usable: true, values: {}, references: [] };
  const value = member.value;
  if (value?.type !== 'object') {
    leaveOut(
      context,
      value ?? member.key,
      jsonPath,
      `identity ${quote(name)} must be an object with "cert" and "key", or "pfx"; found ${problems.found(value)}.`,
      'Write { "cert": "certs/client.pem", "key": "certs/client.key" } for PEM files, or { "pfx": "certs/client.p12" }.',
    );
    return undefined;
  }
  const fields = problems.fields(value, jsonPath, fieldNames(identityFields), identityHints);
  const { cert, key, pfx } = readFields(identityFields, fields, context);
  checkIdentityKind(context, fields, member);
  if (!context.usable) return undefined;
  const location = problems.location(member.property, jsonPath);
  if (pfx) return { identity: { kind: 'pfx', name, pfxFile: pfx.path, location }, references: context.references };
  if (!cert) return undefined;
  // Without "key" the certificate file holds the key too (a combined PEM).
  return { identity: { kind: 'pem', name, certFile: cert.path, keyFile: key?.path ?? cert.path, location }, references: context.references };
}

/** Loaded and skipped identity names, for the endpoints that refer to them. */
export interface IdentityNames {
  loaded: string[];
  skipped: Set<string>;
}

export function readIdentities(problems: ProblemCollector, node: Node | undefined, config: WorkspaceConfig, references: ConfigPathReference[]): IdentityNames {
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
      problems.error(member.key, jsonPath, `"${noIdentityName}" cannot name an identity: it is the probe without a client certificate.`, `Rename this identity; the probe without a certificate needs no entry.`);
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

/** Why an identity name cannot be used in an endpoint, or undefined when it can. */
export function identityNameProblem(problems: ProblemCollector, written: string, identities: IdentityNames): { message: string; fix: string } | undefined {
  if (written === noIdentityName || identities.loaded.includes(written)) return undefined;
  if (identities.skipped.has(written)) {
    return {
      message: `identity ${quote(written)} is skipped because its definition has an error (see ${childPath('identities', written)}).`,
      fix: `Fix the definition of ${quote(written)} under "identities".`,
    };
  }
  const known = [noIdentityName, ...identities.loaded];
  const suggestion = problems.closest(written, known);
  return {
    message: `identity ${quote(written)} is not defined.`,
    fix: `${suggestion !== undefined ? `Did you mean "${suggestion}"? ` : ''}Use "${noIdentityName}" or an identity defined under "identities": ${listNames(known)}.`,
  };
}

/** The identities an endpoint probes with; `explicit` when it lists them (else "none" and every identity). */
export interface ProbedIdentities {
  names: string[];
  explicit: boolean;
}

/** An endpoint's "identities" list: a bad name in it is dropped, the others are probed. */
export function readProbedIdentities(problems: ProblemCollector, list: Node, jsonPath: string, identities: IdentityNames): ProbedIdentities {
  const names: string[] = [];
  const items = list.children ?? [];
  items.forEach((item, index) => {
    const itemPath = `${jsonPath}[${index}]`;
    if (item.type !== 'string' || typeof item.value !== 'string') {
      problems.error(item, itemPath, `an identity name must be a string; found ${problems.found(item)}. It is ignored.`, `Give "${noIdentityName}" or the name of an identity defined under "identities".`);
      return;
    }
    const problem = identityNameProblem(problems, item.value, identities);
    if (problem) {
      problems.error(item, itemPath, `${problem.message} It is not probed.`, problem.fix);
    } else if (names.includes(item.value)) {
      problems.warning(item, itemPath, `identity ${quote(item.value)} is listed twice.`, 'Remove the repeated name.');
    } else {
      names.push(item.value);
    }
  });
  if (items.length === 0) {
    problems.warning(list, jsonPath, `"identities" is empty: this endpoint is never probed.`, `List the identities to probe with, or remove "identities" to probe with "${noIdentityName}" and every identity.`);
  }
  return { names, explicit: true };
}

/** A trust store is a name and the path of its bundle: the path is the entry. */
const trustStoreFile = {
  ...path<EntryContext<unknown>>('file'),
  mustBe: 'a file path',
  fix: 'Give the path of the PEM bundle of CA certificates, relative to the workspace folder.',
  whenBad: 'entry' as const,
  docs: { description: 'Path of a PEM bundle of CA certificates, relative to the workspace folder.' },
};

export function readTrustStores(problems: ProblemCollector, node: Node | undefined, config: WorkspaceConfig, references: ConfigPathReference[]): void {
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
    const context: EntryContext<unknown> = { problems, path: 'trustStores', folder: config.folder, skipped: `Trust store ${quote(member.name)} is skipped.`, usable: true, values: {}, references: [] };
    const file = readField(trustStoreFile, member, context);
    if (!file) continue;
    const trustStore: TrustStoreConfig = { name: member.name, file: file.path, location: problems.location(member.property, jsonPath) };
    config.trustStores.push(trustStore);
    references.push(file);
  }
}

/** The root's "identities" in JSON Schema; each one is `#/definitions/identity`. */
export const identitiesSchema: JsonSchema = {
  type: 'object',
  description:
    'Client identities by name: a PEM certificate and key, or a PKCS#12 file. "none" (the probe without a client certificate) is always there and needs no entry.',
  markdownDescription:
    'Client identities by name: a PEM certificate and key, or a PKCS#12 file.\n\n`"none"` (the probe without a client certificate) is always there and cannot name an identity. Every endpoint is probed with `none` and every identity unless it lists its `identities`.',
  propertyNames: {
    pattern: '\\S',
    not: { const: noIdentityName },
    description: `The identity's name, used in endpoints' "identities" and "expect". "${noIdentityName}" is reserved.`,
  },
  additionalProperties: { $ref: '#/definitions/identity' },
  defaultSnippets: [
    { label: 'PEM identity', description: 'A certificate and its private key', body: { '${1:partner}': { cert: '${2:certs/client.pem}', key: '${3:certs/client.key}' } } },
    { label: 'PKCS#12 identity', description: 'A .p12/.pfx file (the passphrase is asked for once)', body: { '${1:legacy}': { pfx: '${2:certs/client.p12}' } } },
  ],
};

/** One identity: PEM files or a PKCS#12 file, never both (the combinations checkIdentityKind refuses). */
export function identityDefinition(): JsonSchema {
  return {
    ...objectSchema(identityFields),
    description: 'A client identity: "cert" (and "key") for PEM files, or "pfx" for a PKCS#12 file.',
    oneOf: [
      { required: ['cert'], not: { required: ['pfx'] } },
      { required: ['pfx'], not: { anyOf: [{ required: ['cert'] }, { required: ['key'] }] } },
    ],
    defaultSnippets: [
      { label: 'PEM certificate and key', body: { cert: '${1:certs/client.pem}', key: '${2:certs/client.key}' } },
      { label: 'PKCS#12 file', body: { pfx: '${1:certs/client.p12}' } },
    ],
  };
}

export const trustStoresSchema: JsonSchema = {
  type: 'object',
  description: "PEM bundles of CA certificates by name, checked against the load balancer's trust-store rules and listed with their findings.",
  propertyNames: { pattern: '\\S', description: "The trust store's name." },
  additionalProperties: fieldSchema(trustStoreFile),
  defaultSnippets: [{ label: 'Trust store', body: { '${1:alb}': '${2:pki/ca-bundle.pem}' } }],
};
