/**
 * The id of an endpoint × identity check: `mtls-probe test --json` and JUnit use it, the Test Explorer scopes it by
 * config file (a multi-root workspace may have two endpoints of the same name). A module of its own: the
 * extension's activation bundle names test items with it and must not load the probe engine for that.
 */
export function checkId(endpointName: string, identityName: string): string {
  return `${endpointName}/${identityName}`;
}
