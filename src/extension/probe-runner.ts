import * as vscode from 'vscode';
import { describeExpectedOutcome } from '../core/config/workspace-config';
import { noIdentityName, type IdentityConfig, type WorkspaceConfig } from '../core/config/types';
import type { ClientIdentity } from '../core/identity/client-identity';
import type { ProbeResult } from '../core/probe/types';
import { loadProbeEngine } from './lazy-modules';
import type { PassphraseStore } from './passphrases';
import { endpointIdentityKey, resultWithEvidence, type ProbeRun, type RunHistory } from './run-history';
import type { EndpointRef } from './workspace-configs';

/** The person cancelled (a passphrase prompt, a picker): not an error to report. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'CancelledError';
  }
}

/** Restricted Mode: the workspace is not trusted, so nothing from its config runs. */
export class RestrictedModeError extends Error {
  constructor(what: string) {
    super(`${what} is not available in Restricted Mode: mTLS Probe reads no key files and runs no probes from an untrusted workspace. Trust the workspace to continue.`);
    this.name = 'RestrictedModeError';
  }
}

export function requireTrust(what: string): void {
  if (!vscode.workspace.isTrusted) throw new RestrictedModeError(what);
}

const passphraseCodes = new Set(['passphrase_required', 'wrong_passphrase']);

/** The IdentityError code, checked by name: the probe engine is a separate bundle, so instanceof cannot see its class. */
export function identityErrorCode(error: unknown): string | undefined {
  return error instanceof Error && error.name === 'IdentityError' ? (error as Error & { code: string }).code : undefined;
}

function fileOf(identity: IdentityConfig): string {
  return identity.kind === 'pfx' ? identity.pfxFile : identity.keyFile;
}

/** Runs probes for the views, the palette and the Test Explorer; every run lands in the history and the log. */
export class ProbeRunner {
  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly history: RunHistory,
    private readonly passphrases: PassphraseStore,
  ) {}

  /** Loads a configured identity, asking for its passphrase when needed (kept in SecretStorage once it works). */
  async loadIdentity(identity: IdentityConfig): Promise<ClientIdentity> {
    requireTrust('Loading a client identity');
    const engine = await loadProbeEngine();
    const file = fileOf(identity);
    let passphrase = await this.passphrases.get(file);
    let asked = false;
    for (;;) {
      try {
        const loaded = await engine.loadConfiguredIdentity(identity, passphrase);
        if (asked && passphrase !== undefined) await this.passphrases.set(file, passphrase);
        return loaded;
      } catch (error) {
        const code = identityErrorCode(error);
        if (code === undefined || !passphraseCodes.has(code)) throw error;
        // A stored passphrase that stopped working (the file was re-encrypted) is forgotten, then asked for.
        if (!asked && passphrase !== undefined) await this.passphrases.forget(file);
        passphrase = await this.passphrases.ask(file, code === 'wrong_passphrase' && passphrase !== undefined);
        if (passphrase === undefined) throw new CancelledError();
        asked = true;
      }
    }
  }

  /** Probes one endpoint with one identity (`none` for no certificate) from a workspace config. */
  async probeEndpoint(ref: EndpointRef, identityName: string, signal?: AbortSignal): Promise<ProbeRun> {
    requireTrust('Probing from the workspace config');
    const { config, endpoint } = ref;
    const key = endpointIdentityKey(config.file, endpoint.name, identityName);
    this.history.setRunning(key, true);
    try {
      const identity = identityName === noIdentityName ? null : await this.loadIdentity(findIdentity(config, identityName, endpoint.name));
      const engine = await loadProbeEngine();
      const options = await engine.probeOptionsFor(endpoint, identity, signal !== undefined ? { signal } : {});
      const startedAt = new Date();
      const { result } = await engine.probe(options);
      const expectation = endpoint.expectations.find((e) => e.identity === identityName);
      const run: ProbeRun = {
        id: this.history.newId(),
        key,
        endpointName: endpoint.name,
        identityName,
        startedAt,
        result,
        report: engine.formatProbeReport(result),
        endpoint,
      };
      if (expectation !== undefined) {
        const verdict = engine.evaluateExpectation(expectation.expected, result);
        run.expectation = { expected: describeExpectedOutcome(expectation.expected), ...verdict };
      }
      this.#record(run);
      return run;
    } finally {
      this.history.setRunning(key, false);
    }
  }

  /** An ad-hoc probe of a URL (no config), with an identity the person picked or none. */
  async probeUrl(url: string, identity: ClientIdentity | null, signal?: AbortSignal): Promise<ProbeRun> {
    const engine = await loadProbeEngine();
    const startedAt = new Date();
    const { result } = await engine.probe({ url, identity, ...(signal !== undefined ? { signal } : {}) });
    const run: ProbeRun = {
      id: this.history.newId(),
      endpointName: url,
      identityName: identity?.label ?? noIdentityName,
      startedAt,
      result,
      report: engine.formatProbeReport(result),
    };
    this.#record(run);
    return run;
  }

  #record(run: ProbeRun): void {
    const heading = `Probe ${run.endpointName} with ${run.identityName === noIdentityName ? 'no certificate' : `identity ${run.identityName}`}`;
    const expectation = run.expectation ? `\nExpectation (${run.expectation.expected}): ${run.expectation.passed ? 'passed' : `FAILED — ${run.expectation.message}`}` : '';
    this.output.info(`${heading}\n${run.report}${expectation}`);
    this.history.add(run);
  }
}

export function findIdentity(config: WorkspaceConfig, name: string, endpointName: string): IdentityConfig {
  const identity = config.identities.find((i) => i.name === name);
  if (identity === undefined) {
    throw new Error(`Endpoint "${endpointName}" names identity "${name}", which ${config.file} does not define (or defines with an error): fix it in "identities".`);
  }
  return identity;
}

/** The run's evidence as the output channel and the trace show it: what matched and why, then the verdict it gives. */
export function evidenceText(run: ProbeRun & { evidence: NonNullable<ProbeRun['evidence']> }): string {
  return `${run.evidence.lines.join('\n')}\nVerdict with evidence: ${runLine(run)} — ${run.evidence.verdict.summary}`;
}

/** verdictLine with what evidence says: "mtls · alb_client_cert_untrusted · 38 ms · confirmed". */
export function runLine(run: ProbeRun): string {
  const line = verdictLine(resultWithEvidence(run));
  if (run.collectingEvidence === true) return `${line} · waiting for evidence`;
  return run.evidence?.verdict.confidence === 'confirmed' ? `${line} · confirmed` : line;
}

/** A one-line verdict for tree rows and notifications: "mtls · reset_after_client_certificate · 38 ms". */
export function verdictLine(result: ProbeResult): string {
  const layer = result.verdict.stoppedAt ?? (result.http ? `target ${result.http.status}` : 'target');
  return `${layer} · ${result.verdict.reason} · ${Math.round(result.timings.total)} ms`;
}
