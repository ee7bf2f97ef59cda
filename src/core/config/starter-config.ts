// The text of a new .vscode/mtls-probe.json: commented JSONC that loads without problems and shows the shape.
// For the local lab it probes the lab with its identities and confirms verdicts from its logs; with a generated test
// PKI it probes a local server with the PKI's identities; otherwise it is a placeholder to edit. The JSON Schema comes from the extension, so no "$schema" line is needed.

export interface StarterConfigOptions {
  /** Workspace-relative folder of a generated test PKI (`mtls-probe pki generate`, or the extension's Generate Test PKI…), e.g. "pki". */
  pkiDir?: string;
  /** The local lab: its workspace-relative folder (PKI in pki/, logs in logs/) and the port it listens on. */
  lab?: { dir: string; port: number };
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

function labStarter(labDir: string, port: number): string {
  const dir = normalizeDir(labDir);
  const file = (name: string): string => JSON.stringify(dir === '' ? name : `${dir}/${name}`);
  const url = `https://localhost:${port}/`;
  return `// mTLS Probe: what to probe, with which client certificates, and where each probe should stop.
// This config points at the local lab (mTLS Probe: Start Local Lab): a listener shaped like an AWS ALB with mTLS in
// verify mode, an AWS-WAF-like rule set and a target, logging in AWS's formats under ${dir === '' ? 'logs' : `${dir}/logs`}.
// The lab runs while VS Code is open; a probe that finds nothing listening offers to start it again.
// Its test PKI (${dir === '' ? 'pki' : `${dir}/pki`}) also holds server.pem and server.key, for a test server of your own.
// Paths are relative to the workspace folder. Comments and trailing commas are allowed.
{
  // The lab's client identities: the .chain.pem files hold the certificate and its intermediate CA.
  "identities": {
    // Issued for client authentication by a CA in the trust store: accepted.
    "valid": { "cert": ${file('pki/valid.chain.pem')}, "key": ${file('pki/valid.key')} },
    // Expired: the listener resets the connection (ALB's connection log: Failed:ClientCertExpired).
    "expired": { "cert": ${file('pki/expired.chain.pem')}, "key": ${file('pki/expired.key')} },
    // Issued by a CA that is not in the trust store (Failed:ClientCertUntrusted).
    "untrusted": { "cert": ${file('pki/untrusted.chain.pem')}, "key": ${file('pki/untrusted.key')} },
    // Listed in the trust store's CRL (Failed:ClientCertCrlHit).
    "revoked": { "cert": ${file('pki/revoked.chain.pem')}, "key": ${file('pki/revoked.key')} },
  },

  // The lab's trust store, checked against the load balancer's trust-store rules.
  "trustStores": {
    "lab": ${file('pki/ca-bundle.pem')},
  },

  "endpoints": [
    {
      "name": "local-lab",
      "url": "${url}",
      // The lab's server certificate chains to its PKI's root CA.
      "ca": ${file('pki/root-ca.pem')},
      // Where the lab writes its ALB and WAF logs: each verdict is confirmed from them after the probe.
      "logs": ${file('logs')},
      // Expected outcome per identity: a layer, or { "stoppedAt": …, "reason": … } for the exact reason.
      "expect": {
        "none": { "stoppedAt": "mtls", "reason": "alb_client_cert_missing" },
        "valid": "target",
        "expired": { "stoppedAt": "mtls", "reason": "alb_client_cert_expired" },
        "untrusted": { "stoppedAt": "mtls", "reason": "alb_client_cert_untrusted" },
        "revoked": { "stoppedAt": "mtls", "reason": "alb_client_cert_crl_hit" },
      },
    },
    {
      // The same listener with a request the WAF blocks: a valid certificate passes TLS, the query does not.
      "name": "local-lab-waf",
      "url": "${url}?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
      "ca": ${file('pki/root-ca.pem')},
      "logs": ${file('logs')},
      "identities": ["valid"],
      "expect": { "valid": "waf" },
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

/** A commented starter config: for the local lab, for a test PKI (the file names `mtls-probe pki generate` writes), or to edit. */
export function starterConfigText(options: StarterConfigOptions = {}): string {
  if (options.lab !== undefined) return labStarter(options.lab.dir, options.lab.port);
  return options.pkiDir !== undefined ? pkiStarter(options.pkiDir) : placeholderStarter;
}
