import { spawn } from 'node:child_process';

/** The CLI as users run it: the built bundle (npm run build), in its own process. */
export const builtCli = new URL('../../dist/cli.js', import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs dist/cli.js with this process's environment plus `env`; a variable set to `undefined` is removed, so a test
 * can keep the machine's own settings (AWS_PROFILE, AWS_REGION…) away from the CLI.
 */
export function runBuiltCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli, ...args], { env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
