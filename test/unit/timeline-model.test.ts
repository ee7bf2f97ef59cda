// The timeline model and the run service on real probes of the ALB-like target (an in-process Node TLS server that
// resets the connection after a refused client certificate, as an ALB in verify mode does), with evidence read
// from ALB connection-log files written the way ALB writes them.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import type { EvidenceEvent } from '../../src/core/evidence/types';
import { identityFromPemText } from '../../src/core/identity/client-identity';
import type { CheckRun, RunUpdate } from '../../src/core/runs/check-run';
import { runJson, runsFromJson, RunFileError } from '../../src/core/runs/run-json';
import { collectRunEvidence, runCheck, type CheckTarget } from '../../src/core/runs/run-service';
import { buildTimeline } from '../../src/core/timeline/build-timeline';
import type { TimelineRun } from '../../src/core/timeline/model';
import { connectionLogLine } from '../support/alb-log-lines';

let target: AlbLikeTarget;
let logs: string;

before(async () => {
  target = await startAlbLikeTarget();
  logs = await mkdtemp(join(tmpdir(), 'mtls-probe-timeline-'));
});

after(async () => {
  await target?.close();
  if (logs) await rm(logs, { recursive: true, force: true });
});

function albTarget(headers: Record<string, string> = {}): CheckTarget {
  return { kind: 'url', name: 'alb-like', options: { url: target.url, ca: target.pki.rootCa.certPem, headers } };
}

function valid() {
  return identityFromPemText('valid', target.pki.clients.valid.certPem, target.pki.clients.valid.keyPem, '(test identity)');
}

/** The target's own connection-log entry for the run, as an ALB connection-log line, shifted by `skewMs`. */
async function writeConnectionLog(run: CheckRun, name: string, skewMs = 0): Promise<string> {
  const entry = target.connectionLog.find((e) => e.clientPort === run.result.client.port);
  assert.ok(entry, 'the target logged the probe\'s connection');
  const line = connectionLogLine({ ...entry, time: new Date(Date.parse(entry.time) + skewMs).toISOString() }, { loadBalancer: 'app/edge/50dc6c495c0c9188', listenerPort: 443, serial: run.result.identity?.serialNumber ?? null });
  const file = join(logs, name);
  await writeFile(file, `${line}\n`);
  return file;
}

function marksOf(run: TimelineRun, lane: string): string[] {
  return run.marks.filter((m) => m.lane === lane).map((m) => m.label);
}

