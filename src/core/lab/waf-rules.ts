// The lab's web ACL: a small AWS WAF look-alike evaluated after TLS, in priority order like a real web ACL, with the
// rule and rule-group names, labels and log fields AWS WAF uses, so its records read like the real thing:
//   0  LabBlockedIPs                        IP set rule (REGULAR)            → BLOCK
//   1  AWS-AWSManagedRulesCommonRuleSet     CrossSiteScripting_QUERYARGUMENTS, CrossSiteScripting_URIPATH → BLOCK
//   2  AWS-AWSManagedRulesSQLiRuleSet       SQLi_QUERYARGUMENTS, SQLi_URIPATH → BLOCK
//   3  LabRateLimit                         rate-based, per client IP        → BLOCK
//   otherwise the default action, ALLOW.
// The request body is not inspected (the lab decides before reading it), so the _BODY rules are left out.

import { createHash } from 'node:crypto';
import { isSecretHeader } from '../secret-headers';
import { IpSet, plainIp } from './ip-set';
import { findCrossSiteScripting, findSqlInjection, queryArgumentValues, type InspectedPart, type PatternMatch } from './waf-patterns';

export interface WafRequest {
  clientIp: string;
  method: string;
  /** The path, without the query. */
  uri: string;
  /** The raw query string, without `?`. */
  args: string;
  headers: Array<{ name: string; value: string }>;
  /** `HTTP/1.1`, `HTTP/2.0` (a bare `1.1` or `2` is written in that form). */
  httpVersion: string;
  /** The request's X-Amzn-Trace-Id value (`Root=1-…`): behind an ALB, WAF's requestId is that trace id. */
  requestId: string;
  /** ISO country code of the client; `-` when unknown. */
  country?: string;
}

export type WafAction = 'ALLOW' | 'BLOCK';
export type WafRuleType = 'REGULAR' | 'MANAGED_RULE_GROUP' | 'RATE_BASED';

export interface WafMatchDetail {
  conditionType: 'XSS' | 'SQL_INJECTION';
  location: 'QUERY_STRING' | 'URI';
  matchedData: string[];
}

export interface WafRuleGroupResult {
  ruleGroupId: string;
  terminatingRule: { ruleId: string; action: 'BLOCK'; ruleMatchDetails: WafMatchDetail[] } | null;
  nonTerminatingMatchingRules: Array<{ ruleId: string; action: string; ruleMatchDetails: WafMatchDetail[] }>;
  excludedRules: null;
  customerConfig: null;
}

export interface WafRateBasedRuleResult {
  rateBasedRuleId: string;
  rateBasedRuleName: string;
  limitKey: 'IP';
  maxRateAllowed: number;
  evaluationWindowSec: string;
  customValues: [];
}

export interface WafDecision {
  action: WafAction;
  terminatingRuleId: string;
  terminatingRuleType: WafRuleType;
  terminatingRuleMatchDetails: WafMatchDetail[];
  ruleGroupList: WafRuleGroupResult[];
  rateBasedRuleList: WafRateBasedRuleResult[];
  nonTerminatingMatchingRules: Array<{ ruleId: string; action: string; ruleMatchDetails: WafMatchDetail[] }>;
  labels: Array<{ name: string }>;
  /** The status the load balancer answers with: 403 on BLOCK; null when the request goes on to the target. */
  httpStatus: 403 | null;
}

export const ipSetRuleName = 'LabBlockedIPs';
export const rateRuleName = 'LabRateLimit';

export interface LabWebAclOptions {
  /** The IP set of rule LabBlockedIPs: addresses and CIDR ranges, IPv4 or IPv6. Default: empty. */
  blockedIps?: readonly string[];
  /** LabRateLimit blocks a client that sent more than this many requests within the window. Default 100. */
  rateLimit?: number;
  /** The rate-based rule's evaluation window in seconds. Default 60. */
  rateWindowSeconds?: number;
}

/**
 * The web ACL's state across requests: the IP set it was given and, per client address, the times of its latest
 * requests that reached the rate-based rule (sliding window; at most limit + 1 kept, which is all the rule needs).
 */
export class RateState {
  readonly limit: number;
  readonly windowSeconds: number;
  readonly blockedIps: IpSet;
  private readonly recent = new Map<string, number[]>();
  private sinceSweep = 0;

  constructor(options: LabWebAclOptions = {}) {
    this.limit = options.rateLimit ?? 100;
    this.windowSeconds = options.rateWindowSeconds ?? 60;
    if (!Number.isInteger(this.limit) || this.limit < 1) throw new Error(`rate limit must be a positive whole number, not ${this.limit}`);
    if (!(this.windowSeconds > 0)) throw new Error(`rate window must be a positive number of seconds, not ${this.windowSeconds}`);
    this.blockedIps = new IpSet(options.blockedIps ?? []);
  }

