// Serves the ALB-like demo target with a PKI written by writeTestPki (argument: its directory) and
// prints the port; used by benchmarks to keep the target's work out of the measured process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAlbLikeTarget } from '../src/core/demo/alb-like-target';
import type { PemPair, TestPki } from '../src/core/pki/test-pki';

const dir = process.argv[2]!;
const pair = (cert: string, key?: string): PemPair => ({ certPem: readFileSync(join(dir, cert), 'utf8'), keyPem: key ? readFileSync(join(dir, key), 'utf8') : '' });
const pki: TestPki = {
  rootCa: pair('ca.pem'),
  otherCa: pair('other-ca.pem'),
  server: pair('server.pem', 'server.key'),
  clients: { valid: pair('valid.pem', 'valid.key'), expired: pair('expired.pem', 'expired.key'), untrusted: pair('untrusted.pem', 'untrusted.key') },
};
void startAlbLikeTarget({ pki }).then((target) => process.stdout.write(`${target.port}\n`));
