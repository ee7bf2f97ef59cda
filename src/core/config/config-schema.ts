import { endpointDefinitions } from './endpoint-reader';
import { outcomeDefinitions } from './expectation-fields';
import type { JsonSchema } from './field-rules';
import { identityDefinition } from './identity-fields';
import { rootProperties } from './workspace-config';

// The JSON Schema of the workspace config, made from the same field tables the reader reads with. The build writes
// it to schemas/mtls-probe.schema.json (scripts/build.mjs), where package.json's jsonValidation points VS Code.

export function workspaceConfigSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'mTLS Probe workspace config',
    description:
      'Endpoints to probe, the client identities to probe them with, and where each probe should stop (.vscode/mtls-probe.json). Paths are relative to the workspace folder.',
    type: 'object',
    // VS Code's own keywords: the file is JSONC.
    allowComments: true,
    allowTrailingCommas: true,
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(rootProperties).map(([name, property]) => [name, property.schema])),
    definitions: {
      ...outcomeDefinitions(),
      identity: identityDefinition(),
      ...endpointDefinitions(),
    },
  };
}
