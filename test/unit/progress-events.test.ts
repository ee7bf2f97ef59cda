// The progress events on node:diagnostics_channel (src/core/events.ts), heard by a subscriber as the extension's
// output channel and the CLI's --verbose hear them: real probes of the ALB-like target (an in-process TLS server that
// resets a connection whose client certificate it refuses, as an ALB in verify mode does), and evidence read from
// log files written the way ALB writes them. Only the order and content of the events are checked, never timing.

import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { startAlbLikeTarget, type AlbLikeTarget } from '../../src/core/demo/alb-like-target';
import { eventChannelNames, eventChannels, eventUrl, subscribeEvents, type MtlsProbeEvent } from '../../src/core/events';
import { eventLine } from '../../src/core/events-text';
import { identityFromPemText } from '../../src/core/identity/client-identity';
import { probe } from '../../src/core/probe/probe';
import type { CheckRun } from '../../src/core/runs/check-run';
import { collectRunEvidence, runCheck, type CheckTarget } from '../../src/core/runs/run-service';
import { connectionLogLine } from '../support/alb-log-lines';

let target: AlbLikeTarget;
let logs: string;

before(async () => {
  target = await startAlbLikeTarget();
  logs = await mkdtemp(join(tmpdir(), 'mtls-probe-events-'));
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

/** Every event published while `work` runs, in order. */
async function heard<T>(work: () => Promise<T>): Promise<{ value: T; events: MtlsProbeEvent[] }> {
  const events: MtlsProbeEvent[] = [];
  const stop = subscribeEvents((event) => events.push(event));
  try {
    return { value: await work(), events };
  } finally {
    stop();
  }
}

function runIdOf(event: MtlsProbeEvent): string | undefined {
  const message = event.message as { probe?: { runId?: string }; collection?: { runId?: string } };
  return message.probe?.runId ?? message.collection?.runId;
}

/** The events of one run, as "channel phase" words: the shape of the story. */
function story(events: MtlsProbeEvent[], runId: string): string[] {
  return events
    .filter((e) => runIdOf(e) === runId)
    .map((e) => {
      const name = e.channel.replace(/^mtls-probe:/, '');
      return 'phase' in e.message ? `${name} ${e.message.phase}${'error' in e.message && e.message.error !== undefined ? ` ${e.message.error.code}` : ''}` : name;
    });
}

describe('probe events', () => {
  test('a refused client: start, each phase as it begins and ends, the reset ending the handshake, then the verdict', async () => {
    const { value: run, events } = await heard(() => runCheck(albTarget(), null));
    assert.deepEqual(story(events, run.id), [
      'probe:start',
      'probe:phaseStart dns',
      'probe:phaseEnd dns',
      'probe:phaseStart tcp',
      'probe:phaseEnd tcp',
      'probe:phaseStart tls',
      'probe:phaseEnd tls ECONNRESET',
      'probe:done',
    ]);
    const start = events.find((e) => e.channel === eventChannels.probeStart && runIdOf(e) === run.id);
    assert.ok(start?.channel === 'mtls-probe:probe:start');
    assert.deepEqual(start.message.probe, { correlationId: run.result.correlationId, runId: run.id, url: target.url });
    assert.equal(start.message.identity, null);
    assert.equal(start.message.target.port, target.port);
    const done = events.find((e) => e.channel === eventChannels.probeDone && runIdOf(e) === run.id);
    assert.ok(done?.channel === 'mtls-probe:probe:done');
    assert.deepEqual(done.message.verdict, { stoppedAt: 'mtls', reason: 'reset_after_client_certificate', confidence: 'probe' });
    assert.equal(done.message.httpStatus, null);
    assert.equal(done.message.error?.code, 'ECONNRESET');
    const failedPhase = events.find((e) => e.channel === eventChannels.probePhaseEnd && e.message.phase === 'tls');
    assert.ok(failedPhase?.channel === 'mtls-probe:probe:phaseEnd');
    assert.equal(failedPhase.message.error?.timedOut, false);
  });

  test('an accepted client: every phase ends without an error and the verdict is the target\'s answer', async () => {
    const { value: run, events } = await heard(() => runCheck(albTarget(), valid()));
    assert.deepEqual(story(events, run.id), [
      'probe:start',
      'probe:phaseStart dns',
      'probe:phaseEnd dns',
      'probe:phaseStart tcp',
      'probe:phaseEnd tcp',
      'probe:phaseStart tls',
      'probe:phaseEnd tls',
      'probe:phaseStart http',
      'probe:phaseEnd http',
      'probe:done',
    ]);
    const start = events.find((e) => e.channel === eventChannels.probeStart);
    assert.ok(start?.channel === 'mtls-probe:probe:start');
    assert.equal(start.message.identity, 'valid');
    const done = events.find((e) => e.channel === eventChannels.probeDone);
    assert.ok(done?.channel === 'mtls-probe:probe:done');
    assert.deepEqual([done.message.verdict.stoppedAt, done.message.httpStatus, done.message.error], [null, 200, null]);
    assert.equal(done.message.address, '127.0.0.1');
  });

  test('a probe outside the run service is named by its correlation id alone', async () => {
    const correlationId = 'Root=1-00000000-0123456789abcdef01234567';
    const { events } = await heard(() => probe({ url: target.url, ca: target.pki.rootCa.certPem, handshakeOnly: true, correlationId }));
    const mine = events.filter((e) => 'probe' in e.message && e.message.probe.correlationId === correlationId);
    assert.deepEqual(mine.map((e) => e.channel).filter((c) => c === eventChannels.probeStart || c === eventChannels.probeDone), [eventChannels.probeStart, eventChannels.probeDone]);
    for (const event of mine) assert.equal((event.message as { probe: { runId?: string } }).probe.runId, undefined);
    const start = mine[0]!;
    assert.ok(start.channel === 'mtls-probe:probe:start');
    assert.equal(start.message.handshakeOnly, true);
  });

  test('a cancel ends the open phase with ABORT_ERR and publishes probe:error, not a verdict', async () => {
    const controller = new AbortController();
    const options = {
      url: target.url,
      ca: target.pki.rootCa.certPem,
      identity: valid(),
      signal: controller.signal,
      // Once the handshake has begun (its wait is set up synchronously after the phase is announced).
      onPhase: (phase: string) => (phase === 'tls' ? queueMicrotask(() => controller.abort()) : undefined),
      correlationId: 'Root=1-00000000-aaaaaaaaaaaaaaaaaaaaaaaa',
    };
    const events: MtlsProbeEvent[] = [];
    const stop = subscribeEvents((event) => events.push(event));
    try {
      await assert.rejects(probe(options), (e: Error & { code?: string }) => e.name === 'AbortError' && e.code === 'ABORT_ERR');
    } finally {
      stop();
    }
    const mine = events.filter((e) => 'probe' in e.message && e.message.probe.correlationId === options.correlationId);
    assert.deepEqual(mine.slice(-3).map((e) => e.channel), [eventChannels.probePhaseStart, eventChannels.probePhaseEnd, eventChannels.probeError]);
    const end = mine.at(-2)!;
    assert.ok(end.channel === 'mtls-probe:probe:phaseEnd');
    assert.deepEqual([end.message.phase, end.message.error?.code], ['tls', 'ABORT_ERR']);
    assert.ok(!mine.some((e) => e.channel === eventChannels.probeDone));
  });

  test('no message carries key material, a passphrase, a header value or the URL\'s password', async () => {
    const secret = 'Bearer s3cr3t-t0k3n';
    const url = new URL(target.url);
    url.username = 'alice';
    url.password = 'hunter2';
    const withCredentials: CheckTarget = { kind: 'url', name: 'alb-like', options: { url: url.toString(), ca: target.pki.rootCa.certPem, headers: { authorization: secret } } };
    const { events } = await heard(() => runCheck(withCredentials, valid()));
    const text = JSON.stringify(events);
    assert.ok(events.length > 0);
    for (const forbidden of ['PRIVATE KEY', target.pki.clients.valid.keyPem.split('\n')[1]!, 's3cr3t', 'hunter2', 'alice']) assert.ok(!text.includes(forbidden), forbidden);
    assert.equal(eventUrl('https://alice:hunter2@example.com:8443/health'), 'https://example.com:8443/health');
  });

  test('a subscriber that throws does not disturb the probe; one that unsubscribed hears nothing more', async () => {
    let calls = 0;
    const stop = subscribeEvents(() => {
      calls++;
      throw new Error('a broken log');
    });
    const run = await runCheck(albTarget(), valid());
    assert.equal(run.verdict.reason, 'target_responded');
    assert.ok(calls > 0);
    stop();
    const before = calls;
    await runCheck(albTarget(), valid());
    assert.equal(calls, before);
  });

  test('the channels are plain diagnostics_channel channels, named like undici\'s', async () => {
    const names: string[] = [];
    const handler = (_message: unknown, name: string | symbol): void => void names.push(String(name));
    for (const name of eventChannelNames) {
      assert.match(name, /^mtls-probe:(probe|evidence):[a-z][A-Za-z]*$/);
      subscribe(name, handler);
    }
    try {
      await runCheck(albTarget(), null);
    } finally {
      for (const name of eventChannelNames) unsubscribe(name, handler);
    }
    assert.deepEqual([...new Set(names)], ['mtls-probe:probe:start', 'mtls-probe:probe:phaseStart', 'mtls-probe:probe:phaseEnd', 'mtls-probe:probe:done']);
  });
});

/** The target's own connection-log entry for the run, as a line of ALB's connection log. */
async function writeConnectionLog(run: CheckRun, name: string): Promise<string> {
  const entry = target.connectionLog.find((e) => e.clientPort === run.result.client.port);
  assert.ok(entry, 'the target logged the probe\'s connection');
  const file = join(logs, name);
  await writeFile(file, `${connectionLogLine(entry, { loadBalancer: 'app/edge/50dc6c495c0c9188', listenerPort: 443, serial: null })}\n`);
  return file;
}

describe('evidence events', () => {
  test('each file asked, the records found in it, what could not be read, and the total', async () => {
    const run = await runCheck(albTarget(), null);
    const folder = join(logs, 'mixed');
    await mkdir(folder);
    const connLog = await writeConnectionLog(run, join('mixed', 'conn.log'));
    const notes = join(folder, 'notes.txt');
    await writeFile(notes, 'these are not log lines\nnor is this\n');
    const missing = join(logs, 'no-such-folder');
    const { value: done, events } = await heard(() => collectRunEvidence(run, { logs: [folder, missing] }));
    assert.equal(done.verdict.confidence, 'confirmed');
    const mine = events.filter((e) => runIdOf(e) === run.id);
    assert.deepEqual(
      mine.map((e) => `${e.channel.replace(/^mtls-probe:/, '')}${'item' in e.message ? ` ${e.message.item}` : ''}${'error' in e.message ? ` ${e.message.error?.code}` : ''}${'records' in e.message ? ` ${e.message.records}` : ''}`),
      [
        'evidence:start',
        `evidence:sourceError ${missing} log_path_unreadable`,
        `evidence:sourceError ${notes} log_format_unknown`,
        `evidence:sourceStart ${connLog}`,
        `evidence:sourceEnd ${connLog} 1`,
        'evidence:done 1',
      ],
    );
    const start = mine[0]!;
    assert.ok(start.channel === 'mtls-probe:evidence:start');
    assert.deepEqual(start.message.collection, { correlationId: run.result.correlationId, runId: run.id });
    assert.deepEqual(start.message.sources, ['local log files']);
    const end = mine.at(-1)!;
    assert.ok(end.channel === 'mtls-probe:evidence:done');
    assert.equal(end.message.problems, 2);
    const failure = mine[1]!;
    assert.ok(failure.channel === 'mtls-probe:evidence:sourceError');
    assert.equal(failure.message.source, 'local log files');
    assert.match(failure.message.error.message, /cannot read/);
  });

  test('a gzip log cut off: the records before the cut count, and the damage is said as an error of that file', async () => {
    const run = await runCheck(albTarget(), null);
    const entry = target.connectionLog.find((e) => e.clientPort === run.result.client.port)!;
    const facts = { loadBalancer: 'app/edge/50dc6c495c0c9188', listenerPort: 443, serial: null };
    // The probe's line first, then other connections hours later (each with its own trace id, so the gzip stays large).
    const later = new Date(Date.parse(entry.time) + 3 * 3600_000).toISOString();
    const lines = [connectionLogLine(entry, facts), ...Array.from({ length: 3000 }, (_, i) => connectionLogLine({ ...entry, time: later, clientPort: 20000 + i }, { ...facts, clientIp: '192.0.2.7' }))];
    const full = gzipSync(`${lines.join('\n')}\n`);
    const file = join(logs, 'conn_cut.log.gz');
    await writeFile(file, full.subarray(0, Math.floor(full.length * 0.6)));
    const { events } = await heard(() => collectRunEvidence(run, { logs: [file] }));
    const mine = events.filter((e) => runIdOf(e) === run.id);
    assert.deepEqual(mine.map((e) => e.channel), [eventChannels.evidenceStart, eventChannels.evidenceSourceStart, eventChannels.evidenceSourceError, eventChannels.evidenceSourceEnd, eventChannels.evidenceDone]);
    const [, , damage, found] = mine;
    assert.ok(damage?.channel === 'mtls-probe:evidence:sourceError' && found?.channel === 'mtls-probe:evidence:sourceEnd');
    assert.equal(damage.message.error.code, 'log_partly_read');
    assert.match(damage.message.error.message, /gzip data is truncated/);
    assert.equal(found.message.records, 1);
  });

  test('a cancelled collection ends with evidence:error ABORT_ERR', async () => {
    const run = await runCheck(albTarget(), null);
    const file = await writeConnectionLog(run, 'cancelled.log');
    const controller = new AbortController();
    controller.abort();
    const { events } = await heard(() => collectRunEvidence(run, { logs: [file] }, { signal: controller.signal }));
    const mine = events.filter((e) => runIdOf(e) === run.id);
    assert.deepEqual(mine.map((e) => e.channel), [eventChannels.evidenceStart, eventChannels.evidenceError]);
    const error = mine[1]!;
    assert.ok(error.channel === 'mtls-probe:evidence:error');
    assert.equal(error.message.error.code, 'ABORT_ERR');
  });
});

describe('event lines', () => {
  test('one line per event, with the run it belongs to; phases at trace level, failures as warnings', async () => {
    const { value: run, events } = await heard(() => runCheck(albTarget(), null));
    const lines = events.filter((e) => runIdOf(e) === run.id).map(eventLine);
    assert.ok(lines.every((l) => l.text.startsWith(`[${run.id}] `) && !l.text.includes('\n')));
    const texts = lines.map((l) => l.text.slice(run.id.length + 3));
    assert.equal(texts[0], `probing ${target.url} with no certificate`);
    assert.ok(texts.includes('TLS handshake started'));
    assert.ok(texts.some((t) => /^TLS handshake failed after [\d.]+ ms: ECONNRESET — /.test(t)), texts.join('\n'));
    assert.match(texts.at(-1)!, /^verdict: mtls · reset_after_client_certificate \([\d.]+ ms\)$/);
    assert.deepEqual([...new Set(lines.map((l) => l.level))].sort(), ['debug', 'trace']);
    const warning = eventLine({ channel: 'mtls-probe:evidence:sourceError', message: { collection: { runId: 'r-1' }, source: 'AWS', item: 'WAF log', error: { code: 'aws_access_denied', message: 'AWS denied logs:StartQuery' } } });
    assert.deepEqual(warning, { level: 'warn', text: '[r-1] AWS: WAF log could not be read: aws_access_denied — AWS denied logs:StartQuery' });
  });
});
