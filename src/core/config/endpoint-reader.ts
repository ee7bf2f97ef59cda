import type { Node } from 'jsonc-parser/lib/esm/main.js';
import { endpointFieldDefinitions, endpointFields, type EndpointContext } from './endpoint-fields';
import { applyFields, fieldNames, leaveOut, objectSchema, readFields, type JsonSchema } from './field-rules';
import type { IdentityNames } from './identity-fields';
import { childPath, quote, type Member, type ProblemCollector } from './jsonc-problems';
import { noIdentityName, type ConfigPathReference, type EndpointConfig, type WorkspaceConfig } from './types';

// The "endpoints" list of the workspace config: each endpoint read with the field table (endpoint-fields), the
// checks no single field can make, and the endpoint's JSON Schema. An endpoint with an error that leaves it out is
// skipped; the others load. Names are unique: a repeated one leaves the later endpoint out.

/** What no single field can say: fields that contradict each other. */
const endpointChecks: ((context: EndpointContext, fields: ReadonlyMap<string, Member>) => void)[] = [
  ({ problems, path: jsonPath, values }, fields) => {
    const ca = fields.get('ca');
    if (values.insecure === true && values.ca && ca) {
      problems.warning(ca.key, childPath(jsonPath, 'ca'), `"ca" has no effect while "insecure" is true.`, 'Remove "ca", or set "insecure" to false to verify the server with it.');
    }
  },
  (context, fields) => {
    const tlsMax = fields.get('tlsMax');
    if (context.values.tlsMin === 'TLSv1.3' && context.values.tlsMax === 'TLSv1.2' && tlsMax) {
      leaveOut(context, tlsMax.value ?? tlsMax.key, childPath(context.path, 'tlsMax'), `"tlsMax" "1.2" is below "tlsMin" "1.3": no TLS version is left.`, 'Raise "tlsMax" or lower "tlsMin".');
    }
  },
];

function readEndpoint(
  problems: ProblemCollector,
  element: Node,
  jsonPath: string,
  folder: string,
  identityNames: IdentityNames,
  names: Map<string, string>,
): { endpoint: EndpointConfig; references: ConfigPathReference[] } | undefined {
  if (problems.containsSyntaxError(element)) return undefined;
  if (element.type !== 'object') {
    problems.error(element, jsonPath, `${jsonPath} must be an object with "name" and "url"; found ${problems.found(element)}. It is skipped.`, 'Write { "name": "prod-api", "url": "https://api.example.com/health" }.');
    return undefined;
  }
  const fields = problems.fields(element, jsonPath, fieldNames(endpointFields));
  const openingBrace: Node = { type: 'object', offset: element.offset, length: 1 };
  const context: EndpointContext = {
    problems,
    path: jsonPath,
    folder,
    usable: true,
    values: {},
    references: [],
    identityNames,
    names,
    // The name is read first: the other messages say which endpoint is skipped.
    get skipped() {
      return this.values.name !== undefined ? `Endpoint ${quote(this.values.name)} is skipped.` : `${jsonPath} is skipped.`;
    },
  };
  const values = readFields(endpointFields, fields, context, (field, fix) => {
    const name = context.values.name;
    const anchor = name !== undefined ? fields.get('name')?.value : openingBrace;
    problems.error(anchor, jsonPath, `${name !== undefined ? `endpoint ${quote(name)}` : jsonPath} has no "${field}". ${context.skipped}`, fix);
  });
  for (const check of endpointChecks) check(context, fields);
  if (!context.usable || values.name === undefined || values.url === undefined) return undefined;
  const defaults: EndpointConfig = {
    name: values.name,
    url: values.url.written,
    insecure: false,
    identities: [noIdentityName, ...identityNames.loaded],
    expectations: [],
    location: problems.location(element, jsonPath),
  };
  return { endpoint: applyFields(endpointFields, values, defaults), references: context.references };
}

export function readEndpoints(problems: ProblemCollector, node: Node | undefined, config: WorkspaceConfig, identities: IdentityNames, references: ConfigPathReference[]): void {
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
  const names = new Map<string, string>();
  (node.children ?? []).forEach((element, index) => {
    const read = readEndpoint(problems, element, `endpoints[${index}]`, config.folder, identities, names);
    if (read) {
      config.endpoints.push(read.endpoint);
      references.push(...read.references);
    }
  });
}

export const endpointsSchema: JsonSchema = {
  type: 'array',
  description: `The endpoints to probe. Each is probed with "${noIdentityName}" and every identity (or the ones it lists), and each expectation is a test.`,
  items: { $ref: '#/definitions/endpoint' },
};

/** `#/definitions/endpoint`, with the definitions its fields refer to. */
export function endpointDefinitions(): Record<'tlsVersion' | 'aws' | 'endpoint', JsonSchema> {
  return {
    ...endpointFieldDefinitions(),
    endpoint: {
      ...objectSchema(endpointFields),
      description: 'An endpoint to probe.',
      // The schema's side of the "tlsMax below tlsMin" check.
      if: { required: ['tlsMin'], properties: { tlsMin: { const: '1.3' } } },
      then: { properties: { tlsMax: { const: '1.3' } } },
      defaultSnippets: [
        {
          label: 'New endpoint',
          description: 'An endpoint with expectations for no certificate and one identity',
          body: { name: '${1:prod-api}', url: 'https://${2:api.example.com}/${3:health}', expect: { [noIdentityName]: 'mtls', '${4:partner}': 'target' } },
        },
        {
          label: 'New endpoint behind an ALB with AWS WAF',
          description: "With the AWS settings that fetch the load balancer's and the WAF's evidence",
          body: {
            name: '${1:prod-api}',
            url: 'https://${2:api.example.com}/${3:health}',
            aws: {
              profile: '${4:prod}',
              region: '${5:ap-northeast-1}',
              loadBalancerArn: '${6:arn:aws:elasticloadbalancing:}',
              webAclArn: '${7:arn:aws:wafv2:}',
              wafLogGroup: '${8:aws-waf-logs-}',
              albLogs: 's3://${9:bucket/prefix}',
            },
            expect: { [noIdentityName]: 'mtls', '${10:partner}': 'target' },
          },
        },
      ],
    },
  };
}
