import { describe, expect, it } from 'vitest';
import {
  addLive, applyPage, emptyTimeline, firstUnreadIndex, isContinuation, mergeMessages, needsCatchUp,
  newestSeq, oldestSeq, trim,
} from './timeline';
import { msg, page } from './fixtures.test-util';

const seqs = (t: { messages: { channel_seq?: number | null }[] }) => t.messages.map((m) => m.channel_seq);

describe('timeline pages', () => {
  it('latest replaces the window', () => {
    const t = applyPage(emptyTimeline(), page([8, 9, 10], true, false), 'latest');
    expect(seqs(t)).toEqual([8, 9, 10]);
    expect(t).toMatchObject({ hasOlder: true, hasNewer: false, loaded: true });
    expect([oldestSeq(t), newestSeq(t)]).toEqual([8, 10]);
  });

  it('before prepends, keeps hasNewer, de-duplicates and sorts', () => {
    let t = applyPage(emptyTimeline(), page([8, 9, 10], true, false), 'latest');
    t = applyPage(t, page([5, 6, 7, 8], false, true), 'before');
    expect(seqs(t)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(t).toMatchObject({ hasOlder: false, hasNewer: false });
  });

  it('after appends and takes has_newer from the page', () => {
    let t = applyPage(emptyTimeline(), page([1, 2], false, true), 'around');
    t = applyPage(t, page([3, 4], true, true), 'after');
    expect(seqs(t)).toEqual([1, 2, 3, 4]);
    expect(t).toMatchObject({ hasOlder: false, hasNewer: true });
    t = applyPage(t, page([5], true, false), 'after');
    expect(t.hasNewer).toBe(false);
  });

  it('the window is bounded: paging back drops the newest and marks hasNewer', () => {
    let t = applyPage(emptyTimeline(), page([11, 12, 13, 14], true, false), 'latest');
    t = applyPage(t, page([7, 8, 9, 10], true, true), 'before', 6);
    expect(seqs(t)).toEqual([7, 8, 9, 10, 11, 12]);
    expect(t).toMatchObject({ hasOlder: true, hasNewer: true });
    t = applyPage(t, page([13, 14], true, false), 'after', 6);
    expect(seqs(t)).toEqual([9, 10, 11, 12, 13, 14]);
    expect(t).toMatchObject({ hasOlder: true, hasNewer: false });
  });

  it('trim leaves small windows alone', () => {
    const t = applyPage(emptyTimeline(), page([1, 2], false, false), 'latest');
    expect(trim(t, 'oldest', 5)).toBe(t);
  });

  it('a later copy of a message wins (edits, deletes)', () => {
    const merged = mergeMessages([msg(1), msg(2)], [msg(2, { body: 'edited' })]);
    expect(merged.map((m) => m.body)).toEqual(['message 1', 'edited']);
  });
});

describe('live messages', () => {
  it('addLive appends to a live window, ignores a window scrolled into the past', () => {
    const live = applyPage(emptyTimeline(), page([1, 2], false, false), 'latest');
    expect(seqs(addLive(live, msg(3)))).toEqual([1, 2, 3]);
    const past = { ...live, hasNewer: true };
    expect(addLive(past, msg(3))).toBe(past);
    expect(addLive(emptyTimeline(), msg(3)).messages).toEqual([]);
  });

  it('addLive replaces a message it already has', () => {
    const live = applyPage(emptyTimeline(), page([1, 2], false, false), 'latest');
    expect(addLive(live, msg(2, { body: 'x' })).messages[1]!.body).toBe('x');
  });

  it('needsCatchUp only for a live window missing that seq', () => {
    const live = applyPage(emptyTimeline(), page([1, 2], false, false), 'latest');
    expect(needsCatchUp(live, 3)).toBe(true);
    expect(needsCatchUp(live, 2)).toBe(false); // a replayed event
    expect(needsCatchUp({ ...live, hasNewer: true }, 9)).toBe(false);
    expect(needsCatchUp(emptyTimeline(), 1)).toBe(false);
    expect(needsCatchUp(applyPage(emptyTimeline(), page([], false, false), 'latest'), 1)).toBe(true);
  });
});

describe('unread divider and grouping', () => {
  it('the first unread message is the first by someone else after the read pointer', () => {
    const me = 'usr_me';
    const list = [msg(1), msg(2), msg(3, { author_id: me }), msg(4), msg(5, { deleted_at: '2026-01-01T00:00:00Z' })];
    expect(firstUnreadIndex(list, 2, me)).toBe(3);
    expect(firstUnreadIndex(list, 0, me)).toBe(0);
    expect(firstUnreadIndex(list, 5, me)).toBe(-1);
  });

  it('groups consecutive messages by the same author within five minutes', () => {
    const a = msg(1, { created_at: '2026-01-01T10:00:00Z' });
    expect(isContinuation(undefined, a)).toBe(false);
    expect(isContinuation(a, msg(2, { created_at: '2026-01-01T10:04:00Z' }))).toBe(true);
    expect(isContinuation(a, msg(2, { created_at: '2026-01-01T10:06:00Z' }))).toBe(false);
    expect(isContinuation(a, msg(2, { created_at: '2026-01-01T10:01:00Z', author_id: 'usr_x' }))).toBe(false);
  });
});
