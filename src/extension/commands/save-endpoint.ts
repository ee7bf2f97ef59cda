import * as path from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { parse } from 'jsonc-parser/lib/esm/main.js';
import { workspaceConfigRelativePath } from '../../core/config/types';
import type { CommandServices } from '../commands';
import { appendToJsonc, configPath, endpointEntry, observedExpectation, uniqueName } from '../endpoint-draft';
import { CancelledError } from '../probe-runner';
import { requireTrust } from '../workspace-trust';
import type { ProbeRun } from '../run-history';
import { notify, pickFolder } from './ui';

const emptyConfig = '{\n  "identities": {},\n  "endpoints": []\n}\n';

/**
 * Saves a Probe URL… run as an endpoint: a name the person confirms, the server trust the probe used, the identity
 * it used (files picked for the probe become a named identity), and an expectation only where it says what they
 * mean — the observed outcome when the application answered, otherwise their choice.
 */
export async function saveRunToConfigCommand(s: CommandServices, target: ProbeRun | string | undefined): Promise<void> {
  const run = typeof target === 'string' ? s.history.get(target) : target !== undefined ? s.history.get(target.id) : s.history.list().find((r) => r.adHoc !== undefined);
  if (run?.adHoc === undefined) {
    notify('info', 'mTLS Probe: only a probe made with Probe URL… can be saved as an endpoint; this run already comes from the workspace config.');
    return;
  }
  requireTrust('Saving to the workspace config');
  const adHoc = run.adHoc;
  const folder = await pickFolder();
  const file = path.join(folder.uri.fsPath, workspaceConfigRelativePath);
  const text = await readFile(file, 'utf8').catch(() => emptyConfig);
  const parsed = (parse(text, [], { allowTrailingComma: true }) ?? {}) as { endpoints?: unknown; identities?: unknown };
  const endpointNames = Array.isArray(parsed.endpoints) ? parsed.endpoints.map((e) => String((e as { name?: unknown })?.name ?? '')) : [];
  const identityNames = parsed.identities !== null && typeof parsed.identities === 'object' ? Object.keys(parsed.identities as object) : [];

  const name = await vscode.window.showInputBox({
    title: `mTLS Probe: save ${adHoc.url} to ${workspaceConfigRelativePath}`,
    prompt: 'Name of the endpoint (shown in the tree, test results and reports)',
    value: uniqueName(new URL(adHoc.url).hostname, endpointNames),
    ignoreFocusOut: true,
    validateInput: (value) => {
      if (value.trim() === '') return 'Give the endpoint a name, e.g. the service it reaches';
      return endpointNames.includes(value.trim()) ? `"${value.trim()}" is already an endpoint in ${workspaceConfigRelativePath}: give another name` : undefined;
    },
  });
  if (name === undefined) throw new CancelledError();

  let edits = text;
  let identity: string | undefined;
  const used = adHoc.identity;
  if (used !== undefined && 'configName' in used) {
    identity = used.configName;
  } else if (used !== undefined) {
    // Files picked for the probe become an identity of their own, named after the file.
    const source = 'pfxFile' in used ? used.pfxFile : used.certFile;
    identity = uniqueName(path.basename(source).replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '-'), [...identityNames, 'none']);
    const where = (f: string): string => configPath(folder.uri.fsPath, f);
    const entry = 'pfxFile' in used ? { pfx: where(used.pfxFile) } : { cert: where(used.certFile), ...(used.keyFile !== undefined ? { key: where(used.keyFile) } : {}) };
    edits = appendToJsonc(edits, ['identities'], entry, identity);
  }
  const expect = await chooseExpectation(run);
  const entry = endpointEntry({ name: name.trim(), url: adHoc.url, trust: adHoc.trust, ...(identity !== undefined ? { identity } : {}), ...(expect !== undefined ? { expect } : {}) }, folder.uri.fsPath);
  edits = appendToJsonc(edits, ['endpoints'], entry);

  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, edits);
  s.configs.reload();
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const at = edits.lastIndexOf(`"name": ${JSON.stringify(name.trim())}`);
  const position = document.positionAt(Math.max(0, at));
  await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, position) });
  vscode.window.setStatusBarMessage(`$(check) mTLS Probe: saved endpoint ${name.trim()} to ${workspaceConfigRelativePath}.`, 5000);
}

/**
 * The expectation to write: what was seen when the application answered; otherwise the person says — a failure
 * observed is not silently what the endpoint should do.
 */
async function chooseExpectation(run: ProbeRun): Promise<string | undefined> {
  const { stoppedAt, reason } = run.verdict;
  if (stoppedAt === null) return observedExpectation(null);
  const choices = [
    { label: `Expect what you saw: ${stoppedAt} (${reason})`, description: 'the probe should stop there every time', value: observedExpectation(stoppedAt) as string | undefined },
    { label: 'Expect the application to answer', description: 'the probe should get through to it (a test that fails until it does)', value: 'target' },
    { label: 'No expectation', description: 'just probe it', value: undefined },
  ];
  const picked = await vscode.window.showQuickPick(choices, { title: `mTLS Probe: the probe stopped at ${stoppedAt} — what should this endpoint do?`, ignoreFocusOut: true });
  if (picked === undefined) throw new CancelledError();
  return picked.value;
}
