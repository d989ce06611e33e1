// Recently used emoji, newest first, kept in localStorage.

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const RECENT_KEY = 'clickclack.emoji.recent';
export const RECENT_MAX = 24;

function browserStorage(): KeyValueStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function readRecent(storage: KeyValueStorage | null = browserStorage()): string[] {
  try {
    const raw = storage?.getItem(RECENT_KEY);
    const list: unknown = raw ? JSON.parse(raw) : [];
    if (!Array.isArray(list)) return [];
    return list.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 32).slice(0, RECENT_MAX);
  } catch {
    return [];
  }
}

/** Put `emoji` first in the recent list and return the new list. */
export function rememberRecent(emoji: string, storage: KeyValueStorage | null = browserStorage()): string[] {
  const next = [emoji, ...readRecent(storage).filter((e) => e !== emoji)].slice(0, RECENT_MAX);
  try {
    storage?.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    /* storage full or blocked: the list just is not kept */
  }
  return next;
}
