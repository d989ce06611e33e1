// Filtering the emoji list by what was typed in the picker's search box.
import type { EmojiEntry } from './data';

/** Entries whose name or keywords match every word of `query` (case-insensitive; a word
 *  matches the start of a name word or keyword, or a whole keyword).  Best matches first:
 *  names starting with the query, then name-word matches, then keyword-only matches; ties keep
 *  display order. */
export function filterEmoji(entries: readonly EmojiEntry[], query: string, limit = 200): EmojiEntry[] {
  const words = query.toLowerCase().replace(/^:+|:+$/g, '').split(/[\s:_]+/).filter(Boolean);
  if (words.length === 0) return entries.slice(0, limit);
  const q = words.join(' ');
  const scored: { e: EmojiEntry; score: number; i: number }[] = [];
  entries.forEach((e, i) => {
    const label = e.label.toLowerCase();
    const labelWords = label.split(/[\s:,\-–]+/).filter(Boolean);
    let score = 0;
    for (const w of words) {
      const inLabel = labelWords.some((lw) => lw.startsWith(w));
      const inTags = e.tags.some((t) => t.startsWith(w) || t.split(/[_\s-]+/).some((p) => p.startsWith(w)));
      if (!inLabel && !inTags) return;
      score += inLabel ? 2 : 1;
    }
    if (label.startsWith(q)) score += 10;
    if (label === q) score += 10;
    scored.push({ e, score, i });
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.slice(0, limit).map((s) => s.e);
}
