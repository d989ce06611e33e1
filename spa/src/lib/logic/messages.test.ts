import { describe, expect, it } from 'vitest';
import { msg } from './fixtures.test-util';
import { applyReaction, byteSize, fitImage, isShown, lastOwnMessage, replaceMessage, withReactions, withThreadState } from './messages';
import { dmTitle } from './conversation';
import { PresenceTracker, TTL_MS } from './presence';

describe('reactions', () => {
  it('takes the absolute count from events, so replays change nothing', () => {
    let r = applyReaction(undefined, '👍', 1, true, false);
    expect(r).toEqual([{ emoji: '👍', count: 1, reacted_by_me: false }]);
    r = applyReaction(r, '👍', 2, true, true);
    expect(r).toEqual([{ emoji: '👍', count: 2, reacted_by_me: true }]);
    expect(applyReaction(r, '👍', 2, true, true)).toEqual(r); // replayed
    r = applyReaction(r, '🎉', 1, true, false);
    expect(r.map((x) => x.emoji)).toEqual(['👍', '🎉']);
    r = applyReaction(r, '👍', 1, false, false); // someone else took theirs back: mine stays
    expect(r[0]).toEqual({ emoji: '👍', count: 1, reacted_by_me: true });
    r = applyReaction(r, '👍', 0, false, true);
    expect(r).toEqual([{ emoji: '🎉', count: 1, reacted_by_me: false }]);
  });

  it('sets reactions on the right message only', () => {
    const list = [msg(1), msg(2)];
    const next = withReactions(list, msg(2).id, () => [{ emoji: 'x', count: 1, reacted_by_me: true }]);
    expect(next[0]).toBe(list[0]);
    expect(next[1]!.reactions).toHaveLength(1);
    expect(withReactions(list, 'msg_none', () => [])).toBe(list);
  });
});

describe('edits, deletes and threads', () => {
  it('replaces an edited message but keeps its thread summary', () => {
    const state = { root_message_id: msg(1).id, reply_count: 3, last_reply_author_ids: [] };
    const list = [{ ...msg(1), thread_state: state }, msg(2)];
    const edited = { ...msg(1), body: 'new', edited_at: '2026-01-02T00:00:00Z' };
    const next = replaceMessage(list, edited);
    expect(next[0]!.body).toBe('new');
    expect(next[0]!.thread_state).toEqual(state);
    expect(replaceMessage(list, msg(9))).toBe(list);
  });

  it('hides deleted messages unless they still have replies', () => {
    const deleted = { ...msg(1), body: '', deleted_at: '2026-01-02T00:00:00Z' };
    expect(isShown(msg(1))).toBe(true);
    expect(isShown(deleted)).toBe(false);
    expect(isShown({ ...deleted, thread_state: { root_message_id: deleted.id, reply_count: 1, last_reply_author_ids: [] } })).toBe(true);
  });

  it('finds my last editable message for the Up arrow', () => {
    const mine = (seq: number, over = {}) => msg(seq, { author_id: 'usr_me', ...over });
    const list = [mine(1), mine(2), mine(3, { deleted_at: 'x' }), msg(4), mine(5, { kind: 'agent_tool' })];
    expect(lastOwnMessage(list, 'usr_me')?.channel_seq).toBe(2);
    expect(lastOwnMessage(list, null)).toBeNull();
    expect(lastOwnMessage([msg(1)], 'usr_me')).toBeNull();
  });

  it('updates reply counts on the root', () => {
    const list = [msg(1), msg(2)];
    const next = withThreadState(list, { root_message_id: msg(2).id, reply_count: 4, last_reply_author_ids: [] });
    expect(next[1]!.thread_state?.reply_count).toBe(4);
    expect(next[0]).toBe(list[0]);
  });
});

describe('small helpers', () => {
  it('names DMs after the other people', () => {
    const u = (id: string, name: string) => ({ id, display_name: name, handle: '', kind: 'human', avatar_url: '', created_at: '' }) as const;
    expect(dmTitle({ members: [u('me', 'Me'), u('a', 'Ada')] }, 'me')).toBe('Ada');
    expect(dmTitle({ members: [u('me', 'Me'), u('a', 'Ada'), u('b', 'Bo'), u('c', 'Cy')] }, 'me')).toBe('Ada, Bo and Cy');
    expect(dmTitle({ members: [u('me', 'Me')] }, 'me')).toBe('Me');
  });

  it('formats sizes', () => {
    expect(byteSize(500)).toBe('500 B');
    expect(byteSize(1400)).toBe('1.4 KB');
    expect(byteSize(5 * 1024 * 1024)).toBe('5.0 MB');
  });

  it('tracks presence with expiry', () => {
    const p = new PresenceTracker();
    expect(p.seen('a', 'online', 0)).toBe(true); // a newcomer
    expect(p.seen('a', 'online', 10)).toBe(false);
    expect(p.status('a', 10)).toBe('online');
    expect(p.status('a', 10 + TTL_MS + 1)).toBe('offline');
    p.seen('a', 'offline', 20);
    expect(p.status('a', 21)).toBe('offline');
    expect(p.nextExpiry(21)).toBeNull();
  });
});

describe('permissions', () => {
  it('shows edit to the author only, delete to the author and channel admins', async () => {
    const { canDelete, canEdit } = await import('./permissions');
    const mine = msg(1, { author_id: 'usr_me' });
    const theirs = msg(2);
    expect(canEdit(mine, 'usr_me')).toBe(true);
    expect(canEdit(theirs, 'usr_me')).toBe(false);
    expect(canEdit({ ...mine, deleted_at: 'x' }, 'usr_me')).toBe(false);
    expect(canDelete(theirs, 'usr_me', 'member')).toBe(false);
    expect(canDelete(theirs, 'usr_me', 'owner')).toBe(true);
    expect(canDelete(theirs, 'usr_me', 'moderator')).toBe(true);
    expect(canDelete({ ...theirs, channel_id: null, direct_conversation_id: 'dm_1' }, 'usr_me', 'owner')).toBe(false);
    expect(canDelete(mine, 'usr_me', 'member')).toBe(true);
  });
});

describe('fitImage', () => {
  it('scales down (never up) to fit the box, keeping the aspect ratio', () => {
    expect(fitImage(640, 300)).toEqual({ width: 320, height: 150 });
    expect(fitImage(300, 600)).toEqual({ width: 120, height: 240 });
    expect(fitImage(100, 50)).toEqual({ width: 100, height: 50 });
    expect(fitImage(0, 0)).toBeNull();
  });
});
