// The keyboard shortcuts the `?` overlay lists, and the test for whether a key
// press belongs to a text field rather than to the app.

export interface Shortcut {
  keys: string[];
  label: string;
}

export const shortcutGroups: { title: string; items: Shortcut[] }[] = [
  {
    title: 'Everywhere',
    items: [
      { keys: ['?'], label: 'Show these shortcuts' },
      { keys: ['/'], label: 'Search mail and leads' },
      { keys: ['f'], label: 'Filter on this page' },
      { keys: ['Esc'], label: 'Close a dialog, clear the selection' },
    ],
  },
  {
    title: 'Board and lists',
    items: [
      { keys: ['j', '↓'], label: 'Next lead' },
      { keys: ['k', '↑'], label: 'Previous lead' },
      { keys: ['h', 'l'], label: 'Previous / next column (board)' },
      { keys: ['Enter'], label: 'Open the lead' },
      { keys: ['x', 'Space'], label: 'Select the lead' },
      { keys: ['Shift', '←/→'], label: 'Move the lead one stage left / right' },
      { keys: ['1', '…', '9'], label: 'Move the lead (or the selection) to stage N' },
      { keys: ['e'], label: 'Archive the lead' },
    ],
  },
  {
    title: 'Lead',
    items: [
      { keys: ['e'], label: 'Archive' },
      { keys: ['n'], label: 'Add a note' },
    ],
  },
];

/** True when a key press is typing into a field and must not trigger shortcuts. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  return el.closest('input, textarea, select, [contenteditable="true"]') !== null;
}

/** Digit keys 1-9 as a stage number, else null. */
export function stageNumber(key: string): number | null {
  return /^[1-9]$/.test(key) ? Number(key) : null;
}
