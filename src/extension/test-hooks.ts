import { channel } from 'node:diagnostics_channel';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { eventChannels } from '../core/events';
import type { RunHistory } from './run-history';
import type { TimelinePageSnapshot, TimelinePanels } from './timeline-panels';
import type { WorkspaceConfigs } from './workspace-configs';

// What the end-to-end suite reads to prove that load leaves nothing behind (100 probes, the timeline opened and
// closed 50 times) and to audit the timeline page as the panel gets it: the extension's own listener and disposable
// counts, the extension host's process-level ones, and the open panels' HTML and webview options. Nothing of it
// reaches users: the commands exist only when the extension host runs with MTLS_PROBE_TEST_HOOKS set to an absolute
// directory (the e2e harness sets it), package.json does not contribute them (no palette entry, no menu), and they
// read counts and the panels' pages, never configs, identities or anything else a run holds.

export const testHooksVariable = 'MTLS_PROBE_TEST_HOOKS';
export const testHookCommands = { counts: 'mtlsProbe.testHooks.counts', timelinePages: 'mtlsProbe.testHooks.timelinePages' } as const;

/** The extension's own counts, gathered by the one owner of its disposables. */
export interface ExtensionCounts {
  ownedDisposables: number;
  runHistory: ReturnType<RunHistory['counts']>;
  workspaceConfigs: ReturnType<WorkspaceConfigs['counts']>;
  timeline: ReturnType<TimelinePanels['counts']>;
  /** Per tree view: the live listeners of its provider's onDidChangeTreeData. */
  treeViewChangeListeners: Record<string, number>;
  evidenceCollecting: number;
}

export interface ProcessCounts {
  /** process.listenerCount for the events extensions and libraries commonly listen to. */
  listeners: Record<string, number>;
  /** process._getActiveHandles().length: sockets, servers, child processes, watchers (not timers). */
  activeHandles: number;
  /** process._getActiveRequests().length: file system and DNS requests in flight. */
  activeRequests: number;
  /** process.getActiveResourcesInfo() by kind (timers included). */
  activeResources: Record<string, number>;
  /** The core's diagnostics_channel channels that have a subscriber (the output channel subscribes to all). */
  eventChannelsSubscribed: number;
  /** Object.prototype's own property names: more than at start would mean something polluted it. */
  objectPrototypeKeys: number;
}

export type TestHookCounts = ExtensionCounts & { process: ProcessCounts };

const processEvents = ['exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning', 'message', 'disconnect', 'SIGINT', 'SIGTERM'] as const;

interface NodeProcessInternals {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
}

export function processCounts(): ProcessCounts {
  const internals = process as unknown as NodeProcessInternals;
  const activeResources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) activeResources[kind] = (activeResources[kind] ?? 0) + 1;
  return {
    listeners: Object.fromEntries(processEvents.map((event) => [event, process.listenerCount(event)])),
    activeHandles: internals._getActiveHandles?.().length ?? -1,
    activeRequests: internals._getActiveRequests?.().length ?? -1,
    activeResources,
    eventChannelsSubscribed: Object.values(eventChannels).filter((name) => channel(name).hasSubscribers).length,
    objectPrototypeKeys: Object.getOwnPropertyNames(Object.prototype).length,
  };
}

/** The directory the hooks write to, when this extension host runs for the e2e suite; undefined otherwise. */
export function testHooksDirectory(): string | undefined {
  const dir = process.env[testHooksVariable];
  return dir !== undefined && isAbsolute(dir) ? dir : undefined;
}

/**
 * Registers the hooks' commands. Each returns what it read (for a test that runs commands itself) and writes it as
 * JSON to <dir>/<hook>-<NNNN>.json (for the e2e suite, which presses a key bound to the command and reads the file);
 * the number counts the calls of all hooks, so the newest file is the answer.
 */
export function registerTestHooks(dir: string, sources: { counts: () => ExtensionCounts; timelinePages: () => TimelinePageSnapshot[] }): vscode.Disposable {
  let calls = 0;
  const answer = async <T>(hook: keyof typeof testHookCommands, value: T): Promise<T> => {
    const file = join(dir, `${hook}-${String(++calls).padStart(4, '0')}.json`);
    await mkdir(dir, { recursive: true });
    // Written whole, then renamed: the reader never sees half a file.
    await writeFile(`${file}.partial`, JSON.stringify(value, null, 2));
    await rename(`${file}.partial`, file);
    return value;
  };
  const registrations = [
    vscode.commands.registerCommand(testHookCommands.counts, () => answer('counts', { ...sources.counts(), process: processCounts() } satisfies TestHookCounts)),
    vscode.commands.registerCommand(testHookCommands.timelinePages, () => answer('timelinePages', sources.timelinePages())),
  ];
  return { dispose: () => registrations.forEach((r) => r.dispose()) };
}
