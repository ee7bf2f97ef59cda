// Every fuzz target, one module per concern under targets/.

import type { FuzzTarget } from './engine';
import { cryptoFileTarget, trustStoreTarget } from './targets/certs';
import { configTarget, runJsonTarget, webviewMessageTarget } from './targets/documents';
import { derTarget, pemInTextTarget, pemTarget, pkcs12Target } from './targets/formats';
import { logLineTarget, logScanTarget } from './targets/logs';
import { tlsHandshakeTarget, tlsSessionTarget } from './targets/tls';

export const fuzzTargets: readonly FuzzTarget[] = [tlsSessionTarget, tlsHandshakeTarget, derTarget, pemTarget, pemInTextTarget, pkcs12Target, cryptoFileTarget, trustStoreTarget, logLineTarget, logScanTarget, configTarget, runJsonTarget, webviewMessageTarget];

export function fuzzTarget(name: string): FuzzTarget {
  const target = fuzzTargets.find((t) => t.name === name);
  if (target === undefined) throw new Error(`no fuzz target "${name}" (targets: ${fuzzTargets.map((t) => t.name).join(', ')})`);
  return target;
}
