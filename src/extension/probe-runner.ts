import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { noIdentityName, type IdentityConfig, type WorkspaceConfig } from '../core/config/types';
import type { ClientIdentity } from '../core/identity/client-identity';
import type { ProbePhase } from '../core/probe/types';
import { identityWords, runLine, type CheckRun } from '../core/runs/check-run';
import type { PassphraseSource } from '../core/runs/identity-loading';
import { StoppedError } from '../core/stopped-error';
import { loadProbeEngine } from './lazy-modules';
import { requireTrust } from './workspace-trust';
import type { PassphraseStore } from './passphrases';
import type { OutsideFileGate } from './outside-file-gate';
import { endpointIdentityKey, type AdHocProbe, type ProbeRun, type RunHistory } from './run-history';
import type { EndpointRef } from './workspace-configs';

/** The person cancelled (a passphrase prompt, a picker): not an error to report. Its code is always `cancelled`. */
export class CancelledError extends StoppedError {
  constructor() {
    super('cancelled', 'Cancelled.');
  }
}

/**
 * A cancel the person asked for: a picker they closed, or a probe they stopped (the probe engine's AbortError,
 * told by name: it is another bundle's class).
 */
export function isCancellation(error: unknown): boolean {
  return error instanceof CancelledError || (error instanceof Error && error.name === 'AbortError');
}


/** The IdentityError code, checked by name: the probe engine is a separate bundle, so instanceof cannot see its class. */
export function identityErrorCode(error: unknown): string | undefined {
  return error instanceof Error && error.name === 'IdentityError' ? (error as Error & { code: string }).code : undefined;
}

function fileOf(identity: IdentityConfig): string {
  return identity.kind === 'pfx' ? identity.pfxFile : identity.keyFile;
}

/** Every file an identity is read from. */
function filesOf(identity: IdentityConfig): string[] {
  return identity.kind === 'pfx' ? [identity.pfxFile] : [identity.certFile, identity.keyFile];
}

/**
 * The extension's passphrases: SecretStorage first, then the person (password box); one that works is kept, one
 * that stopped working (the file was re-encrypted) is forgotten before asking.
 */
function secretStoragePassphrases(store: PassphraseStore): PassphraseSource {
  return {
    passphrase: async (identity, { attempt, failure }) => {
      const file = fileOf(identity);
      if (attempt === 0) return store.get(file);
      if (attempt === 1 && failure?.passphrase !== undefined) await store.forget(file);
      const asked = await store.ask(file, failure?.code === 'wrong_passphrase' && failure.passphrase !== undefined);
      if (asked === undefined) throw new CancelledError();
      return asked;
    },
    accepted: async (identity, passphrase) => {
      const file = fileOf(identity);
      if ((await store.get(file)) !== passphrase) await store.set(file, passphrase);
    },
  };
}

/**
 * Runs probes for the views, the palette and the Test Explorer through the core's run service; every run lands in
 * the history and the log.
 */
export class ProbeRunner {
  readonly #passphrases: PassphraseSource;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly history: RunHistory,
    passphrases: PassphraseStore,
    private readonly outsideFiles: OutsideFileGate,
  ) {
    this.#passphrases = secretStoragePassphrases(passphrases);
  }

  /**
   * Loads an identity, asking for its passphrase when needed (kept in SecretStorage once it works). One from a
   * workspace config is read from outside the workspace folders only once allowed; files the person picked in a
   * file dialog (`picked`) are theirs to give.
   */
  async loadIdentity(identity: IdentityConfig, picked = false): Promise<ClientIdentity> {
    requireTrust('Loading a client identity');
    if (!picked) await this.outsideFiles.confirm(filesOf(identity), `Identity "${identity.name}"`);
    const engine = await loadProbeEngine();
    return engine.loadIdentityWith(identity, this.#passphrases);
  }

  /** Probes one endpoint with one identity (`none` for no certificate) from a workspace config. */
  async probeEndpoint(ref: EndpointRef, identityName: string, signal?: AbortSignal, onPhase?: (phase: ProbePhase) => void): Promise<ProbeRun> {
    requireTrust('Probing from the workspace config');
    const { config, endpoint } = ref;
    const key = endpointIdentityKey(config.file, endpoint.name, identityName);
    this.history.setRunning(key, true);
    try {
      const identity = identityName === noIdentityName ? null : findIdentity(config, identityName, endpoint.name);
      const files = [...(identity !== null ? filesOf(identity) : []), ...(endpoint.caFile !== undefined ? [endpoint.caFile] : []), ...(endpoint.logs !== undefined ? [endpoint.logs] : [])];
      await this.outsideFiles.confirm(files, `Probing "${endpoint.name}"${identity !== null ? ` with "${identity.name}"` : ''}`);
      const engine = await loadProbeEngine();
      const expected = endpoint.expectations.find((e) => e.identity === identityName)?.expected;
      const run = await engine.probeCheck({ kind: 'endpoint', endpoint }, identity, {
        passphrases: this.#passphrases,
        ...(expected !== undefined ? { expected } : {}),
        ...(signal !== undefined ? { signal } : {}),
        ...(onPhase !== undefined ? { onPhase } : {}),
      });
      return this.#record(run, engine.formatProbeReport(run.result, { ...(run.secretHeaders !== undefined ? { secretHeaders: run.secretHeaders } : {}) }), { key, endpoint });
    } finally {
      this.history.setRunning(key, false);
    }
  }

  /**
   * An ad-hoc probe of a URL (no config), with an identity the person picked or none, trusting the server as they
   * chose: the system store, a CA file, or nothing (like curl -k).
   */
  async probeUrl(adHoc: AdHocProbe, identity: ClientIdentity | null, signal?: AbortSignal, onPhase?: (phase: ProbePhase) => void): Promise<ProbeRun> {
    const engine = await loadProbeEngine();
    const { url, trust } = adHoc;
    const ca = trust.kind === 'ca' ? await readFile(trust.file, 'utf8') : undefined;
    const options = { url, ...(ca !== undefined ? { ca } : {}), ...(trust.kind === 'insecure' ? { insecure: true } : {}) };
    const run = await engine.probeCheck({ kind: 'url', name: url, options }, identity, { ...(signal !== undefined ? { signal } : {}), ...(onPhase !== undefined ? { onPhase } : {}) });
    return this.#record(run, engine.formatProbeReport(run.result, { ...(run.secretHeaders !== undefined ? { secretHeaders: run.secretHeaders } : {}) }), { adHoc });
  }

  #record(checkRun: CheckRun, report: string, origin: Pick<ProbeRun, 'key' | 'endpoint' | 'adHoc'>): ProbeRun {
    const run: ProbeRun = Object.freeze({ ...checkRun, report, ...origin });
    const expectation = run.expectation ? `\nExpectation (${run.expectation.expected}): ${run.expectation.passed ? 'passed' : `FAILED — ${run.expectation.message}`}` : '';
    this.output.info(`Probe ${run.endpointName} with ${identityWords(run)}\n${run.report}${expectation}`);
    this.history.add(run);
    return run;
  }
}

export function findIdentity(config: WorkspaceConfig, name: string, endpointName: string): IdentityConfig {
  const identity = config.identities.find((i) => i.name === name);
  if (identity === undefined) {
    throw new Error(`Endpoint "${endpointName}" names identity "${name}", which ${config.file} does not define (or defines with an error): fix it in "identities".`);
  }
  return identity;
}

export { runLine };
