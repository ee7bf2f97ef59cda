import type { Node } from 'jsonc-parser/lib/esm/main.js';
import type { Layer } from '../probe/types';
import { rejected, type EntryContext, type FieldRule, type JsonSchema } from './field-rules';
import { identityNameProblem, type IdentityNames, type ProbedIdentities } from './identity-fields';
import { childPath, listNames, membersOf, quote, stringOf, type Member, type ProblemCollector } from './jsonc-problems';
import { expectedAttempts, noIdentityName, targetName, type EndpointConfig, type ExpectedAttempt, type Expectation, type ExpectedOutcome } from './types';

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

/** What each attempt an expectation can be judged on means (ExpectedAttempt), in the config's words. */
const attemptWords = {
  first: 'The first attempt (the default), whatever the TLS 1.2 retry showed: the message says what the retry got.',
  tls12Fallback:
    'The TLS 1.2 retry the probe makes when TLS 1.3 was refused after the request without a client certificate asked for. Not met when the probe made no retry.',
  last: 'The TLS 1.2 retry when the probe made one, else the first attempt: the TLS 1.2 fallback accepted.',
} as const satisfies Record<ExpectedAttempt, string>;

const attemptFix = 'Use "first" (the first attempt, the default), "tls12Fallback" (the TLS 1.2 retry) or "last" (the TLS 1.2 retry when the probe made one, else the first attempt).';

/** Words people may write for an attempt, beyond what "did you mean" finds by spelling. */
const attemptSynonyms: Readonly<Record<string, ExpectedAttempt>> = { retry: 'tls12Fallback', fallback: 'tls12Fallback', tls12: 'tls12Fallback', either: 'last', any: 'last', final: 'last', default: 'first' };

/** The properties of an outcome written as an object; what they accept together is combineOutcome's to say. */
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
  status: { ...status, description: `The HTTP status the application should answer with (with "${targetName}"), or, without "stoppedAt", any HTTP answer with this status.` },
  attempt: {
    type: 'string',
    enum: expectedAttempts,
    enumDescriptions: expectedAttempts.map((attempt) => attemptWords[attempt]),
    description:
      'Which attempt of the probe is judged. A probe refused over TLS 1.3 after the request, with no client certificate asked for, is made again over TLS 1.2, where a server that asks for the certificate only for some paths (Apache: SSLVerifyClient inside <Location>) renegotiates. Default: "first"; the message always says what the other attempt got.',
    markdownDescription:
      'Which attempt of the probe is judged. A probe refused over TLS 1.3 after the request, with no client certificate asked for, is made again over TLS 1.2, where a server that asks for the certificate only for some paths (Apache: `SSLVerifyClient` inside `<Location>`) renegotiates: Node, like browsers, cannot offer TLS 1.3 post-handshake authentication.\n\n- `"first"` (the default): the first attempt;\n- `"tls12Fallback"`: the TLS 1.2 retry — not met when the probe made none;\n- `"last"`: the TLS 1.2 retry when the probe made one, else the first attempt (the fallback accepted).\n\nNothing falls back silently: the message always says what the other attempt got.',
  },
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

type OutcomeMembers = ReadonlyMap<keyof typeof outcomeFields, Member>;

/** The properties of an outcome object, each read on its own (what they mean together comes after). */
interface OutcomeParts {
  stoppedAt?: Layer | typeof targetName;
  reason?: string;
  status?: number;
  attempt?: ExpectedAttempt;
}

function readAttempt(problems: ProblemCollector, member: Member, jsonPath: string): ExpectedAttempt | undefined {
  const written = stringOf(member.value);
  const attempt = expectedAttempts.find((known) => known === written);
  if (attempt !== undefined) return attempt;
  const lower = written?.toLowerCase();
  const closest = lower === undefined ? undefined : Object.hasOwn(attemptSynonyms, lower) ? attemptSynonyms[lower] : problems.closest(lower, expectedAttempts);
  problems.error(
    member.value ?? member.key,
    childPath(jsonPath, 'attempt'),
    `"attempt" must be ${listNames(expectedAttempts)}; found ${problems.found(member.value)}. ${dropped}`,
    `${closest !== undefined ? `Did you mean "${closest}"? ` : ''}${attemptFix}`,
  );
  return undefined;
}

/** Each property of an outcome object; undefined once one is bad (every bad one is reported). */
function readOutcomeParts(problems: ProblemCollector, node: Node, fields: OutcomeMembers, jsonPath: string): OutcomeParts | undefined {
  const stoppedAt = fields.get('stoppedAt');
  const reason = fields.get('reason');
  const statusMember = fields.get('status');
  const attempt = fields.get('attempt');
  const parts: OutcomeParts = {};
  let valid = true;
  const stoppedAtValue = stringOf(stoppedAt?.value);
  if (!stoppedAt) {
    if (!statusMember) {
      problems.error(node, jsonPath, `the expected outcome has no "stoppedAt". ${dropped}`, `Add "stoppedAt": a layer (${listNames(layerNames)}) or "${targetName}"; or "status" alone for an HTTP status from whichever layer answers.`);
      valid = false;
    }
  } else if (stoppedAtValue === undefined || (!isLayer(stoppedAtValue) && stoppedAtValue !== targetName)) {
    const closest = stoppedAtValue !== undefined ? problems.closest(stoppedAtValue, outcomeWords) : undefined;
    problems.error(
      stoppedAt.value ?? stoppedAt.key,
      childPath(jsonPath, 'stoppedAt'),
      `"stoppedAt" must be a layer or "${targetName}"; found ${problems.found(stoppedAt.value)}. ${dropped}`,
      `${closest !== undefined ? `Did you mean "${closest}"? ` : ''}Use one of ${listNames(outcomeWords)}.`,
    );
    valid = false;
  } else {
    parts.stoppedAt = stoppedAtValue;
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
  } else if (reasonValue !== undefined) {
    parts.reason = reasonValue;
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
  } else if (statusValue !== undefined) {
    parts.status = statusValue;
  }
  const attemptValue = attempt ? readAttempt(problems, attempt, jsonPath) : undefined;
  if (attempt && attemptValue === undefined) valid = false;
  else if (attemptValue !== undefined) parts.attempt = attemptValue;
  return valid ? parts : undefined;
}

