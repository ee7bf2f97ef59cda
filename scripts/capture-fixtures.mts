// Records real TLS sessions (bytes of both directions plus the session's key log) as JSON fixtures for
// the decoder's unit tests: `node --import tsx scripts/capture-fixtures.mts`. Needs openssl.
// The fixtures hold only throw-away test keys and session secrets of these recorded sessions.

import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAlbLikeTarget } from '../src/core/demo/alb-like-target';
import { loadPemIdentity } from '../src/core/identity/client-identity';
import { generateTestPki, writeTestPki } from '../src/core/pki/test-pki';
import { probe } from '../src/core/probe/probe';
import type { ProbeOptions } from '../src/core/probe/types';

const out = new URL('../test/fixtures/captures/', import.meta.url).pathname;
const pki = await generateTestPki({ organization: 'Capture Fixture' });
const files = await writeTestPki(await mkdtemp(join(tmpdir(), 'capture-')), pki);
const valid = await loadPemIdentity({ certFile: files.client('valid').cert, keyFile: files.client('valid').key });

async function save(name: string, description: string, options: ProbeOptions): Promise<void> {
  const { result, keyLog, wire } = await probe(options);
  const fixture = {
    description,
    verdict: result.verdict,
    keyLog,
    chunks: wire.map((c) => ({ t: Math.round(c.t * 1000) / 1000, dir: c.dir, hex: c.data.toString('hex') })),
  };
  await writeFile(join(out, `${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`${name}: ${result.verdict.stoppedAt} ${result.verdict.reason} (${wire.length} chunks)`);
}

async function withOpenssl(version: '1.2' | '1.3', run: (port: number) => Promise<void>): Promise<void> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', files.serverCert, '-key', files.serverKey, '-CAfile', files.caFile, '-Verify', '2', '-verify_return_error', version === '1.2' ? '-tls1_2' : '-tls1_3', '-www', '-quiet'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    await run(port);
  } finally {
    child.kill();
  }
}

await withOpenssl('1.2', async (port) => {
  const base = { url: `https://localhost:${port}/`, ca: pki.rootCa.certPem, tlsMaxVersion: 'TLSv1.2' as const, alpn: ['http/1.1'] };
  await save('tls12-openssl-no-certificate', 'openssl s_server -Verify 2 -verify_return_error -tls1_2, probed without a client certificate: handshake_failure alert', base);
  await save('tls12-openssl-valid', 'openssl s_server -tls1_2, probed with a valid client certificate: HTTP 200 over AES-GCM', { ...base, identity: valid });
});
await withOpenssl('1.3', async (port) => {
  const base = { url: `https://localhost:${port}/`, ca: pki.rootCa.certPem, alpn: ['http/1.1'] };
  await save('tls13-openssl-no-certificate', 'openssl s_server -Verify 2 -verify_return_error -tls1_3, probed without a client certificate: encrypted certificate_required alert', base);
});
const target = await startAlbLikeTarget({ pki });
try {
  await save('tls12-alb-like-reset', 'the built-in ALB-like demo target (TLS 1.2), probed without a client certificate: TCP reset after the client flight', {
    url: target.url,
    ca: pki.rootCa.certPem,
  });
} finally {
  await target.close();
}
