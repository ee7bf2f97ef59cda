import { labFronts } from '../../core/lab/lab-fronts';
import { labModes, startLab, type Lab } from '../../core/lab/lab';
import { describeLab, labInfo } from '../../core/lab/lab-text';
import { choice, portNumber, secretHeaderNames } from '../arguments';
import { BadInputError } from '../errors';
import type { labOptions } from '../definitions/lab';
import type { CommandRunner } from '../shell';

// `mtls-probe lab`: the local lab until Ctrl-C — an ALB-shaped mTLS listener, a WAF and a target, logging in AWS's
// formats — so any client (this CLI, the extension, curl) can rehearse against it with no AWS account.

/** Ctrl-C (the shell's signal) or SIGTERM: either is how the lab is meant to stop. */
function stopRequested(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      signal.removeEventListener('abort', stop);
      resolve();
    };
    if (signal.aborted) return stop();
    process.once('SIGTERM', stop);
    signal.addEventListener('abort', stop, { once: true });
  });
}

export const labRunner: CommandRunner<typeof labOptions> = {
  async run(values, _positionals, { io, signal }) {
    const port = portNumber(values.port, '--port', 0);
    const mode = choice(values.mode, labModes, '--mode');
    const front = choice(values.front, labFronts, '--front');
    const secretHeaders = secretHeaderNames(values['secret-header']);
    let lab: Lab;
    try {
      lab = await startLab({
        mode,
        front,
        ...(port !== undefined ? { port } : {}),
        ...(values.dir !== undefined ? { dir: values.dir } : {}),
        advertiseCaNames: values['no-ca-names'] !== true,
        ignoreClientCertificateExpiry: values['ignore-expiry'] === true,
        secretHeaders,
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? `port ${port} is in use: pick another with --port, or leave it out for a free one` : (error as Error).message;
      throw new BadInputError(`the lab could not start: ${why}.`, { cause: error });
    }
    io.out(values.json ? `${JSON.stringify(labInfo(lab))}\n` : `${describeLab(lab)}\n`);
    await stopRequested(signal);
    await lab.close();
    if (!values.json) io.err('mtls-probe: the lab stopped.\n');
    return 0;
  },
};
