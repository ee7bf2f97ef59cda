import { readFile } from 'node:fs/promises';
import type { CheckRun } from '../../core/runs/check-run';
import { exportFormatOf, exportRuns, type RunExportFormat } from '../../core/report/run-exports';
import { RunFileError, runsFromJson } from '../../core/runs/run-json';
import { choice, writeOutputFile } from '../arguments';
import { BadArgumentError, reasonOf } from '../errors';
import { defineCommand } from '../shell';

// `mtls-probe report`: saved runs (probe --json, exports, test --json, the demo's --json) rendered as the timeline
// report — one run, or several side by side in compare mode — or converted to OTLP.

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

const formats: readonly RunExportFormat[] = ['html', 'otlp', 'json'];

async function readRuns(file: string): Promise<CheckRun[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new RunFileError(file, `${file} could not be read (${reasonOf(e)}).`, { code: 'file_unreadable', cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RunFileError(file, `${file} is not JSON (${(e as Error).message}): give a file written by mtls-probe probe --json or an exported run.`, { code: 'not_json', cause: e });
  }
  return runsFromJson(value, file);
}

export const reportCommand = defineCommand({
  name: 'report',
  usage: reportUsage,
  options: { output: { type: 'string', short: 'o' }, format: { type: 'string' }, title: { type: 'string' } },
  inputErrors: [RunFileError],
  async run(values, positionals, { io }) {
    if (positionals.length === 0) throw new BadArgumentError('report needs at least one saved run (RUN.json). See mtls-probe report --help.');
    if (values.output === undefined) throw new BadArgumentError('report needs -o FILE (where to write the page).');
    const format = values.format !== undefined ? choice(values.format, formats, '--format') : (exportFormatOf(values.output) ?? 'html');
    const runs: CheckRun[] = [];
    for (const file of positionals) runs.push(...(await readRuns(file)));
    await writeOutputFile(values.output, await exportRuns(runs, format, values.title !== undefined ? { title: values.title } : {}));
    io.out(`${format === 'html' ? 'Timeline report' : format === 'otlp' ? 'OpenTelemetry trace' : 'Runs'} of ${runs.length} run${runs.length === 1 ? '' : 's'} written to ${values.output}\n`);
    return 0;
  },
});
