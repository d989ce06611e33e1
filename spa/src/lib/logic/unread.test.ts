import { describe, expect, it } from 'vitest';
import type { Channel } from '../api/client';
import { fromChannel, markRead, onMessage } from './unread';

function channel(over: Partial<Channel>): Channel {
  return {
    id: 'chn_1', route_id: 'C1', workspace_id: 'wsp_1', name: 'general', kind: 'public',
    created_at: '', external_managed: false, last_seq: 10, last_read_seq: 4, unread_count: 5, ...over,
  } as Channel;
}

describe('unread counts', () => {
  it('start from the server', () => {
    expect(fromChannel(channel({}), 0)).toEqual({ lastSeq: 10, readSeq: 4, unread: 5, mentions: 0 });
  });

  it('a read pointer remembered locally beyond the server wins', () => {
    expect(fromChannel(channel({}), 8)).toMatchObject({ readSeq: 8, unread: 2 });
    expect(fromChannel(channel({}), 99)).toMatchObject({ readSeq: 10, unread: 0 });
  });

  it('live messages by others count once, mine never', () => {
    let s = fromChannel(channel({}), 0);
    s = onMessage(s, 11, false);
    expect(s).toMatchObject({ lastSeq: 11, unread: 6 });
    expect(onMessage(s, 11, false)).toBe(s); // replayed event
    expect(onMessage(s, 10, false)).toBe(s);
    s = onMessage(s, 12, true);
    expect(s).toMatchObject({ lastSeq: 12, unread: 6 });
  });

  it('marking read clears the count and never moves back', () => {
    let s = fromChannel(channel({}), 0);
    s = markRead(s);
    expect(s).toMatchObject({ readSeq: 10, unread: 0 });
    expect(markRead(s, 3)).toBe(s);
    const partly = markRead(fromChannel(channel({}), 0), 8);
    expect(partly).toMatchObject({ readSeq: 8, unread: 2 });
  });
});

