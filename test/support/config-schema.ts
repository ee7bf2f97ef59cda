// The workspace config's JSON Schema as the build wrote it (schemas/mtls-probe.schema.json: what the VSIX ships and
// VS Code validates with), and a validator for config texts, as the editor reads them (JSONC).

import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse as parseJsonc } from 'jsonc-parser/lib/esm/main.js';

export function builtSchema(): Record<string, unknown> {
  const file = new URL('../../schemas/mtls-probe.schema.json', import.meta.url);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file.pathname} is made by the build from the config's field tables: run npm run build first (${String(e)})`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** Whether the schema accepts a config text; `validate.errors` says why not. */
export function schemaValidator(schema: Record<string, unknown>): { validate: ValidateFunction; accepts(text: string): boolean } {
  const ajv = new Ajv({ allErrors: true });
  // Editor-only keywords (VS Code reads them for hovers, completion and JSONC).
  for (const keyword of ['markdownDescription', 'defaultSnippets', 'enumDescriptions', 'allowComments', 'allowTrailingCommas']) ajv.addKeyword(keyword);
  const validate = ajv.compile(schema);
  return { validate, accepts: (text) => validate(parseJsonc(text, [], { allowTrailingComma: true })) };
}
