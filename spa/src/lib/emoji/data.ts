// Emoji data: emojibase-data's English compact set, bundled (no CDN) and loaded lazily, so it
// lands in its own chunk that is fetched the first time a picker opens.

export interface EmojiEntry {
  /** The emoji as inserted (emoji presentation; a redundant U+FE0F is dropped). */
  emoji: string;
  label: string;
  /** Lower-case search words: the CLDR keywords and the shortcodes. */
  tags: string[];
  group: number;
  order: number;
}

export interface EmojiGroup {
  id: number;
  label: string;
  icon: string;
}

/** emojibase's groups (2, "components", holds skin-tone swatches and is left out). */
export const EMOJI_GROUPS: readonly EmojiGroup[] = [
  { id: 0, label: 'Smileys & emotion', icon: '😀' },
  { id: 1, label: 'People & body', icon: '👋' },
  { id: 3, label: 'Animals & nature', icon: '🐻' },
  { id: 4, label: 'Food & drink', icon: '🍔' },
  { id: 5, label: 'Travel & places', icon: '🚗' },
  { id: 6, label: 'Activities', icon: '⚽' },
  { id: 7, label: 'Objects', icon: '💡' },
  { id: 8, label: 'Symbols', icon: '🔣' },
  { id: 9, label: 'Flags', icon: '🏁' },
];

interface RawEmoji {
  unicode?: unknown;
  label?: unknown;
  tags?: unknown;
  shortcodes?: unknown;
  group?: unknown;
  order?: unknown;
}

const GROUP_IDS = new Set(EMOJI_GROUPS.map((g) => g.id));

/** Drop a U+FE0F that follows a character already shown as emoji ("👍️" → "👍"), so the same
 *  reaction is not stored under two spellings. */
export function normalizeEmoji(s: string): string {
  return s.replace(/(\p{Emoji_Presentation})\uFE0F/gu, '$1');
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The usable entries of a raw emojibase list, in display order. */
export function toEntries(raw: readonly RawEmoji[]): EmojiEntry[] {
  const out: EmojiEntry[] = [];
  for (const r of raw) {
    if (typeof r.unicode !== 'string' || typeof r.label !== 'string') continue;
    if (typeof r.group !== 'number' || !GROUP_IDS.has(r.group)) continue;
    const tags = [...strings(r.tags), ...strings(r.shortcodes)].map((t) => t.toLowerCase());
    out.push({
      emoji: normalizeEmoji(r.unicode),
      label: r.label,
      tags,
      group: r.group,
      order: typeof r.order === 'number' ? r.order : Number.MAX_SAFE_INTEGER,
    });
  }
  return out.sort((a, b) => a.order - b.order);
}

let loading: Promise<EmojiEntry[]> | null = null;

/** All emoji, loaded once (a separate chunk). */
export function loadEmoji(): Promise<EmojiEntry[]> {
  loading ??= import('emojibase-data/en/compact.json')
    .then((m) => toEntries((m.default ?? m) as unknown as RawEmoji[]))
    .catch((err: unknown) => {
      loading = null; // let a later open retry
      throw err;
    });
  return loading;
}
