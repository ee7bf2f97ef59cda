import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseTree, type Node, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { endpointAliases } from './endpoint-fields';
import { endpointsSchema, readEndpoints } from './endpoint-reader';
import { aliasesOf, type JsonSchema } from './field-rules';
import { identitiesSchema, identityAliases, readIdentities, readTrustStores, trustStoresSchema } from './identity-fields';
import { ProblemCollector } from './jsonc-problems';
import { checkConfigPaths, errnoCode } from './path-checks';
import { workspaceConfigRelativePath, type ConfigPathReference, type WorkspaceConfig } from './types';

// The workspace config (.vscode/mtls-probe.json, JSONC) read into WorkspaceConfig, with every problem located by
// JSON path and character range so the editor can underline it and the CLI can name it. Each field is described
// once, in the field tables (identity-fields, endpoint-fields, expectation-fields, aws-settings), which drive both
// this reader and the JSON Schema (config-schema).
//
// What a mistake disables:
// - identities and trust stores: any error leaves that entry out (a half-read identity would probe as someone else);
// - endpoints: each field's rule says whether an error leaves the endpoint out (where the request goes, what is
//   verified or what is sent) or drops the field (what only bounds the wait or points at evidence);
// - "identities" of an endpoint: a bad list falls back to the default (none + every identity), a bad name in it is dropped;
// - expectations: a bad one is dropped, its endpoint stays;
// - unknown properties are warnings and are ignored; a property written twice is a warning and the first one counts.
// A syntax error inside an entry leaves that entry out (its other problems are not reported: the text is unfinished).

/** The top level of the config: each list's JSON Schema, and names people write for it. */
export const rootProperties: Readonly<Record<'$schema' | 'identities' | 'trustStores' | 'endpoints', { schema: JsonSchema; aliases?: readonly string[] }>> = {
  $schema: { schema: { type: 'string', description: 'The JSON Schema of this file. Not needed: mTLS Probe provides it.' } },
  identities: { schema: identitiesSchema, aliases: ['identity'] },
  trustStores: { schema: trustStoresSchema, aliases: ['truststore'] },
  endpoints: { schema: endpointsSchema, aliases: ['endpoint'] },
};

const rootFields = Object.keys(rootProperties) as (keyof typeof rootProperties)[];

/** Every name people write for a known property, whichever object it belongs to: "did you mean" offers them. */
const propertyAliases: Readonly<Record<string, string>> = { ...endpointAliases, ...identityAliases, ...aliasesOf(rootProperties) };

function emptyConfig(file: string, folder: string): WorkspaceConfig {
  return { file, folder, identities: [], endpoints: [], trustStores: [], problems: [], pathReferences: [] };
}

/**
 * Reads the workspace config from its text (JSONC). Pure: no file system access (see checkConfigPaths).
 * Relative paths, `file` included, are resolved against `folder`. Never throws: every mistake is a problem.
 */
export function parseWorkspaceConfig(text: string, file: string, folder: string): WorkspaceConfig {
  const absoluteFolder = resolve(folder);
  const config = emptyConfig(resolve(absoluteFolder, file), absoluteFolder);
  const problems = new ProblemCollector(text, config.file, propertyAliases);
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
    problems.error(root, '', `the config must be a JSON object; found ${problems.found(root)}.`, 'Put the settings in braces: { "identities": { … }, "endpoints": [ … ] }.');
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
