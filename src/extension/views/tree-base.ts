import type * as vscode from 'vscode';
import { CountedEmitter } from '../counted-emitter';

/**
 * What every view of the extension shares: one change event, fired whole when any of the sources it follows
 * changes (the config, the run history…), and the disposal of both. A view says what it shows; this says when.
 */
export abstract class RefreshingTree<T> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  readonly #changed = new CountedEmitter<T | undefined>();
  readonly onDidChangeTreeData = this.#changed.event;
  readonly #subscriptions: vscode.Disposable[];

  constructor(sources: ReadonlyArray<vscode.Event<unknown>>) {
    this.#subscriptions = sources.map((source) => source(() => this.refresh()));
  }

  /** Redraws the whole view. */
  refresh(): void {
    this.#changed.fire(undefined);
  }

  /** Live listeners of onDidChangeTreeData (the tree view VS Code made for this provider), for the test hooks. */
  get changeListeners(): number {
    return this.#changed.listenerCount;
  }

  abstract getChildren(element?: T): vscode.ProviderResult<T[]>;
  abstract getTreeItem(element: T): vscode.TreeItem | Thenable<vscode.TreeItem>;

  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
    this.#changed.dispose();
  }
}
