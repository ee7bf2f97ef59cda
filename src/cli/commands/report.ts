import { readFile } from 'node:fs/promises';
import type { CheckRun } from '../../core/runs/check-run';
import { exportFormatOf, exportRuns, type RunExportFormat } from '../../core/report/run-exports';
import { RunFileError, runsFromJson } from '../../core/runs/run-json';
import { choice, writeOutputFile } from '../arguments';
import { BadArgumentError, reasonOf } from '../errors';
import type { reportOptions } from '../definitions/report';
import type { CommandRunner } from '../shell';

// `mtls-probe report`: saved runs (probe --json, exports, test --json, the demo's --json) rendered as the timeline
// report — one run, or several side by side in compare mode — or converted to OTLP.

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

export const reportRunner: CommandRunner<typeof reportOptions> = {
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
};
