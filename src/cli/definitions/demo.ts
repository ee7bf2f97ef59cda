import type { CliCommand } from '../shell';

// `mtls-probe demo`: its words, help and options, read by the shell before anything loads; the experiment
// (commands/demo.ts, with the lab and the probe engine) is loaded only to run it.

export const demoUsage = `Usage:
  mtls-probe demo [--report FILE.html] [--json] [--dir DIR]

Starts the local lab (an ALB-shaped listener with mTLS in verify mode, an AWS-WAF-like rule set, a target), probes
it without a certificate, with a valid one, with a valid one and a malicious query, and with expired, untrusted and
revoked ones, reads the lab's logs (ALB connection and access logs, WAF records, CloudWatch metric streams) to
confirm each verdict, prints the verdicts as a table, writes the timeline of every case side by side, and stops the
lab. No AWS account, no network.

  --report FILE     where the timeline goes (default: mtls-probe-demo.html in the current folder)
  --json            print one JSON object: the lab and each case with its run
  --dir DIR         keep the lab's PKI and logs here (default: a temporary folder, removed afterwards)

Exit status: 0 when every case ended as an ALB with AWS WAF must answer, confirmed by the logs; 1 otherwise.
`;

export const demoOptions = { report: { type: 'string' }, json: { type: 'boolean' }, dir: { type: 'string' } } as const;

export const demoCommand: CliCommand<typeof demoOptions> = {
  name: 'demo', usage: demoUsage, options: demoOptions, positionals: false, cancellable: true,
  load: async () => (await import('../commands/demo')).demoRunner,
};
