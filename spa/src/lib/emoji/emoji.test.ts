import { describe, expect, it } from 'vitest';
import { type EmojiEntry, normalizeEmoji, toEntries } from './data';
import { RECENT_KEY, RECENT_MAX, readRecent, rememberRecent } from './recent';
import { filterEmoji } from './search';

const RAW = [
  { unicode: '😀', label: 'grinning face', tags: ['face', 'grin'], shortcodes: ['grinning'], group: 0, order: 1 },
  { unicode: '👍️', label: 'thumbs up', tags: ['+1', 'good', 'like', 'thumb', 'up', 'yes'], group: 1, order: 353 },
  { unicode: '👎️', label: 'thumbs down', tags: ['-1', 'bad', 'thumb', 'thumbs'], group: 1, order: 359 },
  { unicode: '🎉', label: 'party popper', tags: ['celebration', 'party', 'tada'], shortcodes: ['tada'], group: 6, order: 900 },
  { unicode: '❤️', label: 'red heart', tags: ['heart', 'love'], group: 0, order: 150 },
  { unicode: '🏻', label: 'light skin tone', tags: [], group: 2, order: 500 }, // a component: left out
  { unicode: '🫠', label: 'melting face' }, // no group: left out
  { unicode: 5, label: 'broken' },
];

function entries(): EmojiEntry[] {
  return toEntries(RAW);
}

describe('emoji data', () => {
  it('keeps grouped emoji in display order, with tags and shortcodes as search words', () => {
    const e = entries();
    expect(e.map((x) => x.label)).toEqual(['grinning face', 'red heart', 'thumbs up', 'thumbs down', 'party popper']);
    expect(e[0]!.tags).toContain('grinning');
  });

  it('drops a redundant variation selector but keeps a needed one', () => {
    expect(normalizeEmoji('👍️')).toBe('👍');
    expect(normalizeEmoji('❤️')).toBe('❤️'); // U+2764 is text by default: FE0F stays
    expect(entries().find((x) => x.label === 'thumbs up')!.emoji).toBe('👍');
  });
});

describe('filterEmoji', () => {
  it('finds by name word prefix: "thumbs" gives thumbs up and thumbs down, in order', () => {
    expect(filterEmoji(entries(), 'thumbs').map((x) => x.label)).toEqual(['thumbs up', 'thumbs down']);
    expect(filterEmoji(entries(), 'THUMBS UP').map((x) => x.label)).toEqual(['thumbs up']);
  });

  it('finds by keyword and shortcode (with or without colons)', () => {
    expect(filterEmoji(entries(), 'love').map((x) => x.emoji)).toEqual(['❤️']);
    expect(filterEmoji(entries(), ':tada:').map((x) => x.emoji)).toEqual(['🎉']);
    expect(filterEmoji(entries(), '+1').map((x) => x.emoji)).toEqual(['👍']);
  });

  it('ranks name matches above keyword-only matches', () => {
    // "party" is the name of 🎉; "face" names 😀 — and "grin" is only a keyword of 😀.
    const r = filterEmoji(entries(), 'face');
    expect(r[0]!.label).toBe('grinning face');
    expect(filterEmoji(entries(), 'up')[0]!.label).toBe('thumbs up');
  });

  it('needs every word to match, and an empty query lists everything', () => {
    expect(filterEmoji(entries(), 'thumbs party')).toEqual([]);
    expect(filterEmoji(entries(), 'zzz')).toEqual([]);
    expect(filterEmoji(entries(), '   ')).toHaveLength(5);
    expect(filterEmoji(entries(), '', 2)).toHaveLength(2);
  });
});

describe('recent emoji', () => {
  function mem() {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
  }

  it('puts the newest first without duplicates and caps the list', () => {
    const s = mem();
    rememberRecent('👍', s);
    rememberRecent('🎉', s);
    expect(rememberRecent('👍', s)).toEqual(['👍', '🎉']);
    for (let i = 0; i < RECENT_MAX + 5; i++) rememberRecent(String.fromCodePoint(0x1f600 + i), s);
    expect(readRecent(s)).toHaveLength(RECENT_MAX);
  });

  it('survives garbage in storage and a storage that throws', () => {
    const s = mem();
    s.m.set(RECENT_KEY, '{not json');
    expect(readRecent(s)).toEqual([]);
    s.m.set(RECENT_KEY, JSON.stringify(['😀', 3, null]));
    expect(readRecent(s)).toEqual(['😀']);
    const broken = { getItem: () => { throw new Error('blocked'); }, setItem: () => { throw new Error('full'); } };
    expect(readRecent(broken)).toEqual([]);
    expect(rememberRecent('👍', broken)).toEqual(['👍']);
  });
});
