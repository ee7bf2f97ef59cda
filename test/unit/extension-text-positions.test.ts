import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { beginMarkerRange, positionAt } from '../../src/extension/text-positions';

describe('positionAt: a config offset as the editor counts lines and columns', () => {
  test('\\n, \\r\\n and \\r each end a line; columns count UTF-16 code units', () => {
    const text = 'ab\ncd\r\nef\rgh 🔑x';
    assert.deepEqual(positionAt(text, 0), { line: 0, character: 0 });
    assert.deepEqual(positionAt(text, 2), { line: 0, character: 2 });
    assert.deepEqual(positionAt(text, 3), { line: 1, character: 0 });
    assert.deepEqual(positionAt(text, 5), { line: 1, character: 2 }, 'before the \\r of \\r\\n');
    assert.deepEqual(positionAt(text, 6), { line: 1, character: 2 }, 'between \\r and \\n: still the end of the line');
    assert.deepEqual(positionAt(text, 7), { line: 2, character: 0 });
    assert.deepEqual(positionAt(text, 10), { line: 3, character: 0 });
    assert.deepEqual(positionAt(text, text.indexOf('x')), { line: 3, character: 5 }, 'the key emoji is two code units');
  });

  test('offsets outside the text clamp to its ends', () => {
    assert.deepEqual(positionAt('a\nb', -4), { line: 0, character: 0 });
    assert.deepEqual(positionAt('a\nb', 99), { line: 1, character: 1 });
    assert.deepEqual(positionAt('', 0), { line: 0, character: 0 });
  });

  test('an expectation in a JSONC config: the line of its key', () => {
    const config = '{\n  // endpoints\n  "endpoints": [{\n    "expect": { "untrusted": "target" }\n  }]\n}\n';
    const offset = config.indexOf('"untrusted"');
    assert.deepEqual(positionAt(config, offset), { line: 3, character: 16 });
  });
});

describe('beginMarkerRange: a certificate block is underlined on its BEGIN marker only', () => {
  test('a block in YAML: from the first dash to the closing dashes of the marker', () => {
    const text = 'tls:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n    -----END CERTIFICATE-----\n';
    const start = text.indexOf('-----BEGIN');
    const end = text.indexOf('CERTIFICATE-----\n', text.indexOf('-----END')) + 'CERTIFICATE-----'.length;
    const range = beginMarkerRange(text, start, end);
    assert.equal(text.slice(range.start, range.end), '-----BEGIN CERTIFICATE-----');
  });

  test('a block in a JSON string (escaped newlines) still ends at the marker, not at the end of the line', () => {
    const text = '{"cert": "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"}';
    const start = text.indexOf('-----BEGIN');
    const range = beginMarkerRange(text, start, text.lastIndexOf('-----') + 5);
    assert.equal(text.slice(range.start, range.end), '-----BEGIN CERTIFICATE-----');
  });

  test('a marker cut off by the end of its line ends there', () => {
    const text = '-----BEGIN CERTIF\r\nMIIB\n-----END CERTIFICATE-----';
    const range = beginMarkerRange(text, 0, text.length);
    assert.equal(text.slice(range.start, range.end), '-----BEGIN CERTIF');
  });
});
