import { identitySpecSyntax } from '../../core/identity/identity-spec';
import { connectionHelp, connectionOptions, exitStatusHelp, matrixOnlyOptions, probeOnlyOptions } from '../probe-flags';
import type { CliCommand } from '../shell';

// `mtls-probe matrix URL... --identity SPEC...`: its words, help and options, read by the shell before anything
// loads; the code that probes (commands/matrix.ts) is loaded only to run it. (Of the identity module only its
// syntax line is bundled here: the loaders stay with the command's code.)

/** The help and the command read this one constant, so the default printed is the one applied. */
export const defaultMatrixConcurrency = 16;

export const matrixUsage = `Usage:
  mtls-probe matrix URL... --identity SPEC... [options]

Probes every URL with every identity, several at once, and prints one row per probe: where it stopped and why.

Identities:
  --identity SPEC        ${identitySpecSyntax} (repeatable; default: none)
  --pass-env VAR         passphrase of every encrypted key and PKCS#12 file, from environment variable VAR

Runs:
  --repeat N             probe each URL × identity pair N times (default 1)
  --concurrency N        probes in flight at once (default ${defaultMatrixConcurrency})
  --threads N            share the probes in flight over N threads, at most one per CPU core (default 1): for a
                         matrix bound by this machine's CPU (hundreds of probes to fast servers) with cores to spare
  --json                 one JSON object per probe (the run), one per line, as each finishes

${connectionHelp}

${exitStatusHelp}
`;

export const matrixOptions = { ...connectionOptions, ...matrixOnlyOptions, ...probeOnlyOptions };

export const matrixCommand: CliCommand<typeof matrixOptions> = {
  name: 'matrix', usage: matrixUsage, options: matrixOptions, cancellable: true,
  load: async () => (await import('../commands/matrix')).matrixRunner,
};
