// The keys of a widget with one tab stop that moves between its items (the field tree, the sequence diagram's rows).

/**
 * Enter or Space activates the focused item; a key in `moves` finds the item the focus moves to. A key handled here
 * neither scrolls the page nor types a space.
 */
export function handleFocusKeys<T>(event: KeyboardEvent, activate: () => void, moves: Readonly<Record<string, () => T>>, moveTo: (target: T) => void): void {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    activate();
    return;
  }
  const move = moves[event.key];
  if (move === undefined) return;
  event.preventDefault();
  moveTo(move());
}
