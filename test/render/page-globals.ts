// Code that playwright runs inside the page is typed against these page globals. The root tsconfig has no DOM
// library on purpose (src/core must not compile against one), so each global is declared as far as the render
// tests and the timeline benchmark use it. Inside page.evaluate write `globalThis as unknown as PageGlobals`:
// the function is sent to the page as source, so it cannot use anything imported here at run time.

export interface PageRect {
  left: number;
  right: number;
  top: number;
  width: number;
  height: number;
}

export interface PageElement {
  readonly classList: { contains(name: string): boolean };
  readonly dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
  closest(selector: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getBoundingClientRect(): PageRect;
  dispatchEvent(event: unknown): boolean;
}

export interface PageGlobals {
  document: {
    readonly body: PageElement;
    readonly activeElement: PageElement | null;
    querySelector(selector: string): PageElement | null;
  };
  CSS: { escape(value: string): string };
  getComputedStyle(element: PageElement): { backgroundColor: string; color: string };
  requestAnimationFrame(callback: (time: number) => void): number;
  WheelEvent: new (type: string, init: Record<string, unknown>) => unknown;
  postMessage(message: unknown, targetOrigin: string): void;
  /** Set by the benchmark's init script: when the frame after the rendered mark was drawn. */
  __painted?: number;
  /** Set by the render tests' stand-in for VS Code's webview API. */
  __posted?: unknown[];
  __saved?: unknown;
}
