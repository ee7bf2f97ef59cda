import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isHostMessage, parseWebviewMessage, type WebviewMessage } from '../../src/webview/protocol';
import { singleRunModel } from '../support/timeline-fixtures';

// What the webview posts is untrusted: a page can be made to post anything (a script injected through a
// record's text would be the way). Only the exact documented shapes get through, as fresh objects.

describe('parseWebviewMessage', () => {
  test('accepts exactly the documented messages and returns copies', () => {
    const valid: WebviewMessage[] = [
      { type: 'ready' },
      { type: 'showTrace', runId: 'run-1' },
      { type: 'lookAgain', runId: 'run-1' },
      { type: 'export', runId: 'run-1', format: 'html' },
      { type: 'export', runId: null, format: 'json' },
      { type: 'export', runId: null, format: 'otlp' },
    ];
    for (const message of valid) {
      const parsed = parseWebviewMessage(JSON.parse(JSON.stringify(message)));
      assert.deepEqual(parsed, message);
      assert.notEqual(parsed, message);
    }
    assert.deepEqual(parseWebviewMessage({ type: 'showTrace', runId: 'x'.repeat(200) }), { type: 'showTrace', runId: 'x'.repeat(200) });
  });

  test('rejects what is not a plain object', () => {
    for (const value of [null, undefined, 0, 'ready', true, [], [{ type: 'ready' }], () => ({ type: 'ready' }), new Date(), Object.create({ type: 'ready' })]) {
      assert.equal(parseWebviewMessage(value), null, String(value));
    }
    class Ready {
      type = 'ready';
    }
    assert.equal(parseWebviewMessage(new Ready()), null);
  });

  test('rejects unknown types, wrong field types, missing and extra fields', () => {
    const hostile: unknown[] = [
      { type: 'READY' },
      { type: 'model' },
      { type: 'ready', extra: 1 },
      { type: 'showTrace' },
      { type: 'showTrace', runId: 7 },
      { type: 'showTrace', runId: '' },
      { type: 'showTrace', runId: null },
      { type: 'showTrace', runId: ['run-1'] },
      { type: 'showTrace', runId: 'run-1', command: 'rm -rf /' },
      { type: 'lookAgain', runId: { toString: () => 'run-1' } },
      { type: 'export', runId: 'run-1' },
      { type: 'export', runId: 'run-1', format: 'pdf' },
      { type: 'export', runId: 'run-1', format: 'HTML' },
      { type: 'export', runId: 'run-1', format: ['html'] },
      { type: 'export', runId: undefined, format: 'html' },
      { type: 'export', runId: 3, format: 'html' },
      { type: 'export', format: 'html' },
    ];
    for (const value of hostile) assert.equal(parseWebviewMessage(value), null, JSON.stringify(value));
  });

  test('rejects strings longer than 200 characters', () => {
    assert.equal(parseWebviewMessage({ type: 'showTrace', runId: 'x'.repeat(201) }), null);
    assert.equal(parseWebviewMessage({ type: 'lookAgain', runId: 'x'.repeat(100_000) }), null);
    assert.equal(parseWebviewMessage({ type: 'export', runId: 'x'.repeat(201), format: 'html' }), null);
  });

  test('prototype-pollution keys are extra keys, and nothing of them leaks into the result', () => {
    const withProto = JSON.parse('{"type":"showTrace","runId":"run-1","__proto__":{"polluted":true}}') as unknown;
    assert.equal(parseWebviewMessage(withProto), null);
    assert.equal(parseWebviewMessage(JSON.parse('{"type":"ready","constructor":{"prototype":{"polluted":true}}}')), null);
    assert.equal(parseWebviewMessage(JSON.parse('{"type":"ready","prototype":{}}')), null);
    const symbolKeyed = { type: 'ready', [Symbol('hidden')]: true };
    assert.equal(parseWebviewMessage(symbolKeyed), null);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('a getter is not a field: reading it could run code', () => {
    let reads = 0;
    const sneaky = Object.defineProperty({ type: 'showTrace' }, 'runId', { enumerable: true, get: () => `run-${++reads}` });
    assert.equal(parseWebviewMessage(sneaky), null);
    assert.equal(reads, 0);
  });
});

describe('isHostMessage', () => {
  test('accepts a model message of this version', () => {
    assert.ok(isHostMessage({ type: 'model', model: singleRunModel() }));
    assert.ok(isHostMessage(JSON.parse(JSON.stringify({ type: 'model', model: singleRunModel() }))));
  });

  test('rejects other envelopes and other model versions', () => {
    const model = singleRunModel();
    const hostile: unknown[] = [
      null,
      'model',
      { type: 'model' },
      { type: 'model', model: null },
      { type: 'model', model: [] },
      { type: 'ready', model },
      { type: 'model', model: { ...model, version: 2 } },
      { type: 'model', model: { ...model, version: '1' } },
      { type: 'model', model: { ...model, runs: {} } },
      { type: 'model', model: { ...model, lanes: null } },
      { type: 'model', model: { ...model, title: 42 } },
    ];
    for (const value of hostile) assert.equal(isHostMessage(value), false, JSON.stringify(value)?.slice(0, 80));
  });
});