  /** Counts a request from the address at `now`; true when it is over the limit within the window. */
  overLimit(address: string, now: Date): boolean {
    const since = now.getTime() - this.windowSeconds * 1000;
    const times = (this.recent.get(address) ?? []).filter((t) => t > since);
    times.push(now.getTime());
    if (times.length > this.limit + 1) times.splice(0, times.length - (this.limit + 1));
    this.recent.set(address, times);
    if (++this.sinceSweep >= 1000) this.sweep(since);
    return times.length > this.limit;
  }

  /** Forgets clients whose requests have all left the window, so a long-running lab does not grow. */
  private sweep(since: number): void {
    this.sinceSweep = 0;
    for (const [address, times] of this.recent) if (times[times.length - 1]! <= since) this.recent.delete(address);
  }
}

/** A part of the request a managed rule inspects: how AWS names rules after it, and where its texts are. */
interface Inspected {
  part: InspectedPart;
  ruleSuffix: string;
  labelSuffix: string;
  /** What the match details call the part. */
  location: WafMatchDetail['location'];
  texts(request: WafRequest): string[];
}

const inspectedParts: readonly Inspected[] = [
  { part: 'query-value', ruleSuffix: 'QUERYARGUMENTS', labelSuffix: 'QueryArguments', location: 'QUERY_STRING', texts: (request) => queryArgumentValues(request.args) },
  { part: 'path', ruleSuffix: 'URIPATH', labelSuffix: 'URIPath', location: 'URI', texts: (request) => [request.uri] },
];

interface ManagedRule {
  ruleId: string;
  label: string;
  inspects: Inspected;
  find(text: string, part: InspectedPart): PatternMatch | null;
  conditionType: WafMatchDetail['conditionType'];
}

interface ManagedGroup {
  /** The rule's name in the web ACL (what terminatingRuleId shows), the console's default for a managed group. */
  name: string;
  ruleGroupId: string;
  rules: readonly ManagedRule[];
}

/**
 * An AWS managed rule group as the lab has it: for one kind of attack, a rule per inspected part, named
 * `<attack>_<PART>` and labelled `awswaf:managed:aws:<labelNamespace>:<attack>_<Part>` as AWS names them.
 */
function managedGroup(group: string, labelNamespace: string, attack: string, find: ManagedRule['find'], conditionType: ManagedRule['conditionType']): ManagedGroup {
  return {
    name: `AWS-${group}`,
    ruleGroupId: `AWS#${group}`,
    rules: inspectedParts.map((inspects) => ({
      ruleId: `${attack}_${inspects.ruleSuffix}`,
      label: `awswaf:managed:aws:${labelNamespace}:${attack}_${inspects.labelSuffix}`,
      inspects,
      find,
      conditionType,
    })),
  };
}

const commonRuleSet = managedGroup('AWSManagedRulesCommonRuleSet', 'core-rule-set', 'CrossSiteScripting', findCrossSiteScripting, 'XSS');
const sqlInjectionRuleSet = managedGroup('AWSManagedRulesSQLiRuleSet', 'sql-database', 'SQLi', findSqlInjection, 'SQL_INJECTION');

/** The first rule of the group that matches, with what it matched, or null. */
function evaluateGroup(group: ManagedGroup, request: WafRequest): { rule: ManagedRule; detail: WafMatchDetail } | null {
  for (const rule of group.rules) {
    for (const text of rule.inspects.texts(request)) {
      const match = rule.find(text, rule.inspects.part);
      if (match !== null) return { rule, detail: { conditionType: rule.conditionType, location: rule.inspects.location, matchedData: match.matchedData } };
    }
  }
  return null;
}

function groupResult(group: ManagedGroup, terminating: { rule: ManagedRule; detail: WafMatchDetail } | null): WafRuleGroupResult {
  return {
    ruleGroupId: group.ruleGroupId,
    terminatingRule: terminating === null ? null : { ruleId: terminating.rule.ruleId, action: 'BLOCK', ruleMatchDetails: [terminating.detail] },
    nonTerminatingMatchingRules: [],
    excludedRules: null,
    customerConfig: null,
  };
}

