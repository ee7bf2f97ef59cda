// The verdict first: where the request stopped and why, how sure that is (the probe alone, or confirmed by a
// server's record), the expectation, then the facts, the evidence looked at and what came of it, and the notes
// that qualify the picture (clock skew, minute-wide metrics, evidence that arrives late).

import type { EvidenceStatus, TimelineRun } from '../core/timeline/model';
import { h, icon } from './dom';

type CoverageState = EvidenceStatus['coverage'][number]['state'];

const coverageWords: Record<CoverageState, { icon: string; text: string }> = {
  found: { icon: 'check', text: 'found' },
  missing: { icon: 'cross', text: 'missing' },
  'not-yet-available': { icon: 'clock', text: 'not yet available' },
  'not-configured': { icon: 'dash', text: 'not configured' },
  failed: { icon: 'warning', text: 'failed' },
};

const noteWords: Record<TimelineRun['notes'][number]['kind'], string> = {
  'clock-skew': 'Clock',
  granularity: 'Granularity',
  'late-evidence': 'Late evidence',
};

/**
 * The frame says whether the run went as the config expected: a stop that was expected (no certificate → mTLS)
 * is the proof asked for, not a failure, and an answer that was not expected is one. The layer keeps its class.
 */
function verdictClass(run: TimelineRun): string {
  const layer = run.verdict.stoppedAt === null ? 'verdict-passed' : `verdict-stopped stopped-${run.verdict.stoppedAt}`;
  const expectation = run.verdict.expectation;
  if (expectation === undefined) return layer;
  return `${layer} ${expectation.passed ? 'verdict-as-expected' : 'verdict-not-as-expected'}`;
}

/** The mark beside the headline: a tick for what went as expected (or answered, with no expectation), a cross else. */
function verdictMark(run: TimelineRun): string {
  const expectation = run.verdict.expectation;
  if (expectation !== undefined) return expectation.passed ? 'check' : 'cross';
  return run.verdict.stoppedAt === null ? 'check' : 'cross';
}

/** "12:15:42 UTC" out of an ISO time: when a kind of evidence should be there. */
function clockTime(iso: string): string {
  const match = /T(\d\d:\d\d:\d\d)/.exec(iso);
  return match === null ? iso : `${match[1]} UTC`;
}

function confidenceChip(run: TimelineRun, compact: boolean): HTMLElement {
  const confirmed = run.verdict.confidence === 'confirmed';
  return h('span', { class: `confidence ${confirmed ? 'is-confirmed' : 'is-probe'}` }, icon(confirmed ? 'shield' : 'local', 'inline-icon'), compact ? (confirmed ? 'confirmed' : 'probe only') : run.verdict.confidenceText);
}

function expectationChip(run: TimelineRun): HTMLElement | null {
  const expectation = run.verdict.expectation;
  if (expectation === undefined) return null;
  if (expectation.passed) return h('span', { class: 'expectation is-passed' }, icon('check', 'inline-icon'), `Expected ${expectation.expected}: passed`);
  // What was got, not the verdict's sentence again: the summary right below already says it.
  // After a TLS 1.2 retry the judged attempt may be the retry: say what that one got.
  const got = expectation.got ?? `${run.verdict.stoppedAt ?? 'target'} (${run.verdict.reason})`;
  return h('span', { class: 'expectation is-failed', title: expectation.message }, icon('cross', 'inline-icon'), `Expected ${expectation.expected}: FAILED`, h('span', { class: 'expectation-message' }, ` — got ${got}`));
}

/** "as expected" / "not as expected" beside the run's name: how to read the frame's colour, in words. */
function expectationTag(run: TimelineRun): HTMLElement | null {
  const expectation = run.verdict.expectation;
  if (expectation === undefined) return null;
  return h('span', { class: `expectation-tag ${expectation.passed ? 'is-passed' : 'is-failed'}` }, icon(expectation.passed ? 'check' : 'cross', 'inline-icon'), expectation.passed ? 'as expected' : 'not as expected');
}