describe('the timeline of one run', () => {
  test('lanes and marks in time order: DNS, TCP, each handshake message of the flight in order, the reset, the verdict', async () => {
    const run = await runCheck(albTarget(), null);
    const model = buildTimeline([run]);
    const [timeline] = model.runs;
    assert.ok(timeline);
    assert.deepEqual(model.lanes.map((l) => l.id), ['client', 'tcp', 'tls', 'http', 'load-balancer', 'waf', 'target']);
    for (let i = 1; i < timeline.marks.length; i++) assert.ok(timeline.marks[i]!.t >= timeline.marks[i - 1]!.t, 'marks are ordered by time');
    assert.deepEqual(marksOf(timeline, 'client'), ['DNS lookup', 'Resolved', 'ECONNRESET', 'Stopped: mtls']);
    assert.deepEqual(marksOf(timeline, 'tcp'), ['SYN', 'Connected', 'RST']);
    // The client's flight happens in one instant: its messages keep their order.
    assert.deepEqual(marksOf(timeline, 'tls'), ['ClientHello', 'ServerHello', 'Certificate', 'ServerKeyExchange', 'CertificateRequest', 'ServerHelloDone', 'Certificate', 'ClientKeyExchange', 'ChangeCipherSpec', 'Finished']);
    const empty = timeline.marks.filter((m) => m.label === 'Certificate')[1]!;
    assert.equal(empty.dir, 'out');
    assert.equal(empty.tone, 'warning');
    assert.match(empty.summary, /client → server: Certificate \(empty: no client certificate sent\)/);
    const finished = timeline.marks.find((m) => m.label === 'Finished')!;
    assert.equal(finished.encrypted, true);
    assert.equal(finished.decrypted, true);
    const reset = timeline.marks.find((m) => m.label === 'RST')!;
    assert.equal(reset.tone, 'error');
    assert.match(reset.detail.meaning ?? '', /TCP RST after the client's .* flight/);
    assert.equal(timeline.verdict.headline, 'Stopped at mTLS (client certificate)');
    assert.match(timeline.verdict.wafReach ?? '', /never reached the WAF/);
    assert.equal(timeline.verdict.confidenceText, 'From the probe alone (no server-side evidence was collected)');
    assert.deepEqual(timeline.phases.map((p) => [p.name, p.outcome]), [['dns', 'ok'], ['tcp', 'ok'], ['tls', 'failed']]);
    assert.equal(timeline.connectionStartMs, run.result.trace.find((e) => e.event === 'connecting')!.t);
    assert.deepEqual(timeline.probeWindow, { from: 0, to: run.result.timings.total });
  });

  test('a handshake message carries its bytes, and decoded fields name the byte span they come from', async () => {
    const run = await runCheck(albTarget(), null);
    const hello = buildTimeline([run]).runs[0]!.marks.find((m) => m.label === 'ClientHello')!;
    assert.ok(hello.detail.bytes, 'the ClientHello has its bytes');
    assert.equal(hello.detail.bytes.hex.slice(0, 2), '01');
    const random = hello.detail.fields.find((f) => f.name === 'Random');
    assert.equal(random?.path, 'random');
    const span = hello.detail.bytes.spans.find((s) => s.path === 'random')!;
    assert.equal(hello.detail.bytes.hex.slice(span.start * 2, span.end * 2), random?.value);
  });

  test('a passed run: the target lane shows what the application answered and who the load balancer said the client was', async () => {
    const run = await runCheck(albTarget(), valid());
    const timeline = buildTimeline([run]).runs[0]!;
    assert.equal(timeline.verdict.headline, 'Passed: the application answered (HTTP 200)');
    assert.equal(timeline.verdict.wafReach, undefined, 'nothing is said about a WAF nothing recorded');
    assert.deepEqual(marksOf(timeline, 'http'), ['GET /', '200', 'Body']);
    const answered = timeline.marks.find((m) => m.lane === 'target')!;
    assert.match(answered.summary, /application answered 200, told by the load balancer that the client is CN=valid client/);
    assert.ok(timeline.marks.find((m) => m.label === 'Certificate' && m.dir === 'out')!.detail.certificates![0]!.validity.startsWith('valid at the probe\'s time'));
  });

  test('secret header values never reach the model', async () => {
    const run = await runCheck(albTarget({ Authorization: 'Bearer canary-4f1d2e9a', 'X-Api-Key': 'canary-key-77' }), valid());
    const json = JSON.stringify(buildTimeline([run]));
    assert.doesNotMatch(json, /canary-4f1d2e9a|canary-key-77/);
    assert.match(json, /"name":"authorization","value":"\[redacted, 22 bytes\]"/);
    assert.match(json, /"name":"x-api-key","value":"\[redacted, 13 bytes\]"/);
    assert.doesNotMatch(json, /BEGIN (EC |RSA )?PRIVATE KEY/);
  });
});

describe('evidence on the timeline', () => {
  test('late evidence: a look with no log leaves the probe\'s verdict; looking again with the connection log confirms it, one update per step', async () => {
    const run = await runCheck(albTarget(), null);
    const updates: RunUpdate['kind'][] = [];
    const first = await collectRunEvidence(run, { logs: [join(logs, 'empty')] }, { onUpdate: (u) => updates.push(u.kind) });
    assert.equal(first.verdict.confidence, 'probe');
    assert.equal(first.collectingEvidence, false);
    assert.deepEqual(updates, ['evidence', 'done']);
    assert.equal(buildTimeline([first]).runs[0]!.verdict.confidenceText, 'From the probe alone: no server-side record (local logs) confirms it');

    const file = await writeConnectionLog(run, 'conn.log');
    updates.length = 0;
    const seen: CheckRun[] = [];
    const second = await collectRunEvidence(first, { logs: [file] }, { onUpdate: (u) => (updates.push(u.kind), seen.push(u.run)) });
    assert.equal(second.id, run.id);
    assert.equal(second.verdict.confidence, 'confirmed');
    assert.equal(second.verdict.reason, 'alb_client_cert_missing');
    assert.equal(second.result.verdict.reason, 'reset_after_client_certificate', 'the probe\'s own verdict is kept');
    assert.equal(seen[0]!.collectingEvidence, true);
    assert.equal(updates.at(-1), 'done');
    assert.equal(first.verdict.confidence, 'probe', 'an earlier run value never changes');

    const timeline = buildTimeline([second]).runs[0]!;
    assert.deepEqual(marksOf(timeline, 'load-balancer'), ['Failed:ClientCertMissing']);
    const record = timeline.marks.find((m) => m.lane === 'load-balancer')!;
    assert.equal(record.dir, 'server');
    assert.equal(record.tone, 'error');
    assert.ok(record.detail.record!.rows.some((r) => r.key === 'client_port' && r.matched), 'the key it matched by is marked');
    assert.equal(timeline.verdict.confidenceText, 'Confirmed by the ALB connection log (Failed:ClientCertMissing)');
    assert.deepEqual(timeline.notes, [], 'a record stamped inside the probe\'s window needs no note');
  });

  test('a record of this connection stamped seconds off the probe gets a clock-skew note; metrics a granularity note; records minutes later a late note', async () => {
    const run = await runCheck(albTarget(), null);
    const file = await writeConnectionLog(run, 'skewed.log', 2300);
    const withLog = await collectRunEvidence(run, { logs: [file] });
    const minute = new Date(Math.floor(Date.parse(run.startedAt) / 60_000) * 60_000).toISOString();
    const metric: EvidenceEvent = {
      time: minute,
      lane: 'load-balancer',
      kind: 'cloudwatch-metric',
      summary: 'ClientTLSNegotiationErrorCount: 1 in the minute',
      matchedBy: [{ key: 'time', value: minute }],
      origin: { resource: 'AWS/ApplicationELB app/edge/50dc6c495c0c9188' },
      record: { metric: 'ClientTLSNegotiationErrorCount', value: 1, timestamp: minute, period: 60 },
    };
    const lateTime = new Date(Date.parse(run.startedAt) + 4 * 60_000).toISOString();
    const late: EvidenceEvent = { ...metric, time: lateTime, kind: 'alb-access-log', summary: 'another client', matchedBy: [{ key: 'time', value: lateTime }], record: { elb_status_code: '200' }, origin: { file: 'access.log', line: 7 } };
    const report = withLog.evidence!.report;
    const run2: CheckRun = { ...withLog, evidence: { ...withLog.evidence!, report: { ...report, events: [...report.events, metric, late] } } };
    const timeline = buildTimeline([run2]).runs[0]!;
    const kinds = timeline.notes.map((n) => n.kind);
    assert.deepEqual(kinds, ['clock-skew', 'granularity', 'late-evidence']);
    assert.match(timeline.notes[0]!.text, /stamps this probe's connection 2\.\d s after the probe ended by this machine's clock/);
    const metricMark = timeline.marks.find((m) => m.kind === 'metric')!;
    assert.equal(metricMark.duration, 60_000);
    assert.ok(metricMark.t <= 0 && metricMark.t > -60_000, 'a metric sits at its minute\'s start');
    const lateMark = timeline.marks.find((m) => m.label.startsWith('200'))!;
    assert.ok(lateMark.t > 239_000);
    assert.equal(lateMark.tone, 'neutral', 'a record not tied to this probe is drawn quietly');
    assert.match(lateMark.summary, /not tied to this connection or request/);
  });
});

describe('runs as JSON', () => {
  test('a run survives its JSON: the same timeline from the saved run', async () => {
    const run = await runCheck(albTarget(), null);
    const file = await writeConnectionLog(run, 'roundtrip.log');
    const confirmed = await collectRunEvidence(run, { logs: [file] });
    const json = JSON.parse(JSON.stringify(runJson(confirmed))) as Record<string, unknown>;
    assert.equal((json.verdict as { reason: string }).reason, 'alb_client_cert_missing');
    assert.equal((json.probeVerdict as { reason: string }).reason, 'reset_after_client_certificate');
    assert.deepEqual(json.run, { format: 'mtls-probe/run', version: 1, id: run.id, endpoint: 'alb-like', identity: 'none' });
    const [back] = runsFromJson(json, 'saved.json');
    const now = new Date('2026-12-06T00:00:00Z');
    assert.deepEqual(buildTimeline([back!], { now }), buildTimeline([JSON.parse(JSON.stringify(confirmed)) as CheckRun], { now }));
  });

  test('every saved shape reads: a plain probe result, matrix rows, demo --json results, test --json runs', async () => {
    const run = await runCheck(albTarget(), null);
    const result = JSON.parse(JSON.stringify(run.result)) as unknown;
    assert.equal(runsFromJson(result, 'a.json')[0]!.endpointName, target.url);
    assert.equal(runsFromJson([{ endpoint: 'x', identity: 'none', iteration: 0, result }], 'b.json').length, 1);
    assert.equal(runsFromJson({ lab: {}, results: [{ case: { name: 'none' }, passed: true, run: runJson(run) }, { case: { name: 'x' }, passed: true, run: runJson(run) }] }, 'c.json').length, 2);
    assert.equal(runsFromJson({ runs: [{ id: 'e/none', result }, { id: 'e/x', result: null }] }, 'd.json').length, 1);
  });

  test('a file that is not a run is named with what is missing', () => {
    assert.throws(() => runsFromJson({ hello: 'world' }, 'notes.json'), (e: unknown) => e instanceof RunFileError && /notes\.json: the document has no target/.test(e.message));
    assert.throws(() => runsFromJson(42, 'n.json'), /n\.json: the document is not an object/);
    assert.throws(() => runsFromJson([], 'empty.json'), /empty\.json holds no probe result/);
  });
});

describe('the probe\'s phases as they begin', () => {
  test('onPhase names each phase in order, and only the ones reached', async () => {
    const passed: string[] = [];
    await runCheck(albTarget(), valid(), { onPhase: (phase) => passed.push(phase) });
    assert.deepEqual(passed, ['dns', 'tcp', 'tls', 'http']);
    const refused: string[] = [];
    await runCheck(albTarget(), null, { onPhase: (phase) => refused.push(phase) });
    assert.deepEqual(refused, ['dns', 'tcp', 'tls'], 'the reset during the handshake leaves no HTTP phase');
  });
});
