// The extension's test hooks (src/extension/test-hooks.ts) as the e2e suite reaches them: the session's extension
// host gets MTLS_PROBE_TEST_HOOKS=<a directory of the test's own>, and keybindings run the hooks' commands (which
// the palette does not list) and the timeline commands used in loops. Each hook writes its answer to a numbered JSON
// file in that directory; the helpers press the key and read the newest file.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestHookCounts } from '../../../src/extension/test-hooks';
import type { TimelinePageSnapshot } from '../../../src/extension/timeline-panels';
import { packageExtension, startVsCode, type VsCodeOptions, type VsCodeSession } from './vscode-session';

export type { TestHookCounts, TimelinePageSnapshot };

/** Keys bound in the session: chords nothing else in the workbench or Chromium uses. */
export const hookKeys = {
  counts: 'Control+Alt+Shift+F7',
  timelinePages: 'Control+Alt+Shift+F8',
  showTimeline: 'Control+Alt+Shift+F9',
  closeEditor: 'Control+Alt+Shift+F10',
} as const;

const keybinding = (key: string): string => key.toLowerCase().replace(/control/g, 'ctrl');

export interface TestHooks {
  dir: string;
  /** Merged into startVsCode's options. */
  options: Pick<VsCodeOptions, 'env' | 'keybindings'>;
  /** Runs the counts hook and returns its answer. */
  counts(session: VsCodeSession): Promise<TestHookCounts>;
  /** Runs the timeline-pages hook: every open panel's HTML and webview options. */
  timelinePages(session: VsCodeSession): Promise<TimelinePageSnapshot[]>;
  remove(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function makeTestHooks(): Promise<TestHooks> {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-probe-e2e-hooks-'));
  const answers = async (hook: string): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith(`${hook}-`) && f.endsWith('.json')).sort();
  const ask = async <T>(session: VsCodeSession, hook: 'counts' | 'timelinePages'): Promise<T> => {
    const before = new Set(await answers(hook));
    await session.page.keyboard.press(hookKeys[hook]);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const fresh = (await answers(hook)).filter((f) => !before.has(f));
      if (fresh.length > 0) return JSON.parse(await readFile(join(dir, fresh.at(-1)!), 'utf8')) as T;
      if (Date.now() > deadline) throw new Error(`The test hook "${hook}" wrote no answer to ${dir} within 10 s of ${hookKeys[hook]} (is MTLS_PROBE_TEST_HOOKS set, the keybinding loaded?)`);
      await sleep(50);
    }
  };
  return {
    dir,
    options: {
      env: { MTLS_PROBE_TEST_HOOKS: dir },
      keybindings: [
        { key: keybinding(hookKeys.counts), command: 'mtlsProbe.testHooks.counts' },
        { key: keybinding(hookKeys.timelinePages), command: 'mtlsProbe.testHooks.timelinePages' },
        { key: keybinding(hookKeys.showTimeline), command: 'mtlsProbe.showTimeline' },
        { key: keybinding(hookKeys.closeEditor), command: 'workbench.action.closeActiveEditor' },
      ],
    },
    counts: (session) => ask<TestHookCounts>(session, 'counts'),
    timelinePages: (session) => ask<TimelinePageSnapshot[]>(session, 'timelinePages'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A trusted session on the workspace with the packaged VSIX and the test hooks. */
export async function startVsCodeWithTestHooks(workspace: string): Promise<{ vscode: VsCodeSession; hooks: TestHooks }> {
  const hooks = await makeTestHooks();
  try {
    return { vscode: await startVsCode({ workspace, trusted: true, vsix: await packageExtension(), ...hooks.options }), hooks };
  } catch (error) {
    await hooks.remove();
    throw error;
  }
}

export async function closeVsCodeWithTestHooks(vscode: VsCodeSession | undefined, hooks: TestHooks | undefined): Promise<void> {
  await vscode?.close();
  await hooks?.remove();
}
