import * as vscode from 'vscode';

/**
 * VS Code's EventEmitter with a count of its live listeners. VS Code's emitter keeps its count private; the test
 * hooks (test-hooks.ts) read this one to prove that opening panels and running probes leaves no listener behind.
 */
export class CountedEmitter<T> implements vscode.Disposable {
  readonly #emitter = new vscode.EventEmitter<T>();
  #listeners = 0;
  #disposed = false;

  /** Subscribes like VS Code's `event`; the subscription's dispose (once) counts it out. */
  readonly event: vscode.Event<T> = (listener, thisArgs, disposables) => {
    const subscription = this.#emitter.event(listener, thisArgs);
    if (!this.#disposed) this.#listeners++;
    let live = true;
    const counted: vscode.Disposable = {
      dispose: () => {
        if (!live) return;
        live = false;
        if (!this.#disposed) this.#listeners--;
        subscription.dispose();
      },
    };
    disposables?.push(counted);
    return counted;
  };

  /** Listeners subscribed and not yet disposed. */
  get listenerCount(): number {
    return this.#listeners;
  }

  fire(data: T): void {
    this.#emitter.fire(data);
  }

  dispose(): void {
    this.#disposed = true;
    this.#listeners = 0;
    this.#emitter.dispose();
  }
}
