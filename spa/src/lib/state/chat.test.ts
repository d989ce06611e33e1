import { describe, expect, it } from 'vitest';
import type { Api, PageQuery } from '../api/api';
import { ApiError, type Channel, type Message, type MessagePage } from '../api/client';
import type { SocketLike, WireEvent } from '../realtime/connection';
import { memoryStorage, msg } from '../logic/fixtures.test-util';
import { Chat } from './chat.svelte';

const ME = { id: 'usr_me', kind: 'human', display_name: 'Me', handle: 'me', avatar_url: '', created_at: '' } as const;

function channel(id: string, name: string, lastSeq = 0): Channel {
  return {
    id, route_id: `C${id}`, workspace_id: 'wsp_1', name, kind: 'public', created_at: '',
    external_managed: false, last_seq: lastSeq, last_read_seq: lastSeq, unread_count: 0,
  } as Channel;
}

class FakeServer {
  messages: Record<string, Message[]> = { chn_g: [msg(1, { channel_id: 'chn_g' }), msg(2, { channel_id: 'chn_g' })], chn_r: [] };
  channels = [channel('chn_g', 'general', 2), channel('chn_r', 'random', 0)];
  calls: string[] = [];
  failPosts = 0;
  unauthorized = false;
  reads: [string, number][] = [];

  page(channelId: string, q: PageQuery, limit: number): MessagePage {
    const all = this.messages[channelId] ?? [];
    let sel: Message[];
    if ('after_seq' in q) sel = all.filter((m) => m.channel_seq! > q.after_seq).slice(0, limit);
    else if ('before_seq' in q) sel = all.filter((m) => m.channel_seq! < q.before_seq).slice(-limit);
    else if ('around_seq' in q) sel = all.filter((m) => m.channel_seq === q.around_seq);
    else sel = all.slice(-limit);
    const first = sel[0]?.channel_seq ?? 0;
    const last = sel[sel.length - 1]?.channel_seq ?? 0;
    return {
      messages: sel, oldest_seq: first, newest_seq: last,
      has_older: all.some((m) => m.channel_seq! < first), has_newer: all.some((m) => m.channel_seq! > last),
    };
  }

  api(): Api {
    const s = this;
    return {
      me: async () => ME,
      workspaces: async () => [{ id: 'wsp_1', route_id: 'T1', name: 'W', slug: 'w', icon_url: '', created_at: '' }],
      channels: async () => s.channels,
      members: async () => [],
      tailCursor: async () => 'cur_0000000000000000000000000a',
      messages: async (c: string, q: PageQuery, limit = 50) => {
        s.calls.push(`messages ${c} ${JSON.stringify(q)}`);
        if (s.unauthorized) throw new ApiError(401, 'unauthenticated', 'authentication required');
        return s.page(c, q, limit);
      },
      postMessage: async (c: string, body: string, nonce: string) => {
        s.calls.push(`post ${c} ${nonce}`);
        if (s.failPosts > 0) {
          s.failPosts--;
          throw new ApiError(0, 'network', 'offline');
        }
        const existing = (s.messages[c] ?? []).find((m) => m.nonce === nonce);
        if (existing) return existing;
        const seq = (s.messages[c]?.length ?? 0) + 1;
        const m = msg(seq, { channel_id: c, body, nonce, author_id: ME.id, author: ME });
        (s.messages[c] ??= []).push(m);
        return m;
      },
      markChannelRead: async (c: string, seq: number) => void s.reads.push([c, seq]),
      ephemeral: async () => ({}) as never,
    } as unknown as Api;
  }
}

async function started() {
  const server = new FakeServer();
  const sockets: SocketLike[] = [];
  const chat = new Chat({
    api: server.api(),
    storage: memoryStorage(),
    location: { protocol: 'http:', host: 'x', hostname: 'x', pathname: '/', search: '' },
    openSocket: () => {
      const s = { readyState: 0, onopen: null, onmessage: null, onclose: null, onerror: null, close() {} };
      sockets.push(s);
      return s;
    },
  });
  await chat.boot();
  return { chat, server, sockets };
}

function created(channelId: string, seq: number, author = 'usr_other', cursor = `cur_${String(seq).padStart(26, '0')}`): WireEvent {
  return {
    id: `evt_${seq}`, cursor, type: 'message.created', workspace_id: 'wsp_1', created_at: '',
    channel_id: channelId, seq, payload: { message_id: `msg_${seq}`, author_id: author },
  };
}

