import type { Node } from 'jsonc-parser/lib/esm/main.js';
import type { Layer } from '../probe/types';
import { rejected, type EntryContext, type FieldRule, type JsonSchema } from './field-rules';
import { identityNameProblem, type IdentityNames, type ProbedIdentities } from './identity-fields';
import { childPath, listNames, membersOf, quote, stringOf, type ProblemCollector } from './jsonc-problems';
import { noIdentityName, targetName, type EndpointConfig, type Expectation, type ExpectedOutcome } from './types';

// An endpoint's "expect": identity name → where the probe with it should end. A bad expectation is dropped and its
// endpoint stays. The outcomes a config can name, their words in the editor and their JSON Schema live here.

/** Every layer where a probe can stop, in the order messages list them, with what stopping there means. */
const layers = {
  dns: 'The name did not resolve.',
  tcp: 'The TCP connection was refused, unreachable or timed out.',
  tls: 'The TLS handshake failed for a reason other than client authentication (no common version or cipher, server certificate not trusted, wrong name).',
  mtls: "The server asked for or checked the client certificate and refused it (an alert after the client's Certificate, a reset right after it as an ALB does, or an HTTP 400 about the certificate as nginx does).",
  http: 'The front answered with an HTTP error that is not attributable to mTLS or a WAF.',
  waf: 'A WAF blocked the request (403 plus WAF evidence).',
} as const satisfies Record<Layer, string>;

const layerNames = Object.keys(layers) as Layer[];
const outcomeWords = [...layerNames, targetName];

function isLayer(value: string): value is Layer {
  return Object.hasOwn(layers, value);
}

const reasonPattern = '^[a-z0-9]+(?:_[a-z0-9]+)*$';
const reasonRegex = new RegExp(reasonPattern);
const status = { type: 'integer', minimum: 100, maximum: 599 } as const;

function statusOf(node: Node | undefined): number | undefined {
  const value = node?.type === 'number' ? Number(node.value) : Number.NaN;
  return Number.isInteger(value) && value >= status.minimum && value <= status.maximum ? value : undefined;
}

/** The properties of an outcome written as an object; what they accept together is readOutcomeObject's to say. */
const outcomeFields = {
  stoppedAt: {
    type: 'string',
    enum: outcomeWords,
    enumDescriptions: [...Object.values(layers), 'The application answered.'],
    description: `The layer where the probe should stop, or "${targetName}" for the application's answer.`,
  },
  reason: {
    type: 'string',
    pattern: reasonPattern,
    description: 'The verdict\'s reason code, e.g. "alert_certificate_required" or "reset_after_client_certificate" (only with a layer).',
  },
  status: { ...status, description: `The HTTP status the application should answer with (only with "${targetName}").` },
};
const outcomeFieldNames = Object.keys(outcomeFields) as (keyof typeof outcomeFields)[];

const outcomeFix = `Write a layer (${listNames(layerNames)}) where the probe should stop, "${targetName}" for the application's answer, or an HTTP status such as 200.`;
const dropped = 'This expectation is dropped.';

function readOutcomeWord(problems: ProblemCollector, node: Node, written: string, jsonPath: string): ExpectedOutcome | undefined {
  if (isLayer(written)) return { kind: 'stopped', layer: written };
  if (written === targetName) return { kind: 'target' };
  const suggestion = /^\d{3}$/.test(written) ? `Write the status as a number, without quotes: ${written}.` : undefined;
  const closest = problems.closest(written, outcomeWords);
  problems.error(
    node,
    jsonPath,
    `the expected outcome must be a layer, "${targetName}" or an HTTP status; found ${problems.found(node)}. ${dropped}`,
    suggestion ?? (closest !== undefined ? `Did you mean "${closest}"? ${outcomeFix}` : outcomeFix),
  );
  return undefined;
}

