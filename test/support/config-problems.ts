// Finding a config problem by where it is, and the text it underlines: what the config tests assert on.

import assert from 'node:assert/strict';
import type { ConfigProblem, WorkspaceConfig } from '../../src/core/config/types';

/** The problem at this JSON path; fails the test, listing the problems there are, when none is. */
export function problemAt(config: WorkspaceConfig, jsonPath: string): ConfigProblem {
  const found = config.problems.find((p) => p.jsonPath === jsonPath);
  assert.ok(found, `no problem at ${jsonPath}; problems: ${JSON.stringify(config.problems.map((p) => [p.jsonPath, p.message]))}`);
  return found;
}

/** The text a problem (or any range) underlines. */
export function underlined(text: string, problem: { offset: number; length: number }): string {
  return text.slice(problem.offset, problem.offset + problem.length);
}