describe('Chat controller', () => {
  it('boots into #general with its latest messages and a socket', async () => {
    const { chat, sockets } = await started();
    expect(chat.session.status).toBe('signed-in');
    expect(chat.ws.currentChannel?.name).toBe('general');
    expect(chat.timeline.get('chn_g').messages.map((m) => m.channel_seq)).toEqual([1, 2]);
    expect(sockets).toHaveLength(1);
  });

  it('message.created in the open channel fetches what is new, once', async () => {
    const { chat, server } = await started();
    server.messages.chn_g!.push(msg(3, { channel_id: 'chn_g' }));
    await chat.applyEvent(created('chn_g', 3));
    expect(chat.timeline.get('chn_g').messages.map((m) => m.channel_seq)).toEqual([1, 2, 3]);
    const before = server.calls.length;
    await chat.applyEvent(created('chn_g', 3)); // replayed
    expect(server.calls.length).toBe(before);
    expect(server.reads.at(-1)).toEqual(['chn_g', 3]); // viewing it: read
  });

  it('message.created elsewhere makes an unread badge, counted once', async () => {
    const { chat } = await started();
    await chat.applyEvent(created('chn_r', 1));
    await chat.applyEvent(created('chn_r', 1));
    expect(chat.ws.unread.chn_r?.unread).toBe(1);
    await chat.applyEvent(created('chn_r', 2, ME.id));
    expect(chat.ws.unread.chn_r?.unread).toBe(1);
    await chat.openChannel('chn_r');
    expect(chat.ws.unread.chn_r?.unread).toBe(0);
    expect(chat.unreadDividerAfter('chn_r')).toBe(0);
  });

  it('sends optimistically, keeps a failed send for retry with the same nonce', async () => {
    const { chat, server } = await started();
    server.failPosts = 1;
    await chat.send('chn_g', '  hello  ');
    const [p] = chat.timeline.pendingFor('chn_g');
    expect(p).toMatchObject({ body: 'hello', status: 'failed', error: 'offline' });
    await chat.retry('chn_g', p!.nonce);
    expect(chat.timeline.pendingFor('chn_g')).toEqual([]);
    const posts = server.calls.filter((c) => c.startsWith('post'));
    expect(posts).toEqual([`post chn_g ${p!.nonce}`, `post chn_g ${p!.nonce}`]);
    expect(chat.timeline.get('chn_g').messages.map((m) => m.body)).toEqual(['message 1', 'message 2', 'hello']);
  });

  it('drafts are per channel', async () => {
    const { chat } = await started();
    chat.saveDraft('chn_g', 'draft g');
    expect(chat.draft('chn_g')).toBe('draft g');
    expect(chat.draft('chn_r')).toBe('');
  });

  it('typing indicators come and go', async () => {
    const { chat } = await started();
    const typing = (type: string, user: string): WireEvent => ({
      id: 'eph_1', cursor: '', type, workspace_id: 'wsp_1', created_at: '', channel_id: 'chn_g', payload: { user_id: user },
    });
    chat.ws.rememberUsers([{ ...ME, id: 'usr_ada', display_name: 'Ada' }]);
    await chat.applyEvent(typing('typing.started', 'usr_ada'));
    expect(chat.typingLine('chn_g')).toBe('Ada is typing…');
    await chat.applyEvent(typing('typing.started', ME.id));
    expect(chat.typingLine('chn_g')).toBe('Ada is typing…'); // never myself
    await chat.applyEvent(created('chn_g', 3, 'usr_ada'));
    expect(chat.typingLine('chn_g')).toBe('');
  });

  it('channel.created reloads the channel list', async () => {
    const { chat, server } = await started();
    server.channels = [...server.channels, channel('chn_n', 'new', 0)];
    await chat.applyEvent({ id: 'e', cursor: 'cur_x', type: 'channel.created', workspace_id: 'wsp_1', created_at: '', channel_id: 'chn_n', payload: {} });
    expect(chat.ws.channels.map((c) => c.name)).toContain('new');
  });

  it('a 401 anywhere signs out', async () => {
    const { chat, server } = await started();
    server.unauthorized = true;
    await chat.openChannel('chn_r');
    expect(chat.session.status).toBe('signed-out');
    expect(chat.session.error).toMatch(/session has ended/);
    expect(chat.ws.channels).toEqual([]);
  });
});
