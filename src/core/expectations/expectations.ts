import { describeExpectedOutcome } from './evaluate';
import { noIdentityName, type EndpointConfig, type Expectation, type ExpectedOutcome, type IdentityConfig, type WorkspaceConfig } from '../config/types';
import { checkId } from './check-id';

export { checkId } from './check-id';
export { describeOutcome, evaluateExpectation, judgeExpectation, type ExpectationJudgement, type JudgedAttempt } from './evaluate';

// The config's expectations as checks: one per endpoint × expected outcome. Running them is the run service's
// job (runs/expectation-runs.ts); this module only says what is expected, so judging a run never loads the runner.

/** One endpoint × identity expectation; `id` is stable across runs (a Test Explorer item id). */
export interface ExpectationCheck {
  /** checkId(endpoint.name, identityName) */
  id: string;
  endpoint: EndpointConfig;
  /** An identity name from the config, or `none`. */
  identityName: string;
  /** The identity's config; null for `none`, and for a name the config does not define (the run says so). */
  identity: IdentityConfig | null;
  expectation: Expectation;
  expected: ExpectedOutcome;
  /** describeExpectedOutcome's words: `mtls`, `mtls (alert_unknown_ca)`, `target with HTTP 200`, `HTTP 400`, `target on the TLS 1.2 retry`. */
  expectedText: string;
}

export interface ExpectationFilter {
  /** Only these endpoints (by name). */
  endpoints?: string[];
  /** Only these checks (by id), e.g. the Test Explorer items a person picked. */
  ids?: string[];
}

export function expectationChecks(config: WorkspaceConfig, filter: ExpectationFilter = {}): ExpectationCheck[] {
  const identities = new Map(config.identities.map((identity) => [identity.name, identity]));
  const checks: ExpectationCheck[] = [];
  for (const endpoint of config.endpoints) {
    if (filter.endpoints !== undefined && !filter.endpoints.includes(endpoint.name)) continue;
    for (const expectation of endpoint.expectations) {
      const id = checkId(endpoint.name, expectation.identity);
      if (filter.ids !== undefined && !filter.ids.includes(id)) continue;
      checks.push({
        id,
        endpoint,
        identityName: expectation.identity,
        identity: expectation.identity === noIdentityName ? null : identities.get(expectation.identity) ?? null,
        expectation,
        expected: expectation.expected,
        expectedText: describeExpectedOutcome(expectation.expected),
      });
    }
  }
  return checks;
}
