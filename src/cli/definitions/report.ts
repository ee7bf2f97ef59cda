import type { CliCommand } from '../shell';

// `mtls-probe report`: its words, help and options, read by the shell before anything loads; the code that renders
// the runs (commands/report.ts) is loaded only to run it.

export const reportUsage = `Usage:
  mtls-probe report RUN.json... -o FILE [--format html|otlp|json] [--title TEXT]

Renders saved runs as one self-contained timeline page (the same view as the extension's timeline panel): the
verdict on top, the handshake and the server-side evidence on one time axis; several runs side by side, aligned
at their connection start (e.g. no certificate / valid / valid with a blocked request). RUN.json: the output of
mtls-probe probe --json (or --demo --json, matrix --json, test --json), or a run exported from the extension.

  -o, --output FILE   where to write (required)
  --format FORMAT     html (default; .otlp.json files default to otlp), otlp (OpenTelemetry JSON for Jaeger or
                      Grafana Tempo), or json (the runs, as an array when several)
  --title TEXT        the page's title

Exit status: 0 when written, 2 for bad arguments or a file that is not a run.
`;

export const reportOptions = { output: { type: 'string', short: 'o' }, format: { type: 'string' }, title: { type: 'string' } } as const;

export const reportCommand: CliCommand<typeof reportOptions> = {
  name: 'report', usage: reportUsage, options: reportOptions,
  load: async () => (await import('../commands/report')).reportRunner,
};
