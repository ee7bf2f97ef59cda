import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigLocation, EndpointConfig, ExpectedOutcome } from '../../src/core/config/types';
import { describeExpectedOutcome } from '../../src/core/expectations/evaluate';
import type { ExpectationCheck } from '../../src/core/expectations/expectations';
import type { ExpectationRun, ExpectationRunStatus } from '../../src/core/runs/expectation-runs';
import type { Layer, ProbeResult } from '../../src/core/probe/types';
import { formatProbeReport } from '../../src/core/report/curl-style';
import { junitXml, xmlAttribute, xmlText } from '../../src/core/report/junit';

// No XML library in the project (and xmllint is not on every machine): a strict little reader checks that the
// output is well-formed XML 1.0 — balanced tags, quoted attributes, only the five entities and character
// references, no characters XML forbids — and gives back the tree, so the content can be read back exactly.

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const forbidden = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function decode(raw: string, where: string): string {
  assert.doesNotMatch(raw, /[<]/, `raw < in ${where}`);
  assert.doesNotMatch(raw, /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/, `bare & in ${where}`);
  return raw.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (named[e] !== undefined) return named[e]!;
    return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function parseXml(xml: string): XmlElement {
  assert.doesNotMatch(xml, forbidden, 'a character XML 1.0 forbids');
  assert.ok(!xml.includes(']]>'), ']]> outside a CDATA section');
  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/;
  assert.match(xml, declaration);
  let rest = xml.replace(declaration, '');
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const tag = /^<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"]*")*)\s*(\/?)>/;
  while (rest.length > 0) {
    const open = rest.indexOf('<');
    const text = open < 0 ? rest : rest.slice(0, open);
    if (text.length > 0) stack.at(-1)!.text += decode(text, `text of <${stack.at(-1)!.name}>`);
    if (open < 0) break;
    rest = rest.slice(open);
    const m = tag.exec(rest);
    assert.ok(m, `malformed tag at: ${rest.slice(0, 60)}`);
    const [whole, closing, name, attrs, selfClosing] = m;
    rest = rest.slice(whole.length);
    if (closing) {
      const top = stack.pop();
      assert.equal(top?.name, name, `</${name}> closes <${top?.name}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const a of attrs!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      assert.ok(!(a[1]! in attributes), `duplicate attribute ${a[1]}`);
      attributes[a[1]!] = decode(a[2]!, `attribute ${a[1]}`);
    }
    const element: XmlElement = { name: name!, attributes, children: [], text: '' };
    stack.at(-1)!.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  assert.equal(stack.length, 1, `unclosed <${stack.at(-1)?.name}>`);
  assert.equal(root.children.length, 1, 'one root element');
  assert.equal(root.text.trim(), '', 'no text outside the root');
  return root.children[0]!;
}

const at: ConfigLocation = { file: '/ws/.vscode/mtls-probe.json', jsonPath: '', offset: 0, length: 0 };

function endpoint(name: string, url = `https://${name}.example.com/`): EndpointConfig {
  return { name, url, insecure: false, identities: [], expectations: [], location: at };
}

function check(ep: EndpointConfig, identityName: string, expected: ExpectedOutcome): ExpectationCheck {
  return { id: `${ep.name}/${identityName}`, endpoint: ep, identityName, identity: null, expectation: { identity: identityName, expected, location: at }, expected, expectedText: describeExpectedOutcome(expected) };
}

function result(stoppedAt: Layer | null, reason: string, summary: string, responseHeaders: Record<string, string> = {}): ProbeResult {
  return {
    target: { url: 'https://api.example.com/', host: 'api.example.com', port: 443, serverName: 'api.example.com', address: '127.0.0.1', addresses: ['127.0.0.1'] },
    identity: null,
    timings: { dns: null, tcp: 1, tls: 2, firstByte: 3, total: 4 },
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'http/1.1', serverCertificates: [], certificateRequest: { signatureAlgorithms: [], authorities: ['CN=Root CA'] }, clientCertificateSent: false, serverCertificateVerified: true },
    trace: [
      { t: 1.5, dir: 'in', layer: 'tcp', event: 'connected', detail: { address: '127.0.0.1', port: 443, localAddress: '127.0.0.1', localPort: 50000 } },
      { t: 3.25, dir: 'in', layer: 'http', event: 'response', detail: { status: 200, headers: responseHeaders } },
    ],
    http: { status: 200, httpVersion: 'HTTP/1.1', headers: responseHeaders, bodyPreview: '', bodyBytes: 0 },
    correlationId: 'Root=1-00000000-000000000000000000000000',
    verdict: { stoppedAt, reason, summary, confidence: 'probe', evidence: [] },
    client: { address: '127.0.0.1', port: 50000 },
    startedAt: new Date(0).toISOString(),
    error: null,
  };
}

function run(c: ExpectationCheck, status: ExpectationRunStatus, message: string, extra: Partial<ExpectationRun> = {}): ExpectationRun {
  return { check: c, status, passed: status === 'passed', message, durationMs: 12.5, ...extra };
}

const prod = endpoint('prod-api');
const lab = endpoint('lab & <test>', 'https://lab.example.com/?a=1&b="2"');
const hostile = 'x<script>&"\']]>\u0000\u0007\u001b[31m\uFFFE\uD800 ok 😀';
const passed = run(check(prod, 'none', { kind: 'stopped', layer: 'mtls' }), 'passed', 'mtls (reset_after_client_certificate), as expected', {
  result: result('mtls', 'reset_after_client_certificate', 'The server reset the connection.'),
});
const failedResult = result(null, 'target_responded', 'The request passed every layer: HTTP 200 from the target.', { server: hostile });
const failed = run(check(prod, 'partner', { kind: 'stopped', layer: 'mtls' }), 'failed', `expected mtls, got target with HTTP 200: ${failedResult.verdict.summary}`, { result: failedResult, durationMs: 250 });
const errored = run(check(lab, 'legacy', { kind: 'target' }), 'error', `could not run: Identity "legacy": ${hostile}`, { error: `Identity "legacy": ${hostile}`, durationMs: 1 });
const skipped = run(check(lab, 'none', { kind: 'status', status: 400 }), 'skipped', 'not run: cancelled', { durationMs: 0 });
const runs = [passed, failed, errored, skipped];

const stripForbidden = (s: string): string => s.replace(new RegExp(forbidden.source, 'gu'), '');

describe('JUnit XML', () => {
  const xml = junitXml(runs, { suiteName: 'mtls-probe test', timestamp: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678)) });
  const doc = parseXml(xml);

  test('<testsuites> with the totals, one <testsuite> per endpoint with its own counts', () => {
    assert.equal(doc.name, 'testsuites');
    assert.deepEqual(doc.attributes, { name: 'mtls-probe test', tests: '4', failures: '1', errors: '1', skipped: '1', time: '0.264', timestamp: '2025-01-02T03:04:05' });
    assert.deepEqual(
      doc.children.map((s) => [s.name, s.attributes.name, s.attributes.tests, s.attributes.failures, s.attributes.errors, s.attributes.skipped, s.attributes.time]),
      [
        ['testsuite', 'prod-api', '2', '1', '0', '0', '0.263'],
        ['testsuite', 'lab & <test>', '2', '0', '1', '1', '0.001'],
      ],
    );
    const [property] = doc.children[1]!.children.find((c) => c.name === 'properties')!.children;
    assert.deepEqual(property?.attributes, { name: 'url', value: 'https://lab.example.com/?a=1&b="2"' });
  });

  const cases = doc.children.flatMap((s) => s.children.filter((c) => c.name === 'testcase'));

  test('<testcase classname="endpoint" name="identity → expected">', () => {
    assert.deepEqual(
      cases.map((c) => [c.attributes.classname, c.attributes.name, c.attributes.time]),
      [
        ['prod-api', 'none → mtls', '0.013'],
        ['prod-api', 'partner → mtls', '0.250'],
        ['lab & <test>', 'legacy → target', '0.001'],
        ['lab & <test>', 'none → HTTP 400', '0.000'],
      ],
    );
  });

  test('a pass keeps its trace in <system-out>', () => {
    const [out] = cases[0]!.children;
    assert.equal(out?.name, 'system-out');
    assert.equal(out?.text, formatProbeReport(passed.result!));
    assert.match(out!.text, /Verdict: stopped at mtls — reset_after_client_certificate/);
  });

  test('a failure: message attribute, then the message and the whole curl-style trace as its text', () => {
    const [failure] = cases[1]!.children;
    assert.equal(failure?.name, 'failure');
    assert.equal(failure?.attributes.message, failed.message);
    assert.equal(failure?.text, stripForbidden(`${failed.message}\n\n${formatProbeReport(failedResult)}`));
    assert.match(failure!.text, /< server: x<script>&"']]>\[31m ok 😀/, 'markup survives as text; forbidden characters are gone');
    assert.match(failure!.text, /Verdict: passed \(the application answered\) — target_responded/);
  });

  test('an error for a check that could not run; skipped for a cancelled one', () => {
    const [error] = cases[2]!.children;
    assert.equal(error?.name, 'error');
    assert.equal(error?.attributes.message, stripForbidden(errored.error!));
    assert.equal(error?.text, stripForbidden(errored.message));
    const [skip] = cases[3]!.children;
    assert.deepEqual([skip?.name, skip?.attributes.message, skip?.children.length], ['skipped', 'not run: cancelled', 0]);
  });

  test('no runs: an empty, well-formed report', () => {
    const empty = parseXml(junitXml([], { timestamp: new Date(0) }));
    assert.deepEqual(empty.attributes, { name: 'mtls-probe', tests: '0', failures: '0', errors: '0', skipped: '0', time: '0.000', timestamp: '1970-01-01T00:00:00' });
    assert.equal(empty.children.length, 0);
  });
});

describe('XML escaping', () => {
  test('text: the three markup characters; ]]> can never appear', () => {
    assert.equal(xmlText('a < b && c > d ]]> "q" \'s\''), 'a &lt; b &amp;&amp; c &gt; d ]]&gt; "q" \'s\'');
  });

  test('attributes: quotes and whitespace as character references, so parsers keep line breaks', () => {
    assert.equal(xmlAttribute('say "hi"\nline\ttab\r<&>'), 'say &quot;hi&quot;&#10;line&#9;tab&#13;&lt;&amp;&gt;');
    assert.equal(parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n<a v="${xmlAttribute('one\ntwo "3"')}"/>`).attributes.v, 'one\ntwo "3"');
  });

  test('characters XML 1.0 forbids are dropped; astral characters stay whole', () => {
    assert.equal(xmlText('\u0000a\u0001\u0008\u000b\u000c\u001fb\uFFFE\uFFFFc\uD800d\uDC00e😀\t\n\r'), 'abcde😀\t\n\r');
  });
});
