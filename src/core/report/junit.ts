import type { ExpectationRun } from '../runs/expectation-runs';
import { describeOutcome } from '../expectations/evaluate';
import { scrubText, secretRedaction } from '../secret-headers';
import { formatProbeReport } from './curl-style';

// JUnit XML for CI systems (GitLab, Jenkins, GitHub test reporters): one <testsuite> per endpoint, one
// <testcase> per expectation. Written by hand: the format needs elements, attributes and escaping — a
// dozen lines — and a dependency for that would ship in the CLI and the extension.

// XML 1.0 allows tab, LF, CR and these ranges; anything else (NUL, other C0 controls, lone surrogates,
// U+FFFE/U+FFFF) makes the document unreadable, so it is dropped.
const notXmlChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes element text. `>` is escaped too, so `]]>` can never appear in the output. */
export function xmlText(value: string): string {
  return value.replace(notXmlChar, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value; line breaks and tabs become character references so parsers keep them. */
export function xmlAttribute(value: string): string {
  return xmlText(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${xmlAttribute(String(value))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export interface JunitOptions {
  /** The <testsuites> name (default "mtls-probe"). */
  suiteName?: string;
  /** When the run started (default now). */
  timestamp?: Date;
}

/**
 * Which attempt was judged, when there was a choice (the probe retried over TLS 1.2) or the expectation names one:
 * `judgedAttempt` (first, tls12Fallback, or none when the retry asked for was not made) and what the retry got.
 * Testcase properties, as pytest writes them; empty otherwise, so a plain check reads as before.
 */
function attemptProperties(run: ExpectationRun): string {
  const judged = run.run?.expectation?.judgedAttempt;
  const retry = run.result?.fallback?.result;
  if (judged === undefined || (retry === undefined && run.check.expected.attempt === undefined)) return '';
  const properties = [
    { name: 'judgedAttempt', value: judged ?? 'none' },
    ...(retry !== undefined ? [{ name: 'tls12Retry', value: `${describeOutcome(retry)} (${retry.correlationId})` }] : []),
  ];
  return `\n      <properties>\n${properties.map((p) => `        <property${attributes(p)}/>`).join('\n')}\n      </properties>`;
}

function testcase(given: ExpectationRun): string {
  const { check } = given;
  // Secret header values (the defaults and the endpoint's "secretHeaders") never reach a CI artifact: the trace
  // prints them redacted, and the values the request sent are taken out of the messages too.
  const secretHeaders = given.run?.secretHeaders ?? check.endpoint.secretHeaders;
  const redaction = secretRedaction(secretHeaders, [check.endpoint.headers]);
  const run = { ...given, message: scrubText(given.message, redaction), ...(given.error !== undefined ? { error: scrubText(given.error, redaction) } : {}) };
  const head = `    <testcase${attributes({ classname: check.endpoint.name, name: `${check.identityName} → ${check.expectedText}`, time: seconds(run.durationMs) })}>${attemptProperties(run)}`;
  const trace = run.result !== undefined ? formatProbeReport(run.result, secretHeaders !== undefined ? { secretHeaders } : {}) : '';
  switch (run.status) {
    case 'passed':
      // A pass after a TLS 1.2 retry says which attempt it was judged on and what the other got, above the trace.
      return `${head}\n      <system-out>${xmlText(run.result?.fallback !== undefined ? `${run.message}\n\n${trace}` : trace)}</system-out>\n    </testcase>`;
    case 'failed':
      return `${head}\n      <failure${attributes({ message: run.message, type: 'ExpectationMismatch' })}>${xmlText(`${run.message}\n\n${trace}`)}</failure>\n    </testcase>`;
    case 'error':
      return `${head}\n      <error${attributes({ message: run.error ?? run.message, type: 'CheckNotRun' })}>${xmlText(run.message)}</error>\n    </testcase>`;
    case 'skipped':
      return `${head}\n      <skipped${attributes({ message: run.message })}/>\n    </testcase>`;
  }
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: string;
}

function counts(runs: ExpectationRun[]): Counts {
  return {
    tests: runs.length,
    failures: runs.filter((r) => r.status === 'failed').length,
    errors: runs.filter((r) => r.status === 'error').length,
    skipped: runs.filter((r) => r.status === 'skipped').length,
    time: seconds(runs.reduce((sum, r) => sum + r.durationMs, 0)),
  };
}

export function junitXml(runs: ExpectationRun[], options: JunitOptions = {}): string {
  // JUnit's timestamp is ISO 8601 without a zone; the value is UTC.
  const timestamp = (options.timestamp ?? new Date()).toISOString().slice(0, 19);
  const byEndpoint = new Map<string, ExpectationRun[]>();
  for (const run of runs) {
    const name = run.check.endpoint.name;
    const list = byEndpoint.get(name);
    if (list === undefined) byEndpoint.set(name, [run]);
    else list.push(run);
  }
  const suites = [...byEndpoint.entries()].map(([name, endpointRuns]) => {
    const url = endpointRuns[0]!.check.endpoint.url;
    return [
      `  <testsuite${attributes({ name, ...counts(endpointRuns), timestamp })}>`,
      `    <properties>\n      <property${attributes({ name: 'url', value: url })}/>\n    </properties>`,
      ...endpointRuns.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: options.suiteName ?? 'mtls-probe', ...counts(runs), timestamp })}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
