// The product's own test PKI (`mtls-probe pki generate`: generatePki) in a temp directory, as file paths the
// peers take. Its shape is a superset of what the Apache and Caddy peers need ({ serverCert, serverKey, caFile }),
// like peers.ts's WrittenPki, so either PKI can be given to them.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePki, type GeneratedPkiManifest, type GeneratePkiOptions } from '../../src/core/pki/generate-pki';

/** What a TLS server peer needs: its certificate (chain), key, and the CAs it trusts for client certificates. */
export interface ServerPkiFiles {
  serverCert: string;
  serverKey: string;
  caFile: string;
}

export interface GeneratedPkiFiles extends ServerPkiFiles {
  dir: string;
  manifest: GeneratedPkiManifest;
  /** ca-bundle.pem: root + intermediate; what clients trust for the server certificate too. */
  caFile: string;
  /** server.pem holds the server certificate and the intermediate. */
  serverCert: string;
  serverKey: string;
  /** An identity of the manifest (valid, untrusted, expired, …): leaf, leaf + intermediates, key. */
  identity(name: string): { cert: string; chain: string; key: string };
}

export async function makeGeneratedPki(prefix = 'mtls-probe-generated-pki-', options: GeneratePkiOptions = {}): Promise<GeneratedPkiFiles> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const manifest = await generatePki(dir, options);
  return {
    dir,
    manifest,
    caFile: join(dir, manifest.trustStore),
    serverCert: join(dir, manifest.server.cert),
    serverKey: join(dir, manifest.server.key),
    identity: (name) => {
      const found = manifest.identities.find((i) => i.name === name);
      if (!found) throw new Error(`no identity "${name}" in the generated PKI (${manifest.identities.map((i) => i.name).join(', ')})`);
      return { cert: join(dir, found.cert), chain: join(dir, found.chain), key: join(dir, found.key) };
    },
  };
}