function readOutcomeObject(problems: ProblemCollector, node: Node, jsonPath: string): ExpectedOutcome | undefined {
  const fields = problems.fields(node, jsonPath, outcomeFieldNames);
  const stoppedAt = fields.get('stoppedAt');
  const reason = fields.get('reason');
  const statusMember = fields.get('status');
  let valid = true;
  const stoppedAtValue = stringOf(stoppedAt?.value);
  if (!stoppedAt) {
    problems.error(node, jsonPath, `the expected outcome has no "stoppedAt". ${dropped}`, `Add "stoppedAt": a layer (${listNames(layerNames)}) or "${targetName}".`);
    valid = false;
  } else if (stoppedAtValue === undefined || (!isLayer(stoppedAtValue) && stoppedAtValue !== targetName)) {
    const closest = stoppedAtValue !== undefined ? problems.closest(stoppedAtValue, outcomeWords) : undefined;
    problems.error(
      stoppedAt.value ?? stoppedAt.key,
      childPath(jsonPath, 'stoppedAt'),
      `"stoppedAt" must be a layer or "${targetName}"; found ${problems.found(stoppedAt.value)}. ${dropped}`,
      `${closest !== undefined ? `Did you mean "${closest}"? ` : ''}Use one of ${listNames(outcomeWords)}.`,
    );
    valid = false;
  }
  const reasonValue = stringOf(reason?.value);
  if (reason && (reasonValue === undefined || !reasonRegex.test(reasonValue))) {
    problems.error(
      reason.value ?? reason.key,
      childPath(jsonPath, 'reason'),
      `"reason" must be a verdict reason code; found ${problems.found(reason.value)}. ${dropped}`,
      'Give the code in lower case with underscores, as the verdict shows it, e.g. "alert_certificate_required".',
    );
    valid = false;
  }
  const statusValue = statusMember ? statusOf(statusMember.value) : undefined;
  if (statusMember && statusValue === undefined) {
    problems.error(
      statusMember.value ?? statusMember.key,
      childPath(jsonPath, 'status'),
      `"status" must be a whole number from 100 to 599; found ${problems.found(statusMember.value)}. ${dropped}`,
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
  if (statusMember) {
    problems.error(
      statusMember.key,
      childPath(jsonPath, 'status'),
      `"status" applies to "stoppedAt": "${targetName}", not to a layer. ${dropped}`,
      `To expect this status whichever layer answers, write the number alone (e.g. ${statusValue ?? 400}); otherwise remove "status".`,
    );
    return undefined;
  }
  if (!isLayer(stoppedAtValue)) return undefined;
  return reasonValue !== undefined ? { kind: 'stopped', layer: stoppedAtValue, reason: reasonValue } : { kind: 'stopped', layer: stoppedAtValue };
}

function readExpectedOutcome(problems: ProblemCollector, node: Node | undefined, jsonPath: string): ExpectedOutcome | undefined {
  const written = stringOf(node);
  if (node && written !== undefined) return readOutcomeWord(problems, node, written, jsonPath);
  if (node?.type === 'number') {
    const value = statusOf(node);
    if (value !== undefined) return { kind: 'status', status: value };
    problems.error(node, jsonPath, `an expected HTTP status must be a whole number from 100 to 599; found ${problems.found(node)}. ${dropped}`, 'Give the status the endpoint should answer with, e.g. 200 or 403.');
    return undefined;
  }
  if (node?.type !== 'object') {
    problems.error(node, jsonPath, `the expected outcome must be a layer, "${targetName}", an HTTP status or an object; found ${problems.found(node)}. ${dropped}`, outcomeFix);
    return undefined;
  }
  return readOutcomeObject(problems, node, jsonPath);
}

/** What reading "expect" needs from its endpoint: the identities defined, and the ones the endpoint lists. */
export interface ExpectContext extends EntryContext<{ identities: ProbedIdentities }> {
  readonly identityNames: IdentityNames;
}

function readExpectations(context: ExpectContext, node: Node, jsonPath: string): Expectation[] {
  const { problems } = context;
  const probed = context.values.identities;
  const listed = probed?.explicit ? probed.names : undefined;
  const expectations: Expectation[] = [];
  const seen = new Set<string>();
  for (const entry of membersOf(node)) {
    const entryPath = childPath(jsonPath, entry.name);
    if (seen.has(entry.name)) {
      problems.warning(entry.key, entryPath, `the expectation for ${quote(entry.name)} appears twice; the first one is used.`, 'Remove one of them.');
      continue;
    }
    seen.add(entry.name);
    const nameProblem = identityNameProblem(problems, entry.name, context.identityNames);
    if (nameProblem) {
      problems.error(entry.key, entryPath, `${nameProblem.message} ${dropped}`, nameProblem.fix);
      continue;
    }
    const expected = readExpectedOutcome(problems, entry.value, entryPath);
    if (!expected) continue;
    if (listed && !listed.includes(entry.name)) {
      problems.warning(
        entry.key,
        entryPath,
        `there is an expectation for ${quote(entry.name)}, but ${childPath(context.path, 'identities')} does not list it. ${dropped}`,
        `Add "${entry.name}" to "identities", or remove this expectation.`,
      );
      continue;
    }
    expectations.push({ identity: entry.name, expected, location: problems.location(entry.property, entryPath) });
  }
  return expectations;
}

/** The endpoint's "expect" field, a row of the endpoint table. */
export const expectField: FieldRule<Expectation[], ExpectContext, EndpointConfig> = {
  shape: { type: 'object', additionalProperties: { $ref: '#/definitions/expectedOutcome' } },
  read: (member, context) => (member.value?.type === 'object' ? { value: readExpectations(context, member.value, childPath(context.path, member.name)) } : rejected()),
  mustBe: 'an object of identity name → expected outcome',
  fix: `Write e.g. "expect": { "${noIdentityName}": "mtls", "partner": 200 }.`,
  whenBad: { ignored: 'No expectation is checked.' },
  aliases: ['expected', 'expectations'],
  docs: {
    description: `Expected outcome per identity ("${noIdentityName}" or an identity's name). Each one is a test.`,
    markdownDescription: `Expected outcome per identity (\`"${noIdentityName}"\` or an identity's name). Each one is a test.\n\n\`\`\`jsonc\n"expect": { "none": "mtls", "partner": 200, "legacy": { "stoppedAt": "mtls", "reason": "unknown_ca" } }\n\`\`\``,
    defaultSnippets: [{ label: 'no certificate refused, partner accepted', body: { [noIdentityName]: 'mtls', '${1:partner}': targetName } }],
  },
  apply: (endpoint, expectations) => {
    endpoint.expectations = expectations;
  },
};

/** `#/definitions/layer` and `#/definitions/expectedOutcome`. */
export function outcomeDefinitions(): Record<'layer' | 'expectedOutcome', JsonSchema> {
  return {
    layer: { type: 'string', enum: layerNames, enumDescriptions: Object.values(layers), description: 'A layer where a probe can stop.' },
    expectedOutcome: {
      description: `Where the probe with this identity should end: a layer where it stops, "${targetName}" when the application answers, or an HTTP status from whichever layer answers.`,
      markdownDescription: `Where the probe with this identity should end:\n\n- a layer where it stops: ${layerNames.map((layer) => `\`"${layer}"\``).join(', ')};\n- \`"${targetName}"\`: the application answered (any status);\n- a number such as \`200\` or \`400\`: any HTTP answer with this status, whichever layer produced it (e.g. nginx's 400 for a missing certificate);\n- \`{ "stoppedAt": "mtls", "reason": "alert_certificate_required" }\` or \`{ "stoppedAt": "${targetName}", "status": 200 }\` to be more precise.`,
      anyOf: [
        {
          type: 'string',
          enum: outcomeWords,
          enumDescriptions: [...Object.values(layers), 'The application answered (any status): the request passed every layer in front of it.'],
        },
        { ...status, description: 'Any HTTP answer with this status, whichever layer produced it.' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['stoppedAt'],
          properties: outcomeFields,
          // The combinations readOutcomeObject refuses: a reason with the target, a status with a layer.
          if: { properties: { stoppedAt: { const: targetName } } },
          then: { not: { required: ['reason'] } },
          else: { not: { required: ['status'] } },
        },
      ],
      defaultSnippets: [
        { label: 'stopped at a layer, with a reason', body: { stoppedAt: `\${1|${layerNames.join(',')}|}`, reason: '${2:alert_certificate_required}' } },
        { label: 'target with a status', body: { stoppedAt: targetName, status: '^${1:200}' } },
      ],
    },
  };
}
