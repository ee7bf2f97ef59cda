import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { blockAt, findCertificateBlocks, type CertificateBlock } from '../../src/core/certs/pem-blocks';
import { generateTestPki, type TestPki } from '../../src/core/pki/test-pki';

let pki: TestPki;
/** Two certificates and their DER: the client and its CA, as a bundle has them. */
let client: { pem: string; der: Buffer; lines: string[] };
let ca: { pem: string; der: Buffer; lines: string[] };

function certificate(pem: string): { pem: string; der: Buffer; lines: string[] } {
  const trimmed = pem.trim();
  return { pem: trimmed, der: Buffer.from(new X509Certificate(trimmed).raw), lines: trimmed.split('\n') };
}

before(async () => {
  pki = await generateTestPki({ organization: 'PEM Blocks Test' });
  client = certificate(pki.clients.valid.certPem);
  ca = certificate(pki.rootCa.certPem);
});

/** The blocks of `text` are exactly `expected`, each intact, its range from BEGIN to END, and blockAt agrees. */
function assertCertificates(text: string, expected: Buffer[]): CertificateBlock[] {
  const blocks = findCertificateBlocks(text);
  assert.deepEqual(
    blocks.map((b) => b.problem),
    expected.map(() => undefined),
  );
  assert.deepEqual(
    blocks.map((b) => Buffer.from(b.der!).toString('hex')),
    expected.map((der) => der.toString('hex')),
  );
  for (const block of blocks) {
    assert.ok(text.startsWith('-----BEGIN', block.start), `starts at BEGIN: ${JSON.stringify(text.slice(block.start, block.start + 20))}`);
    assert.match(text.slice(block.start, block.end), /-----END(?: |%20)(?:TRUSTED )?CERTIFICATE-----$/);
    for (const offset of [block.start, block.start + 3, (block.start + block.end) >> 1, block.end - 1, block.end]) {
      // Where one block ends and the next starts, the offset belongs to the next.
      const expected = blocks.find((b) => b.start === offset) ?? block;
      assert.deepEqual(blockAt(text, offset), expected, `blockAt(${offset})`);
    }
  }
  return blocks;
}

function only(text: string): CertificateBlock {
  const blocks = findCertificateBlocks(text);
  assert.equal(blocks.length, 1, JSON.stringify(blocks));
  return blocks[0]!;
}

