// A run's attempts, when its probe made more than one (a TLS 1.2 retry after a TLS 1.3 refusal): a row above the
// lanes with a bar per attempt, as a tracing UI draws a parent span over its children, named and with its outcome
// ("TLS 1.2 retry · passed (HTTP 200)"), and a line down the lanes where the retry began. The bars move with the
// axis like phases do. The retry's bar is a button: it opens the mark on the client lane that says why it was made.

import type { TimelineAttempt } from '../core/timeline/model';
import { timeToWorld } from './axis';
import { button, h } from './dom';
import { formatDuration, formatRelativeTime } from './format';
import type { PreparedRun } from './timeline-data';
import type { TrackFrame } from './lane-track';

/** "TLS 1.2 retry · passed (HTTP 200) · 39.5 ms": what the bar says. */
export function attemptText(attempt: TimelineAttempt): string {
  return `${attempt.label} · ${attempt.outcome} · ${formatDuration(attempt.to - attempt.from)}`;
}

/** What a screen reader and the tooltip say: the bar's text, when, and why the attempt was made. */
export function attemptDescription(attempt: TimelineAttempt): string {
  const why = attempt.why === undefined ? '' : ` Why: ${attempt.why}.`;
  return `${attemptText(attempt)}, from ${formatRelativeTime(attempt.from)} to ${formatRelativeTime(attempt.to)} (X-Amzn-Trace-Id: ${attempt.correlationId}).${why}`;
}

export class AttemptStrip {
  /** The row above the lanes (label column and bars). */
  readonly element: HTMLElement;
  /** Lines down the lanes where each attempt after the first began: appended to the run's lanes by the caller. */
  readonly dividers: HTMLElement[];
  private readonly bars: HTMLElement[];

  constructor(
    private readonly run: PreparedRun,
    private readonly attempts: readonly TimelineAttempt[],
    onOpenMark: (markId: string) => void,
  ) {
    const track = h('div', { class: 'attempt-track' });
    this.bars = attempts.map((attempt) => {
      const description = attemptDescription(attempt);
      const classes = `attempt-bar attempt-${attempt.index} tone-${attempt.tone}`;
      const label = h('span', { class: 'attempt-label' }, attemptText(attempt));
      const markId = attempt.markId;
      const bar =
        markId === undefined
          ? h('div', { class: classes, role: 'img', 'aria-label': description, title: description }, label)
          : button(`${description} Opens the details of why it was made.`, () => onOpenMark(markId), { class: `${classes} is-button`, title: description }, label);
      track.append(bar);
      return bar;
    });
    this.dividers = attempts.filter((a) => a.index > 0).map(() => h('div', { class: 'attempt-divider', 'aria-hidden': 'true' }));
    const label = h('div', { class: 'attempt-row-label', title: 'The probe made the request more than once: each attempt, in time order' }, 'Attempts');
    this.element = h('div', { class: 'attempt-row', role: 'group', 'aria-label': `Attempts: ${attempts.map((a) => a.label).join(', then ')}` }, label, track);
  }

  render(frame: TrackFrame): void {
    const pxPerWorld = frame.widthPx / (frame.viewport.to - frame.viewport.from);
    const toPx = (t: number): number => (timeToWorld(frame.axis, t + this.run.offset) - frame.viewport.from) * pxPerWorld;
    this.attempts.forEach((attempt, i) => {
      const bar = this.bars[i]!;
      const x0 = Math.max(toPx(attempt.from), -4);
      const x1 = Math.min(toPx(attempt.to), frame.widthPx + 4);
      bar.hidden = !(x1 > 0 && x0 < frame.widthPx);
      if (bar.hidden) return;
      const width = Math.max(x1 - x0, 2);
      bar.style.transform = `translateX(${x0}px)`;
      bar.style.width = `${width}px`;
      bar.classList.toggle('label-hidden', width < 48);
    });
    let divider = 0;
    for (const attempt of this.attempts) {
      if (attempt.index === 0) continue;
      const element = this.dividers[divider++]!;
      const x = toPx(attempt.from);
      element.hidden = x < 0 || x > frame.widthPx;
      element.style.transform = `translateX(${x}px)`;
    }
  }
}
