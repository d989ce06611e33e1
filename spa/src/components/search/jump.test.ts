import { describe, expect, it } from 'vitest';
import { jumpTarget } from './jump';
import { whereLabel } from './where';

const user = (id: string, display_name: string) =>
  ({ id, display_name, handle: id, kind: 'human', avatar_url: '', created_at: '' }) as const;

describe('jumpTarget', () => {
  it('a channel root message: its channel and seq, no thread', () => {
    expect(
      jumpTarget({ id: 'msg_1', channel_id: 'chn_g', direct_conversation_id: null, channel_seq: 7, parent_message_id: null, thread_root_id: 'msg_1' }),
    ).toEqual({ kind: 'channel', conversationId: 'chn_g', messageId: 'msg_1', seq: 7, threadRootId: null });
  });

  it('a reply opens its thread (no channel seq of its own)', () => {
    expect(
      jumpTarget({ id: 'msg_2', channel_id: 'chn_g', channel_seq: null, parent_message_id: 'msg_1', thread_root_id: 'msg_1' }),
    ).toEqual({ kind: 'channel', conversationId: 'chn_g', messageId: 'msg_2', seq: 0, threadRootId: 'msg_1' });
  });

  it('a DM message goes to the DM; nothing without a conversation', () => {
    expect(jumpTarget({ id: 'msg_3', channel_id: null, direct_conversation_id: 'dm_1', channel_seq: 4, thread_root_id: 'msg_3' })?.kind).toBe('dm');
    expect(jumpTarget({ id: 'msg_4', channel_id: null, direct_conversation_id: null, thread_root_id: 'msg_4' })).toBeNull();
  });
});

describe('whereLabel', () => {
  const dms = [{ id: 'dm_1', members: [user('usr_me', 'Me'), user('usr_b', 'Bee'), user('usr_c', '')] }];
  it('names the channel, or the other people of a DM', () => {
    expect(whereLabel({ channel_name: 'general', direct_conversation_id: null }, dms, 'usr_me')).toBe('#general');
    expect(whereLabel({ channel_name: null, direct_conversation_id: 'dm_1' }, dms, 'usr_me')).toBe('DM with Bee, usr_c');
    expect(whereLabel({ channel_name: null, direct_conversation_id: 'dm_9' }, dms, 'usr_me')).toBe('Direct message');
  });
});
