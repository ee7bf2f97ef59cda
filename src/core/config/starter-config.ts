// The text of a new .vscode/mtls-probe.json: commented JSONC that loads without problems and shows the shape.
// With a generated test PKI it probes the local rehearsal target with the PKI's identities; without one it is a
// placeholder to edit. The JSON Schema comes from the extension, so no "$schema" line is needed.

export interface StarterConfigOptions {
  /** Workspace-relative folder of a test PKI made by `mtls-probe pki generate`, e.g. "pki". */
  pkiDir?: string;
}

/** Forward slashes, no "./" in front and no slash at the end: "./pki\\" → "pki"; "." → "". */
function normalizeDir(dir: string): string {
  return dir
    .replace(/\\/g, '/')
    .replace(/^(?:\.\/)+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
}

function pkiStarter(pkiDir: string): string {
  const dir = normalizeDir(pkiDir);
  // JSON string literals: a folder name may hold quotes or backslashes.
  const file = (name: string): string => JSON.stringify(dir === '' ? name : `${dir}/${name}`);
  return `// mTLS Probe: what to probe, with which client certificates, and where each probe should stop.
// Paths are relative to the workspace folder. Comments and trailing commas are allowed.
{
  // Client identities by name. "none" (no client certificate) needs no entry.
  // The .chain.pem files hold the certificate and its intermediate CA: what a client should send.
  "identities": {
    // Issued by the test PKI's intermediate CA for client authentication: accepted.
    "valid": { "cert": ${file('valid.chain.pem')}, "key": ${file('valid.key')} },
    // Expired 30 days before the PKI was generated: refused.
    "expired": { "cert": ${file('expired.chain.pem')}, "key": ${file('expired.key')} },
    // Issued by a CA that is not in the trust store: refused.
    "untrusted": { "cert": ${file('untrusted.chain.pem')}, "key": ${file('untrusted.key')} },
    // A PKCS#12 file works too: { "pfx": "certs/partner.p12" } (the passphrase is asked for once).
  },

  // CA bundles checked against the load balancer's trust-store rules.
  "trustStores": {
    "test-pki": ${file('ca-bundle.pem')},
  },

  "endpoints": [
    {
      "name": "local-lab",
      // A local server with the test PKI's server.pem and server.key that verifies client certificates
      // against ca-bundle.pem, as a load balancer in verify mode does.
      "url": "https://localhost:8443/",
      // The server certificate chains to the test PKI's root CA.
      "ca": ${file('root-ca.pem')},
      // Every identity is probed, plus "none"; list them in "identities" to probe fewer.
      // Expected outcome per identity: a layer where the probe stops (dns, tcp, tls, mtls, http, waf),
      // "target" when the application answers, or an HTTP status such as 200.
      "expect": {
        "none": "mtls",
        "valid": "target",
        "expired": "mtls",
        "untrusted": "mtls",
      },
    },
  ],
}
`;
}

const placeholderStarter = `// mTLS Probe: what to probe, with which client certificates, and where each probe should stop.
// Paths are relative to the workspace folder. Comments and trailing commas are allowed.
{
  // Client identities by name. "none" (no client certificate) needs no entry. For example:
  //   "partner": { "cert": "certs/client.pem", "key": "certs/client.key" },
  //   "legacy": { "pfx": "certs/legacy.p12" },   (the passphrase is asked for once and kept in secret storage)
  "identities": {},

  "endpoints": [
    {
      "name": "api",
      "url": "https://api.example.com/health",
      // The CA bundle that issued the server's certificate, when it is not publicly trusted:
      // "ca": "certs/server-ca.pem",
      // Connect to another address, keeping the URL's name for SNI and the certificate check:
      // "connectTo": "203.0.113.10",
      // Expected outcome per identity: a layer where the probe stops (dns, tcp, tls, mtls, http, waf),
      // "target" when the application answers, or an HTTP status such as 200.
      "expect": {
        "none": "mtls",
        // "partner": "target",
      },
    },
  ],
}
`;

/** A commented starter config; with `pkiDir` it uses the file names `mtls-probe pki generate` writes there. */
export function starterConfigText(options: StarterConfigOptions = {}): string {
  return options.pkiDir !== undefined ? pkiStarter(options.pkiDir) : placeholderStarter;
}