/** What the properties mean together: the combinations that say nothing clear are refused. */
function combineOutcome(problems: ProblemCollector, fields: OutcomeMembers, parts: OutcomeParts, jsonPath: string): ExpectedOutcome | undefined {
  const { stoppedAt, reason, status: statusValue } = parts;
  const reasonKey = fields.get('reason')?.key;
  if (stoppedAt === undefined || stoppedAt === targetName) {
    if (reason !== undefined) {
      const what = stoppedAt === undefined ? 'an HTTP status from whichever layer answers' : `"${targetName}"`;
      problems.error(reasonKey, childPath(jsonPath, 'reason'), `"reason" applies to a layer where the probe stops, not to ${what}. ${dropped}`, `Remove "reason", or give "stoppedAt" a layer.`);
      return undefined;
    }
    // Without "stoppedAt", "status" is there (readOutcomeParts refuses an object with neither).
    if (stoppedAt === undefined) return { kind: 'status', status: statusValue! };
    return statusValue !== undefined ? { kind: 'target', status: statusValue } : { kind: 'target' };
  }
  if (statusValue !== undefined) {
    problems.error(
      fields.get('status')?.key,
      childPath(jsonPath, 'status'),
      `"status" applies to "stoppedAt": "${targetName}", not to a layer. ${dropped}`,
      `To expect this status whichever layer answers, write the number alone (e.g. ${statusValue}) or "status" without "stoppedAt"; otherwise remove "status".`,
    );
    return undefined;
  }
  return reason !== undefined ? { kind: 'stopped', layer: stoppedAt, reason } : { kind: 'stopped', layer: stoppedAt };
}

function readOutcomeObject(problems: ProblemCollector, node: Node, jsonPath: string): ExpectedOutcome | undefined {
  const fields = problems.fields(node, jsonPath, outcomeFieldNames);
  const parts = readOutcomeParts(problems, node, fields, jsonPath);
  const outcome = parts && combineOutcome(problems, fields, parts, jsonPath);
  if (outcome === undefined || parts?.attempt === undefined) return outcome;
  return { ...outcome, attempt: parts.attempt };
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
      // "expect": { "valid": "target", "attempt": "last" }: a property of one outcome, written beside the identities.
      const misplaced = Object.hasOwn(outcomeFields, entry.name) ? `"${entry.name}" goes inside one identity's outcome written as an object, e.g. "valid": { "stoppedAt": "${targetName}", "${entry.name}": … }.` : undefined;
      problems.error(entry.key, entryPath, `${nameProblem.message} ${dropped}`, misplaced ?? nameProblem.fix);
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
      markdownDescription: `Where the probe with this identity should end:\n\n- a layer where it stops: ${layerNames.map((layer) => `\`"${layer}"\``).join(', ')};\n- \`"${targetName}"\`: the application answered (any status);\n- a number such as \`200\` or \`400\`: any HTTP answer with this status, whichever layer produced it (e.g. nginx's 400 for a missing certificate);\n- \`{ "stoppedAt": "mtls", "reason": "alert_certificate_required" }\`, \`{ "stoppedAt": "${targetName}", "status": 200 }\` or \`{ "status": 403 }\` to be more precise;\n- with \`"attempt"\` in the object, which attempt is judged when the probe retried over TLS 1.2: \`"first"\` (the default), \`"tls12Fallback"\` or \`"last"\`, e.g. \`{ "stoppedAt": "${targetName}", "attempt": "tls12Fallback" }\`.`,
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
          properties: outcomeFields,
          // What combineOutcome refuses: neither "stoppedAt" nor "status"; a status with a layer; a reason without one.
          anyOf: [{ required: ['stoppedAt'] }, { required: ['status'] }],
          if: { required: ['stoppedAt'], properties: { stoppedAt: { not: { const: targetName } } } },
          then: { not: { required: ['status'] } },
          else: { not: { required: ['reason'] } },
        },
      ],
      defaultSnippets: [
        { label: 'stopped at a layer, with a reason', body: { stoppedAt: `\${1|${layerNames.join(',')}|}`, reason: '${2:alert_certificate_required}' } },
        { label: 'target with a status', body: { stoppedAt: targetName, status: '^${1:200}' } },
        { label: 'judged on the TLS 1.2 retry', body: { stoppedAt: `\${1|${outcomeWords.join(',')}|}`, attempt: `\${2|${['tls12Fallback', 'last', 'first'].join(',')}|}` } },
      ],
    },
  };
}
