import { describe, expect, it } from 'vitest';
import { highlightSegments } from './highlight';

const join = (segs: { text: string; mark: boolean }[]) => segs.map((s) => (s.mark ? `[${s.text}]` : s.text)).join('');

describe('highlightSegments', () => {
  it('splits plain text at the ranges', () => {
    expect(highlightSegments('deploy the thing', [{ start: 0, end: 6 }])).toEqual([
      { text: 'deploy', mark: true },
      { text: ' the thing', mark: false },
    ]);
    expect(join(highlightSegments('a deploy b deploy', [{ start: 2, end: 8 }, { start: 11, end: 17 }]))).toBe(
      'a [deploy] b [deploy]',
    );
  });

  it('counts code points, not UTF-16 units (astral characters before and inside a match)', () => {
    // "😀 " is 2 code points but 3 UTF-16 units; the server's range for "deploy" is [2, 8).
    expect(join(highlightSegments('😀 deploy now', [{ start: 2, end: 8 }]))).toBe('😀 [deploy] now');
    // A match that is itself astral: "𝒳" (U+1D4B3) at code point 4.
    expect(join(highlightSegments('abc 𝒳 def', [{ start: 4, end: 5 }]))).toBe('abc [𝒳] def');
    // Several astral characters: ranges stay aligned to the server's counting.
    expect(join(highlightSegments('🎉🎉🎉 party 🎉', [{ start: 4, end: 9 }, { start: 10, end: 11 }]))).toBe(
      '🎉🎉🎉 [party] [🎉]',
    );
  });

  it('uses an ellipsis-led snippet as is', () => {
    expect(join(highlightSegments('…the hostname was', [{ start: 5, end: 13 }]))).toBe('…the [hostname] was');
  });

  it('merges overlapping and touching ranges, sorts them, and clamps them to the text', () => {
    expect(join(highlightSegments('abcdefgh', [{ start: 4, end: 6 }, { start: 1, end: 3 }, { start: 2, end: 4 }]))).toBe(
      'a[bcdef]gh',
    );
    expect(join(highlightSegments('abc', [{ start: -5, end: 1 }, { start: 2, end: 99 }]))).toBe('[a]b[c]');
  });

  it('ignores empty, inverted and non-finite ranges', () => {
    expect(highlightSegments('abc', [{ start: 2, end: 2 }, { start: 3, end: 1 }, { start: NaN, end: 2 }])).toEqual([
      { text: 'abc', mark: false },
    ]);
    expect(highlightSegments('', [{ start: 0, end: 3 }])).toEqual([]);
  });

  it('keeps hostile text as text (segments are strings, nothing is parsed)', () => {
    const text = '<img src=x onerror=alert(1)> hello';
    const segs = highlightSegments(text, [{ start: 29, end: 34 }]);
    expect(segs.map((s) => s.text).join('')).toBe(text);
    expect(segs[1]).toEqual({ text: 'hello', mark: true });
  });
});