describe('findCertificateBlocks: where certificates are pasted', () => {
  test('plain PEM, LF, CRLF and lone CR, with text around and between the blocks', () => {
    const bundle = `subject=CN=valid client\n${client.pem}\nissuer:\n${ca.pem}\n`;
    assertCertificates(bundle, [client.der, ca.der]);
    assertCertificates(bundle.replace(/\n/g, '\r\n'), [client.der, ca.der]);
    assertCertificates(bundle.replace(/\n/g, '\r'), [client.der, ca.der]);
    assertCertificates(`${client.pem}\n\n\n${ca.pem}`, [client.der, ca.der]);
  });

  test('YAML block scalars (| and |-, folded >), list items, and a common prefix per line', () => {
    const indent = (lines: string[], prefix: string): string => lines.map((l) => prefix + l).join('\n');
    assertCertificates(`apiVersion: v1\ndata:\n  tls.crt: |\n${indent(client.lines, '    ')}\n  ca.crt: |-\n${indent(ca.lines, '    ')}\n  other: value\n`, [client.der, ca.der]);
    assertCertificates(`cert: >\n${indent(client.lines, '  ')}\n`, [client.der]);
    assertCertificates(`certs:\n  - |\n${indent(client.lines, '    ')}\n  - |\n${indent(ca.lines, '    ')}\n`, [client.der, ca.der]);
    // ini: the value starts on the key's line, continuation lines are indented.
    assertCertificates(`[tls]\nclient_cert = ${client.lines[0]}\n${indent(client.lines.slice(1), '\t')}\nverify = true\n`, [client.der]);
    assertCertificates(indent(client.lines, '; '), [client.der]);
  });

  test('JSON strings: \\n, \\r\\n and \\/ escapes, \\u002B, and JSON inside a JSON string', () => {
    const json = JSON.stringify({ cert: `${client.pem}\n`, ca: `${ca.pem}\n` }, null, 2);
    assertCertificates(json, [client.der, ca.der]);
    assertCertificates(JSON.stringify({ cert: client.pem.replace(/\n/g, '\r\n') }), [client.der]);
    assertCertificates(json.replace(/\//g, '\\/'), [client.der, ca.der]);
    assertCertificates(json.replace(/\+/g, '\\u002B'), [client.der, ca.der]);
    assertCertificates(JSON.stringify({ manifest: JSON.stringify({ cert: client.pem }) }), [client.der]);
  });

  test('Terraform heredocs, shell, Go, Python, Java, Rust and C string literals', () => {
    const { lines } = client;
    const cases: Record<string, string> = {
      heredoc: `resource "x" "y" {\n  cert = <<EOF\n${client.pem}\nEOF\n}\n`,
      indentedHeredoc: `  cert = <<-EOT\n${lines.map((l) => `    ${l}`).join('\n')}\n    EOT\n`,
      shell: `CERT="${client.pem}"\nexport CERT\n`,
      shellAnsiC: `CERT=$'${lines.join('\\n')}\\n'\n`,
      goConcatenation: `const cert = "${lines.map((l) => `${l}\\n`).join('" +\n\t"')}"\n`,
      goRaw: `var cert = \`${client.pem}\n\`\n`,
      python: `CERT = (\n${lines.map((l) => `    "${l}\\n"`).join('\n')}\n)\n`,
      pythonTripleQuoted: `CERT = """${client.pem}\n"""\n`,
      java: `String cert = "${lines.join('" +\n    "')}";\n`,
      rust: `const CERT: &str = "${lines.map((l) => `${l}\\n\\`).join('\n')}\n";\n`,
      c: `static const char *cert =\n${lines.map((l) => `  "${l}\\n"`).join('\n')};\n`,
      php: `$cert = '${lines.join("' .\n  '")}';\n`,
    };
    for (const [name, text] of Object.entries(cases)) {
      assert.doesNotThrow(() => assertCertificates(text, [client.der]), name);
    }
  });

  test('Markdown fences and quotes, and lines behind #, //, *, -- comment markers', () => {
    const { lines } = client;
    assertCertificates(`# Client certificate\n\n\`\`\`pem\n${client.pem}\n\`\`\`\n\nand its CA:\n\n\`\`\`\n${ca.pem}\n\`\`\`\n`, [client.der, ca.der]);
    assertCertificates(lines.map((l) => `> ${l}`).join('\n'), [client.der]);
    for (const marker of ['# ', '#', '// ', '//', ' * ', '-- ', '  # ']) {
      assert.doesNotThrow(() => assertCertificates(`${lines.map((l) => marker + l).join('\n')}\n`, [client.der]), JSON.stringify(marker));
    }
    assertCertificates(`/*\n${lines.map((l) => ` * ${l}`).join('\n')}\n */\n`, [client.der]);
  });

  test('one line with spaces for newlines, URL-encoded (ALB header), XML attributes', () => {
    assertCertificates(`CLIENT_CERT=${client.lines.join(' ')}`, [client.der]);
    const header = encodeURIComponent(`${client.pem}\n`).replace(/%2B/g, '+').replace(/%2F/g, '/').replace(/%3D/g, '=');
    assertCertificates(`x-amzn-mtls-clientcert: ${header}\r\n`, [client.der]);
    assertCertificates(`x-amzn-mtls-clientcert: ${encodeURIComponent(`${client.pem}\n`)}\r\n`, [client.der]);
    assertCertificates(`<trust cert="${client.lines.join('&#10;')}"/>`, [client.der]);
    assertCertificates(`<trust cert="${client.lines.join('&#x0D;&#x0A;')}"/>`, [client.der]);
  });

  test('TRUSTED CERTIFICATE: the certificate, without the trust settings after it', () => {
    const trustSettings = Buffer.from([0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02]);
    const body = Buffer.concat([client.der, trustSettings]).toString('base64').replace(/(.{64})/g, '$1\n');
    const [block] = assertCertificates(`-----BEGIN TRUSTED CERTIFICATE-----\n${body}\n-----END TRUSTED CERTIFICATE-----\n`, [client.der]);
    assert.ok(block);
  });

  test('other PEM blocks are not certificates: keys and CSRs are skipped, and blockAt finds nothing in them', () => {
    const text = `${pki.clients.valid.keyPem}${client.pem}\n`;
    assertCertificates(text, [client.der]);
    assert.equal(blockAt(text, 40), null);
  });

  test('two blocks with nothing between them, and offsets on the BEGIN and END lines', () => {
    const joined = `${client.pem}${ca.pem}`; // "-----END CERTIFICATE----------BEGIN CERTIFICATE-----"
    const [first, second] = assertCertificates(joined, [client.der, ca.der]);
    assert.equal(first!.end, second!.start);
    assert.deepEqual(blockAt(joined, first!.end), second, 'the boundary belongs to the block that starts there');
    assert.deepEqual(blockAt(joined, first!.end - 1), first);

    const spaced = `intro\n${client.pem}\noutro\n`;
    const block = only(spaced);
    // The END marker's last dash and just past it both belong to the block; a BEGIN right after a truncated block too.
    const truncated = `${client.lines.slice(0, 4).join('\n')}-----BEGIN PRIVATE KEY-----\n`;
    assert.deepEqual(blockAt(truncated, truncated.indexOf('-----BEGIN PRIVATE')), only(truncated));
    assert.equal(block.start, spaced.indexOf('-----BEGIN'));
    assert.equal(block.end, spaced.indexOf('\noutro'));
    assert.equal(blockAt(spaced, block.start - 1), null, 'the line break before BEGIN');
    assert.equal(blockAt(spaced, block.end + 1), null, 'the line after END');
    assert.equal(blockAt(spaced, 0), null);
    assert.equal(blockAt(spaced, spaced.length), null);
    assert.equal(blockAt(spaced, -1), null);
    assert.equal(blockAt(spaced, spaced.length + 1), null);
    assert.equal(blockAt(spaced, Number.NaN), null);
  });
});

describe('findCertificateBlocks: damaged blocks', () => {
  test('no END line: the block stops at the last base64 line, at a blank line, or before the next BEGIN', () => {
    const truncated = client.lines.slice(0, 6).join('\n');
    const atEnd = only(truncated);
    assert.deepEqual(atEnd, { start: 0, end: truncated.length, der: null, problem: 'it has no -----END CERTIFICATE----- line (truncated copy?)' });

    const yaml = `tls:\n  cert: |\n${client.lines.slice(0, 6).map((l) => `    ${l}`).join('\n')}\n  key: secret-ref\n`;
    const inYaml = only(yaml);
    assert.equal(yaml.slice(inYaml.end, inYaml.end + 1), '\n');
    assert.ok(!yaml.slice(inYaml.start, inYaml.end).includes('key:'));

    const blank = `${truncated}\n\nMore notes here\n`;
    assert.equal(only(blank).end, truncated.length);

    const json = JSON.stringify({ cert: `${client.lines.slice(0, 6).join('\n')}`, next: 1 });
    const inJson = only(json);
    assert.equal(inJson.der, null);
    assert.ok(json.slice(inJson.end).startsWith('",'), json.slice(inJson.end));

    const text = `${truncated}\n${ca.pem}\n`;
    const blocks = findCertificateBlocks(text);
    assert.equal(blocks.length, 2);
    assert.equal(blocks[0]!.problem, 'it has no -----END CERTIFICATE----- line before the next BEGIN line (truncated copy?)');
    assert.equal(blocks[0]!.end, truncated.length);
    assert.deepEqual(Buffer.from(blocks[1]!.der!), ca.der);
  });

  test('bad base64, a cut-off DER, padding in the middle, a wrong or damaged END line, an empty block', () => {
    const lines = [...client.lines];
    const damaged = [...lines];
    damaged[3] = `${damaged[3]!.slice(0, 10)}*${damaged[3]!.slice(11)}`;
    assert.equal(only(damaged.join('\n')).problem, 'its base64 is damaged: line 4 of the block has "*", which is not a base64 character');
    assert.equal(only(JSON.stringify(damaged.join('\n'))).problem, 'its base64 is damaged: it has "*", which is not a base64 character');

    const cut = [...lines.slice(0, 3), ...lines.slice(5)].join('\n');
    assert.match(only(cut).problem!, /^it is cut off: its base64 holds \d+ of the \d+ bytes the certificate declares \(truncated copy\?\)$/);
    assert.match(only([lines[0], lines[1], lines[1], lines.at(-1)].join('\n')).problem!, /cut off|not DER|malformed/);

    const padded = [lines[0], `${lines[1]!.slice(0, -2)}==`, ...lines.slice(2)].join('\n');
    assert.match(only(padded).problem!, /^its base64 has '=' padding in the middle/);

    assert.equal(only([...lines.slice(0, -1), '-----END PRIVATE KEY-----'].join('\n')).problem, 'it ends with -----END PRIVATE KEY----- instead of -----END CERTIFICATE-----');
    assert.equal(only([...lines.slice(0, -1), '-----END CERTIFICATE---'].join('\n')).problem, 'its END line is damaged (expected -----END CERTIFICATE-----)');
    assert.equal(only('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n').problem, 'it has no base64 between the BEGIN and END lines');
    assert.match(only(`-----BEGIN CERTIFICATE-----\n${'A'.repeat(65)}\n-----END CERTIFICATE-----`).problem!, /65 characters long, which no encoding produces/);
  });

  test('a key or a public key under a CERTIFICATE label is named, not decoded as a certificate', () => {
    const keyBody = pki.clients.valid.keyPem.trim().split('\n').slice(1, -1).join('\n');
    const block = only(`-----BEGIN CERTIFICATE-----\n${keyBody}\n-----END CERTIFICATE-----\n`);
    assert.deepEqual({ der: block.der, problem: block.problem }, { der: null, problem: 'it holds a private key, not a certificate' });
    const spki = new X509Certificate(client.pem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    assert.equal(only(`-----BEGIN CERTIFICATE-----\n${spki}\n-----END CERTIFICATE-----`).problem, 'it holds a bare public key, not a certificate');
    assert.equal(only(`-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----`).problem, 'its content is not DER (damaged base64, or not a certificate)');
  });

  test('problems never quote the block: a damaged line may be pasted key material', () => {
    const keyLine = pki.clients.valid.keyPem.split('\n')[1]!;
    const text = [client.lines[0], client.lines[1], `${keyLine.slice(0, 20)}!${keyLine.slice(20)}`, ...client.lines.slice(2)].join('\n');
    const problem = only(text).problem!;
    assert.ok(!problem.includes(keyLine.slice(0, 8)), problem);
  });
});

describe('robustness and speed', () => {
  function checkInvariants(text: string): void {
    const blocks = findCertificateBlocks(text);
    let previousEnd = 0;
    for (const block of blocks) {
      assert.ok(block.start >= previousEnd && block.start < block.end && block.end <= text.length, `range ${block.start}-${block.end} after ${previousEnd} in ${text.length}`);
      assert.ok(text.startsWith('-----BEGIN', block.start));
      assert.ok((block.der === null) === (block.problem !== undefined));
      previousEnd = block.end;
    }
    // blockAt agrees with the full scan wherever it is asked.
    for (let offset = 0; offset <= text.length; offset += Math.max(1, text.length >> 6)) {
      const found = blockAt(text, offset);
      const containing = blocks.filter((b) => b.start <= offset && offset <= b.end);
      if (found === null) assert.deepEqual(containing, [], `blockAt(${offset}) found nothing`);
      else assert.ok(containing.some((b) => b.start === found.start && b.end === found.end && b.problem === found.problem), `blockAt(${offset}) = ${JSON.stringify({ ...found, der: undefined })}`);
    }
  }

  test('fast-check: random text never throws, blocks never overlap, offsets in range', () => {
    const piece = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('-----BEGIN CERTIFICATE-----', '-----END CERTIFICATE-----', '-----BEGIN', '-----END', '\n', '\\n', '"', '%0A', '&#10;', 'MIIB', '=='));
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => checkInvariants(pieces.join(''))), { numRuns: 400 });
  });

  test('fast-check: mutated PEM in every wrapping never throws, blocks never overlap, blockAt agrees', () => {
    const wrappings = [
      (pem: string): string => `${pem}\n${ca.pem}\n`,
      (pem: string): string => JSON.stringify({ cert: pem, ca: ca.pem }),
      (pem: string): string => pem.split('\n').map((l) => `    "${l}\\n" +`).join('\n'),
      (pem: string): string => pem.split('\n').map((l) => `# ${l}`).join('\r\n'),
    ];
    const insert = fc.constantFrom('A', '=', '-', '+', '/', '\n', '\r', ' ', '\\', '\\n', '"', '*', '-----BEGIN CERTIFICATE-----', '-----END CERTIFICATE-----', '-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----');
    const edits = fc.array(fc.record({ at: fc.nat(), insert, remove: fc.nat({ max: 80 }) }), { maxLength: 6 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: wrappings.length - 1 }), edits, (wrapping, list) => {
        let text = wrappings[wrapping]!(client.pem);
        for (const edit of list) {
          const at = edit.at % (text.length + 1);
          text = text.slice(0, at) + edit.insert + text.slice(at + edit.remove);
        }
        checkInvariants(text);
      }),
      { numRuns: 400 },
    );
  });

  test('overlapping markers: "-----END CERTIFICATE-----BEGIN" and "-----BEGIN CERTIFICATE-----BEGIN"', () => {
    checkInvariants(`${client.pem.slice(0, -5)}${ca.pem.slice(5)}`);
    checkInvariants(`-----BEGIN CERTIFICATE-----BEGIN CERTIFICATE-----\n${client.lines.slice(1).join('\n')}`);
    assert.equal(findCertificateBlocks(`-----BEGIN CERTIFICATE-----BEGIN CERTIFICATE-----\n${client.lines.slice(1).join('\n')}`)[0]?.problem, undefined);
  });

  // How long these take is for the benches (bench/hover.ts: blockAt and the full scans; the fuzz bench: no
  // super-linear input), not for a test: here, what they find.
  test('a 1 MB file without certificates, 20,000 BEGIN lines without END, and a megabyte of backslashes or base64', () => {
    const filler = 'lorem ipsum dolor sit amet, "key": "value\\n" \\\\ 100% &amp; -----\n'.repeat(16_000);
    assert.deepEqual(findCertificateBlocks(filler), []);
    checkInvariants(filler);

    const begins = '-----BEGIN CERTIFICATE-----\nMIIB\n'.repeat(20_000);
    const unterminated = findCertificateBlocks(begins);
    assert.equal(unterminated.length, 20_000);
    assert.ok(unterminated.every((b, i) => b.start === 33 * i && b.der === null), 'one damaged block per BEGIN line');
    assert.equal(unterminated[0]!.problem, 'it has no -----END CERTIFICATE----- line before the next BEGIN line (truncated copy?)');
    assert.equal(unterminated.at(-1)!.problem, 'it has no -----END CERTIFICATE----- line (truncated copy?)');
    checkInvariants(begins);

    for (const body of ['\\'.repeat(1 << 20), 'A'.repeat(1 << 20)]) {
      const text = `-----BEGIN CERTIFICATE-----\n${body}`;
      const [block, ...rest] = findCertificateBlocks(text);
      assert.deepEqual(rest, []);
      assert.equal(block?.problem, 'it has no -----END CERTIFICATE----- line (truncated copy?)');
      checkInvariants(text);
    }
  });

  test('blockAt looks only around the offset: in a 25-certificate bundle, with a megabyte of text before it, it finds each block', () => {
    const bundle = Array.from({ length: 13 }, () => `# client\n${client.pem}\n# CA\n${ca.pem}\n`).join('').slice(0, -1);
    const blocks = findCertificateBlocks(bundle);
    assert.equal(blocks.length, 26);
    const before = 'key: value # an ordinary line of configuration\n'.repeat(Math.ceil((1 << 20) / 47));
    for (const block of blocks) {
      const inside = (block.start + block.end) >> 1;
      assert.deepEqual(blockAt(bundle, inside), block);
      assert.deepEqual(blockAt(before + bundle, before.length + inside), { ...block, start: before.length + block.start, end: before.length + block.end });
    }
  });
});
