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

const heading = '// mTLS Probe: what to probe, with which client certificates, and where each probe should stop.';
const pathsNote = '// Paths are relative to the workspace folder. Comments and trailing commas are allowed.';

/**
 * A starter's text: the heading, what this one is for, then its top-level members (each with its comments, indented
 * as in the file) with a blank line between them.
 */
function starterText(about: readonly string[], members: readonly string[]): string {
  return [heading, ...about.map((line) => `// ${line}`), pathsNote, '{', members.join('\n\n'), '}', ''].join('\n');
}

function under(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Paths under a folder as JSON string literals: a folder name may hold quotes or backslashes. */
function filesUnder(dir: string): (name: string) => string {
  return (name) => JSON.stringify(under(dir, name));
}

/**
 * The "identities" member for a generated PKI: per identity, why it is there, then its certificate with the
 * intermediate CA (<name>.chain.pem) and its key, as `mtls-probe pki generate` and the lab write them.
 */
function pkiIdentitiesMember(comments: readonly string[], pkiDir: string, notes: Readonly<Record<string, string>>, after: readonly string[] = []): string {
  const file = filesUnder(pkiDir);
  const entries = Object.entries(notes).flatMap(([name, note]) => [`    // ${note}`, `    "${name}": { "cert": ${file(`${name}.chain.pem`)}, "key": ${file(`${name}.key`)} },`]);
  return [...comments.map((comment) => `  // ${comment}`), '  "identities": {', ...entries, ...after.map((comment) => `    // ${comment}`), '  },'].join('\n');
}

/** The "trustStores" member for a generated PKI: its CA bundle, linted against the load balancer's rules. */
function pkiTrustStoreMember(comment: string, name: string, bundle: string): string {
  return `  // ${comment}
  "trustStores": {
    "${name}": ${bundle},
  },`;
}

function pkiStarter(pkiDir: string): string {
  const dir = normalizeDir(pkiDir);
  const file = filesUnder(dir);
  return starterText(
    [],
    [
      pkiIdentitiesMember(
        ['Client identities by name. "none" (no client certificate) needs no entry.', 'The .chain.pem files hold the certificate and its intermediate CA: what a client should send.'],
        dir,
        {
          valid: "Issued by the test PKI's intermediate CA for client authentication: accepted.",
          expired: 'Expired 30 days before the PKI was generated: refused.',
          untrusted: 'Issued by a CA that is not in the trust store: refused.',
        },
        ['A PKCS#12 file works too: { "pfx": "certs/partner.p12" } (the passphrase is asked for once).'],
      ),
      pkiTrustStoreMember("CA bundles checked against the load balancer's trust-store rules.", 'test-pki', file('ca-bundle.pem')),
      `  "endpoints": [
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
  ],`,
    ],
  );
}

function labStarter(labDir: string, port: number): string {
  const dir = normalizeDir(labDir);
  const pki = filesUnder(under(dir, 'pki'));
  const url = `https://localhost:${port}/`;
  const logs = JSON.stringify(under(dir, 'logs'));
  const about = [
    'This config points at the local lab (mTLS Probe: Start Local Lab): a listener shaped like an AWS ALB with mTLS in',
    `verify mode, an AWS-WAF-like rule set and a target, logging in AWS's formats under ${under(dir, 'logs')}.`,
    'The lab runs while VS Code is open; a probe that finds nothing listening offers to start it again.',
    `Its test PKI (${under(dir, 'pki')}) also holds server.pem and server.key, for a test server of your own.`,
  ];
  return starterText(about, [
    pkiIdentitiesMember(["The lab's client identities: the .chain.pem files hold the certificate and its intermediate CA."], under(dir, 'pki'), {
      valid: 'Issued for client authentication by a CA in the trust store: accepted.',
      expired: "Expired: the listener resets the connection (ALB's connection log: Failed:ClientCertExpired).",
      untrusted: 'Issued by a CA that is not in the trust store (Failed:ClientCertUntrusted).',
      revoked: "Listed in the trust store's CRL (Failed:ClientCertCrlHit).",
    }),
    pkiTrustStoreMember("The lab's trust store, checked against the load balancer's trust-store rules.", 'lab', pki('ca-bundle.pem')),
    `  "endpoints": [
    {
      "name": "local-lab",
      "url": "${url}",
      // The lab's server certificate chains to its PKI's root CA.
      "ca": ${pki('root-ca.pem')},
      // Where the lab writes its ALB and WAF logs: each verdict is confirmed from them after the probe.
      "logs": ${logs},
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
      "ca": ${pki('root-ca.pem')},
      "logs": ${logs},
      "identities": ["valid"],
      "expect": { "valid": "waf" },
    },
  ],`,
  ]);
}

const placeholderStarter = starterText(
  [],
  [
    `  // Client identities by name. "none" (no client certificate) needs no entry. For example:
  //   "partner": { "cert": "certs/client.pem", "key": "certs/client.key" },
  //   "legacy": { "pfx": "certs/legacy.p12" },   (the passphrase is asked for once and kept in secret storage)
  "identities": {},`,
    `  "endpoints": [
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
  ],`,
  ],
);

/** A commented starter config: for the local lab, for a test PKI (the file names `mtls-probe pki generate` writes), or to edit. */
export function starterConfigText(options: StarterConfigOptions = {}): string {
  if (options.lab !== undefined) return labStarter(options.lab.dir, options.lab.port);
  return options.pkiDir !== undefined ? pkiStarter(options.pkiDir) : placeholderStarter;
}