function collectingIndicator(run: TimelineRun): HTMLElement | null {
  return run.collectingEvidence ? h('span', { class: 'collecting' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Collecting evidence…') : null;
}

function reasonCode(run: TimelineRun): HTMLElement {
  return h('code', { class: 'reason' }, `${run.verdict.stoppedAt ?? 'passed'} · ${run.verdict.reason}`);
}

/**
 * The retry's own verdict, one line under the run's: "TLS 1.2 retry: passed · target_responded — The request
 * passed every layer…". The run's verdict above is the first attempt's, worded with what the retry showed.
 */
function retryLine(run: TimelineRun): HTMLElement | null {
  const retry = run.verdict.retry;
  if (retry === undefined) return null;
  const tone = retry.stoppedAt === null ? 'retry-passed' : 'retry-stopped';
  return h('p', { class: `retry-line ${tone}` }, icon(retry.stoppedAt === null ? 'check' : 'cross', 'inline-icon retry-icon'), h('strong', {}, `${retry.label}: `), h('code', { class: 'reason' }, `${retry.stoppedAt ?? 'passed'} · ${retry.reason}`), ` — ${retry.summary}`);
}

function evidenceBlock(run: TimelineRun): HTMLElement | null {
  const { evidence } = run;
  if (evidence.context.length === 0 && evidence.coverage.length === 0 && evidence.problems.length === 0) return null;
  const context = evidence.context.map((c) => h('li', { class: 'chip context', title: c.resource }, h('strong', {}, `${c.title}: `), c.summary));
  const coverage = evidence.coverage.map((c) => {
    const words = coverageWords[c.state];
    const expected = c.expectedBy === undefined ? null : h('span', { class: 'coverage-expected' }, ` · expected by ${clockTime(c.expectedBy)}`);
    return h('li', { class: `chip coverage state-${c.state}` }, icon(words.icon, 'inline-icon'), h('strong', {}, c.evidence), h('span', { class: 'coverage-state' }, ` ${words.text}`), expected, c.detail === '' ? null : h('span', { class: 'coverage-detail' }, ` — ${c.detail}`));
  });
  const heading = evidence.sourceLabel === undefined ? 'Evidence' : `Evidence from ${evidence.sourceLabel}`;
  return h(
    'div',
    { class: 'banner-evidence' },
    h('h3', { class: 'banner-subhead' }, heading),
    context.length === 0 ? null : h('ul', { class: 'chips', 'aria-label': 'Setup' }, ...context),
    coverage.length === 0 ? null : h('ul', { class: 'chips', 'aria-label': 'What was looked for' }, ...coverage),
    evidence.problems.length === 0 ? null : h('ul', { class: 'problems', 'aria-label': 'Problems' }, ...evidence.problems.map((p) => h('li', {}, icon('warning', 'inline-icon'), p))),
  );
}

/** Facts, evidence and notes: the body of the full banner, and what a compare card opens to. */
function bannerBody(run: TimelineRun): HTMLElement[] {
  const parts: Array<HTMLElement | null> = [
    run.facts.length === 0 ? null : h('dl', { class: 'facts' }, ...run.facts.map((f) => h('div', { class: 'fact' }, h('dt', {}, f.label), h('dd', {}, f.value)))),
    evidenceBlock(run),
    run.notes.length === 0 ? null : h('ul', { class: 'notes', 'aria-label': 'Notes' }, ...run.notes.map((n) => h('li', { class: `note note-${n.kind}` }, h('strong', {}, `${noteWords[n.kind]}: `), n.text))),
  ];
  return parts.filter((p): p is HTMLElement => p !== null);
}

/** The one run's banner, in full. */
export function fullBanner(run: TimelineRun): HTMLElement {
  const v = run.verdict;
  return h(
    'article',
    { class: `banner ${verdictClass(run)}`, 'aria-labelledby': `headline-${run.id}` },
    h(
      'div',
      { class: 'banner-main' },
      h('span', { class: 'verdict-icon', 'aria-hidden': 'true' }, icon(verdictMark(run))),
      h(
        'div',
        { class: 'banner-text' },
        h('p', { class: 'banner-run' }, `${run.title} — ${run.identity}`, expectationTag(run)),
        h('h2', { class: 'headline', id: `headline-${run.id}` }, v.headline),
        h('p', { class: 'banner-line' }, reasonCode(run), confidenceChip(run, false), expectationChip(run), collectingIndicator(run)),
        h('p', { class: 'summary' }, v.summary),
        retryLine(run),
        v.wafReach === undefined ? null : h('p', { class: 'waf-reach' }, icon('shield', 'inline-icon'), v.wafReach),
        v.hint === undefined ? null : h('p', { class: 'hint' }, h('strong', {}, 'Hint: '), v.hint),
      ),
    ),
    h('div', { class: 'banner-aside' }, ...bannerBody(run)),
  );
}

/** Headline, reason and confidence on one line: a compare run's header. */
export function compactBanner(run: TimelineRun): HTMLElement {
  return h(
    'span',
    { class: `compact-banner ${verdictClass(run)}` },
    h('span', { class: 'compact-title' }, run.title),
    h('strong', { class: 'headline' }, run.verdict.headline),
    reasonCode(run),
    confidenceChip(run, true),
    expectationTag(run),
    collectingIndicator(run),
  );
}

/** A compare run's card at the top: the compact verdict, its summary, and the rest on demand. */
export function runCard(run: TimelineRun, index: number): HTMLElement {
  const body = bannerBody(run);
  return h(
    'article',
    { class: `run-card ${verdictClass(run)}`, 'aria-labelledby': `headline-${run.id}` },
    h('p', { class: 'banner-run' }, h('span', { class: 'run-index' }, String(index + 1)), run.title, expectationTag(run)),
    h('h2', { class: 'headline', id: `headline-${run.id}` }, run.verdict.headline),
    h('p', { class: 'banner-line' }, reasonCode(run), confidenceChip(run, true), expectationChip(run), collectingIndicator(run)),
    h('p', { class: 'summary' }, run.verdict.summary),
    retryLine(run),
    run.verdict.wafReach === undefined ? null : h('p', { class: 'waf-reach' }, icon('shield', 'inline-icon'), run.verdict.wafReach),
    body.length === 0 ? null : h('details', { class: 'run-card-more' }, h('summary', {}, 'Facts and evidence'), h('p', { class: 'confidence-text' }, run.verdict.confidenceText), ...body),
  );
}
