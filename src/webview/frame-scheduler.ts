/**
 * Draws on the next animation frame, once however many times it is asked before then: scrolling, zooming and live
 * updates ask far more often than the screen can show.
 */
export class FrameScheduler {
  private request = 0;

  constructor(private readonly draw: () => void) {}

  schedule(): void {
    if (this.request !== 0) return;
    this.request = requestAnimationFrame(() => {
      this.request = 0;
      this.draw();
    });
  }

  /** Drops the frame asked for: the caller draws now, or goes away. */
  cancel(): void {
    if (this.request === 0) return;
    cancelAnimationFrame(this.request);
    this.request = 0;
  }
}
