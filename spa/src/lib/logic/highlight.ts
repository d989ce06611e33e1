// Search snippets come with highlight ranges: [start, end) in Unicode code points of the
// snippet (contract §15, D8), not UTF-16 units.  This turns them into plain-text segments that
// a component renders as text and <mark> elements (never as HTML).

export interface HighlightRange {
  start: number;
  end: number;
}

export interface Segment {
  text: string;
  mark: boolean;
}

/** Split `text` into marked and unmarked runs.  Ranges are clamped to the text, sorted, and
 *  merged where they overlap or touch; empty or invalid ranges are ignored. */
export function highlightSegments(text: string, ranges: readonly HighlightRange[]): Segment[] {
  const points = Array.from(text); // one element per code point
  const n = points.length;
  const clean = ranges
    .filter((r) => Number.isFinite(r.start) && Number.isFinite(r.end))
    .map((r) => ({ start: Math.max(0, Math.trunc(r.start)), end: Math.min(n, Math.trunc(r.end)) }))
    .filter((r) => r.end > r.start)
    .sort((a, b) => a.start - b.start);
  const merged: HighlightRange[] = [];
  for (const r of clean) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  const out: Segment[] = [];
  let at = 0;
  for (const r of merged) {
    if (r.start > at) out.push({ text: points.slice(at, r.start).join(''), mark: false });
    out.push({ text: points.slice(r.start, r.end).join(''), mark: true });
    at = r.end;
  }
  if (at < n) out.push({ text: points.slice(at).join(''), mark: false });
  return out;
}