/** A rule's id in the shape AWS gives rule ids, stable for its name so records of one lab agree. */
function ruleId(name: string): string {
  const hex = createHash('sha256').update(`mtls-probe-lab:${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function decision(action: WafAction, terminatingRuleId: string, terminatingRuleType: WafRuleType, rest: Partial<WafDecision> = {}): WafDecision {
  return {
    action,
    terminatingRuleId,
    terminatingRuleType,
    terminatingRuleMatchDetails: [],
    ruleGroupList: [],
    rateBasedRuleList: [],
    nonTerminatingMatchingRules: [],
    labels: [],
    httpStatus: action === 'BLOCK' ? 403 : null,
    ...rest,
  };
}

/** Evaluates the request against the lab's web ACL, rule by rule in priority order; the first BLOCK terminates. */
export function evaluateWebAcl(request: WafRequest, state: RateState, now: Date): WafDecision {
  const clientIp = plainIp(request.clientIp);
  if (state.blockedIps.has(clientIp)) return decision('BLOCK', ipSetRuleName, 'REGULAR');

  const evaluated: WafRuleGroupResult[] = [];
  for (const group of [commonRuleSet, sqlInjectionRuleSet]) {
    const match = evaluateGroup(group, request);
    evaluated.push(groupResult(group, match));
    if (match !== null) {
      return decision('BLOCK', group.name, 'MANAGED_RULE_GROUP', {
        terminatingRuleMatchDetails: [match.detail],
        ruleGroupList: evaluated,
        labels: [{ name: match.rule.label }],
      });
    }
  }

  if (state.overLimit(clientIp, now)) {
    const rateRule: WafRateBasedRuleResult = {
      rateBasedRuleId: ruleId(rateRuleName),
      rateBasedRuleName: rateRuleName,
      limitKey: 'IP',
      maxRateAllowed: state.limit,
      evaluationWindowSec: String(state.windowSeconds),
      customValues: [],
    };
    return decision('BLOCK', rateRuleName, 'RATE_BASED', { ruleGroupList: evaluated, rateBasedRuleList: [rateRule] });
  }
  return decision('ALLOW', 'Default_Action', 'REGULAR', { ruleGroupList: evaluated });
}

// ---- the log record ----------------------------------------------------------------------------------------

/**
 * Headers whose values are credentials (src/core/secret-headers.ts, and the lab's `--secret-header` names) are written
 * the way AWS WAF logs a field redacted by the logging configuration's RedactedFields (SingleHeader): the value
 * replaced by the word `REDACTED`.
 */
export const redactedValue = 'REDACTED';

function logHttpVersion(version: string): string {
  if (/^HTTP\//i.test(version)) return version.toUpperCase();
  return version === '2' || version === '2.0' ? 'HTTP/2.0' : `HTTP/${version}`;
}

export interface WafLogMeta {
  timestamp: Date;
  /** The web ACL's ARN. */
  webAclId: string;
  /** For an ALB: `<account>-app/<name>/<id>`; for CloudFront the distribution id; for API Gateway `<account>:<api id>:<stage>`. */
  httpSourceId: string;
  /** `ALB` (default), `CF` or `APIGW`, as AWS WAF names the resource type. */
  httpSourceName?: 'ALB' | 'CF' | 'APIGW';
  /** Set only when a rule sends a custom response code; null for the default 403 of a BLOCK, as AWS logs it. */
  responseCodeSent?: number;
  /** Header names redacted beyond the credentials always redacted (the logging configuration's RedactedFields). */
  redactedHeaders?: readonly string[];
}

/** One AWS WAF log record, fields in the documented order and casing; `labels` appears only when there are some, as in AWS's records. */
export function wafLogRecord(decision: WafDecision, request: WafRequest, meta: WafLogMeta): Record<string, unknown> {
  const record: Record<string, unknown> = {
    timestamp: meta.timestamp.getTime(),
    formatVersion: 1,
    webaclId: meta.webAclId,
    terminatingRuleId: decision.terminatingRuleId,
    terminatingRuleType: decision.terminatingRuleType,
    action: decision.action,
    terminatingRuleMatchDetails: decision.terminatingRuleMatchDetails,
    httpSourceName: meta.httpSourceName ?? 'ALB',
    httpSourceId: meta.httpSourceId,
    ruleGroupList: decision.ruleGroupList,
    rateBasedRuleList: decision.rateBasedRuleList,
    nonTerminatingMatchingRules: decision.nonTerminatingMatchingRules,
    requestHeadersInserted: null,
    responseCodeSent: meta.responseCodeSent ?? null,
    httpRequest: {
      clientIp: plainIp(request.clientIp),
      country: request.country ?? '-',
      headers: request.headers.map(({ name, value }) => ({ name, value: isSecretHeader(name, meta.redactedHeaders) ? redactedValue : value })),
      uri: request.uri,
      args: request.args,
      httpVersion: logHttpVersion(request.httpVersion),
      httpMethod: request.method.toUpperCase(),
      requestId: request.requestId,
    },
  };
  if (decision.labels.length > 0) record.labels = decision.labels;
  return record;
}
