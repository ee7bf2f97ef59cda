// The person stopped the work: Ctrl-C on the command line, a picker closed in the editor. It is not a failure to
// report, so each side tells it apart by class and by its stable `code`. The module has no imports: the CLI's shell
// loads it with every command.

/** Why the work stopped: `interrupted` (Ctrl-C in the CLI) or `cancelled` (a prompt or picker in the editor). */
export type StoppedCode = 'interrupted' | 'cancelled';

/** Work the person stopped; its subclasses fix the code and the message. */
export abstract class StoppedError extends Error {
  constructor(readonly code: StoppedCode, message: string) {
    super(message);
    // Named by code, not by new.target: the bundles are minified and the name is what other bundles can see.
    this.name = code === 'interrupted' ? 'InterruptedError' : 'CancelledError';
  }
}
