// The keyboard layer: one global keydown handler maps keys to actions, respecting focus (a
// shortcut that is a printable key never fires while you type in a field).

export type ShortcutAction = 'switcher' | 'search' | 'help' | 'escape' | 'focus-composer';

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  isComposing?: boolean;
}

export const SHORTCUTS: { keys: string; action: string }[] = [
  { keys: 'Ctrl/⌘ K', action: 'Jump to a channel' },
  { keys: 'Ctrl/⌘ Shift F', action: 'Search messages' },
  { keys: 'Esc', action: 'Close a dialog or the menu; otherwise mark the channel read' },
  { keys: 'Enter', action: 'Send the message' },
  { keys: 'Shift Enter', action: 'New line in the message' },
  { keys: '/', action: 'Focus the message box' },
  { keys: '?', action: 'Show these shortcuts' },
];

export function matchShortcut(e: KeyLike, typingInField: boolean): ShortcutAction | null {
  if (e.isComposing) return null;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.altKey && (e.key === 'k' || e.key === 'K')) return 'switcher';
  if (mod && e.shiftKey && !e.altKey && (e.key === 'f' || e.key === 'F')) return 'search';
  if (e.key === 'Escape') return 'escape';
  if (typingInField || mod || e.altKey) return null;
  if (e.key === '?') return 'help';
  if (e.key === '/') return 'focus-composer';
  return null;
}

export function isTypingTarget(target: unknown): boolean {
  if (!target || typeof target !== 'object') return false;
  const el = target as { tagName?: string; isContentEditable?: boolean; type?: string };
  const tag = (el.tagName ?? '').toUpperCase();
  if (el.isContentEditable) return true;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(el.type ?? 'text');
  return false;
}

/** Up arrow (no modifier) in an empty message box: edit your last message there. */
export function isEditLastKey(e: KeyLike, text: string): boolean {
  return e.key === 'ArrowUp' && !text && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing;
}
