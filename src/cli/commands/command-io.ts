/** Where a subcommand writes: the CLI passes stdout/stderr, tests pass collectors. */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}
