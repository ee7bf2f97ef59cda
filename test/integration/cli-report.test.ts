// The built CLI's timeline report and OTLP export: `probe --report/--otlp`, `demo --report`, and
// `mtls-probe report` over saved `--json` runs — one self-contained page, the same model the extension draws.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import type { TimelineModel } from '../../src/core/timeline/model';
import { runBuiltCli as run } from '../support/built-cli';
import { makePkiFiles, type TestPkiFiles } from '../support/peers';

let env: TestPkiFiles;
let target: AlbLikeTarget;
let dir: string;

before(async () => {
  env = await makePkiFiles('mtls-probe-cli-report-');
  target = await startAlbLikeTarget({ pki: env.pki });
  dir = await mkdtemp(join(tmpdir(), 'mtls-probe-cli-report-out-'));
});

after(async () => {
  await target?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (env) await rm(env.files.dir, { recursive: true, force: true });
});

/** The model a report embeds (the renderer reads the same element). */
function embeddedModel(html: string): TimelineModel {
  const match = /<script type="application\/json" id="mtls-probe-timeline-model">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(match, 'the report embeds its model');
  return JSON.parse(match[1]!) as TimelineModel;
}

describe('probe --report and --otlp', () => {
  test('the run\'s timeline page: self-contained, the verdict in it, no key material, hostile text cannot end the script', async () => {
    const report = join(dir, 'no-cert.html');
    const otlp = join(dir, 'no-cert.otlp.json');
    const r = await run(['probe', target.url, '--cacert', env.files.caFile, '-H', 'X-Note: </script><script>alert(1)</script>', '--report', report, '--otlp', otlp]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`timeline report written to ${report.replace(/[.]/g, '\\.')}`));
    const html = await readFile(report, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; script-src 'nonce-[^']+'; style-src 'nonce-[^']+'/);
    // No script or stylesheet from elsewhere, no address but the probed target's (and the SVG namespace name).
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!localhost|www\.w3\.org\/2000\/svg)[a-z]/i, 'nothing is loaded from elsewhere');
    assert.equal(html.split('</script>').length - 1, [...html.matchAll(/<script/g)].length, 'every script element ends where it should');
    const model = embeddedModel(html);
    assert.equal(model.runs.length, 1);
    assert.equal(model.runs[0]!.verdict.headline, 'Stopped at mTLS (client certificate)');
    assert.ok(model.runs[0]!.marks.some((m) => m.label === 'RST'));
    assert.doesNotMatch(html, /PRIVATE KEY/);
    const trace = JSON.parse(await readFile(otlp, 'utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; name: string }> }> }> };
    const spans = trace.resourceSpans[0]!.scopeSpans[0]!.spans;
    assert.ok(spans.some((s) => s.name === 'tls handshake'));
  });

  test('a report file that cannot be written is a usage error naming it; nothing else is written', async () => {
    const r = await run(['probe', target.url, '--cacert', env.files.caFile, '--report', join(dir, 'missing-folder', 'r.html')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--report .*missing-folder\/r\.html could not be written \(ENOENT\)/);
  });

  test('the demo writes its six cases as one compare report, in the order they ran', async () => {
    const report = join(dir, 'demo.html');
    const r = await run(['demo', '--report', report]);
    assert.equal(r.code, 0, r.stderr);
    const model = embeddedModel(await readFile(report, 'utf8'));
    assert.deepEqual(model.runs.map((run) => run.verdict.stoppedAt), ['mtls', null, 'waf', 'mtls', 'mtls', 'mtls']);
  });
});

describe('mtls-probe report', () => {
  test('saved --json runs become one compare page, runs in the order given', async () => {
    const none = await run(['probe', target.url, '--cacert', env.files.caFile, '--json']);
    const valid = await run(['probe', target.url, '--cacert', env.files.caFile, '--cert', env.files.client('valid').cert, '--key', env.files.client('valid').key, '--json']);
    assert.equal(none.code, 0, none.stderr);
    const saved = JSON.parse(valid.stdout) as { run: { format: string; identity: string } };
    assert.equal(saved.run.format, 'mtls-probe/run');
    await writeFile(join(dir, 'none.json'), none.stdout);
    await writeFile(join(dir, 'valid.json'), valid.stdout);
    const out = join(dir, 'compare.html');
    const r = await run(['report', join(dir, 'none.json'), join(dir, 'valid.json'), '-o', out, '--title', 'Seed experiment']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Timeline report of 2 runs written to/);
    const html = await readFile(out, 'utf8');
    assert.match(html, /<title>Seed experiment<\/title>/);
    const model = embeddedModel(html);
    assert.deepEqual(model.runs.map((m) => m.verdict.headline), ['Stopped at mTLS (client certificate)', 'Passed: the application answered (HTTP 200)']);
  });

  test('OTLP from saved runs: one trace per run, its id the X-Amzn-Trace-Id root', async () => {
    const saved = await run(['probe', target.url, '--cacert', env.files.caFile, '--json']);
    const file = join(dir, 'run.json');
    await writeFile(file, saved.stdout);
    const out = join(dir, 'run.otlp.json');
    const r = await run(['report', file, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const root = (JSON.parse(saved.stdout) as { correlationId: string }).correlationId.replace(/^Root=1-/, '').replace('-', '');
    const trace = JSON.parse(await readFile(out, 'utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }> };
    assert.ok(trace.resourceSpans[0]!.scopeSpans[0]!.spans.every((s) => s.traceId === root));
  });

  test('a file that is not a run, not JSON or missing: exit 2 with the file named', async () => {
    await writeFile(join(dir, 'notes.json'), '{"hello": "world"}');
    await writeFile(join(dir, 'broken.json'), '{"target": ');
    const notRun = await run(['report', join(dir, 'notes.json'), '-o', join(dir, 'x.html')]);
    assert.equal(notRun.code, 2);
    assert.match(notRun.stderr, /notes\.json: the document has no target \(object\), so it is not a probe result/);
    const broken = await run(['report', join(dir, 'broken.json'), '-o', join(dir, 'x.html')]);
    assert.match(broken.stderr, /broken\.json is not JSON/);
    const missing = await run(['report', join(dir, 'nope.json'), '-o', join(dir, 'x.html')]);
    assert.match(missing.stderr, /nope\.json could not be read \(ENOENT\)/);
    const noOutput = await run(['report', join(dir, 'notes.json')]);
    assert.match(noOutput.stderr, /report needs -o FILE/);
    assert.equal(noOutput.stdout, '');
  });
});
