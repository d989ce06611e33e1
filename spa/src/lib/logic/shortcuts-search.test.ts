import { describe, expect, it } from 'vitest';
import { SHORTCUTS, isEditLastKey, matchShortcut } from './shortcuts';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods,
});

describe('the search shortcut', () => {
  it('is Ctrl/⌘+Shift+F, also while typing in a field', () => {
    expect(matchShortcut(key('F', { ctrlKey: true, shiftKey: true }), false)).toBe('search');
    expect(matchShortcut(key('f', { metaKey: true, shiftKey: true }), true)).toBe('search');
  });

  it('leaves Ctrl+F (the browser find) and a plain F alone', () => {
    expect(matchShortcut(key('f', { ctrlKey: true }), false)).toBeNull();
    expect(matchShortcut(key('F', { shiftKey: true }), false)).toBeNull();
    expect(matchShortcut(key('F', { ctrlKey: true, shiftKey: true, altKey: true }), false)).toBeNull();
  });

  it('is listed in the shortcuts help', () => {
    expect(SHORTCUTS.some((s) => s.keys.includes('Shift F') && /search/i.test(s.action))).toBe(true);
  });
});

describe('Up arrow to edit the last message', () => {
  it('fires only in an empty box and without a modifier', () => {
    expect(isEditLastKey(key('ArrowUp'), '')).toBe(true);
    expect(isEditLastKey(key('ArrowUp'), 'draft')).toBe(false);
    expect(isEditLastKey(key('ArrowUp', { shiftKey: true }), '')).toBe(false);
    expect(isEditLastKey(key('ArrowUp', { metaKey: true }), '')).toBe(false);
    expect(isEditLastKey({ ...key('ArrowUp'), isComposing: true }, '')).toBe(false);
    expect(isEditLastKey(key('ArrowDown'), '')).toBe(false);
  });
});
