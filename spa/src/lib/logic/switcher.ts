// The Ctrl/Cmd+K quick switcher's ranking: prefix matches first, then word-start, then substring,
// then subsequence ("gnrl" finds "general"); unread channels break ties.

export interface SwitchItem {
  id: string;
  label: string;
  unread: number;
}

function score(label: string, q: string): number {
  const l = label.toLowerCase();
  if (!q) return 1;
  if (l === q) return 100;
  if (l.startsWith(q)) return 80;
  if (l.split(/[-_\s.]/).some((w) => w.startsWith(q))) return 60;
  if (l.includes(q)) return 40;
  let i = 0;
  for (const ch of l) if (ch === q[i]) i++;
  return i === q.length ? 20 : 0;
}

export function rankItems<T extends SwitchItem>(items: T[], query: string, limit = 20): T[] {
  const q = query.trim().toLowerCase().replace(/^#/, '');
  return items
    .map((item) => ({ item, s: score(item.label, q) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || (b.item.unread > 0 ? 1 : 0) - (a.item.unread > 0 ? 1 : 0) || a.item.label.localeCompare(b.item.label))
    .slice(0, limit)
    .map((x) => x.item);
}
