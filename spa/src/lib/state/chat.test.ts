import { describe, expect, it } from 'vitest';
import type { Api, PageQuery } from '../api/api';
import { ApiError, type Channel, type DirectConversation, type Message, type MessagePage } from '../api/client';
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

function dm(id: string, memberIds: string[], lastSeq: number, unread = 0): DirectConversation {
  const members = [ME, ...memberIds.map((m) => ({ ...ME, id: m, display_name: m.replace('usr_', ''), handle: m }))];
  return {
    id, route_id: `D${id}`, workspace_id: 'wsp_1', created_at: '', members, can_send: true,
    last_seq: lastSeq, last_read_seq: lastSeq - unread, unread_count: unread,
  } as DirectConversation;
}

function reply(rootId: string, seq: number, over: Partial<Message> = {}): Message {
  return msg(seq, {
    id: `${rootId}_r${seq}`, channel_id: 'chn_g', channel_seq: null, thread_seq: seq,
    parent_message_id: rootId, thread_root_id: rootId, body: `reply ${seq}`, ...over,
  });
}

class FakeServer {
  messages: Record<string, Message[]> = { chn_g: [msg(1, { channel_id: 'chn_g' }), msg(2, { channel_id: 'chn_g' })], chn_r: [] };
  channels = [channel('chn_g', 'general', 2), channel('chn_r', 'random', 0)];
  calls: string[] = [];
  failPosts = 0;
  unauthorized = false;
  reads: [string, number][] = [];
  dms: DirectConversation[] = [];
  replies: Record<string, Message[]> = {};

  find(id: string): Message | undefined {
    for (const list of [...Object.values(this.messages), ...Object.values(this.replies)]) {
      const m = list.find((x) => x.id === id);
      if (m) return m;
    }
    return undefined;
  }

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
      markRead: async (c: string, seq: number) => void s.reads.push([c, seq]),
      ephemeral: async (_w: string, type: string, conv: string | null, payload?: Record<string, string>) => {
        s.calls.push(`ephemeral ${type} ${conv ?? '-'} ${JSON.stringify(payload ?? {})}`);
        return {} as never;
      },
      dms: async () => s.dms,
      dm: async (id: string) => s.dms.find((d) => d.id === id)!,
      createDm: async (_w: string, ids: string[]) => {
        s.calls.push(`createDm ${ids.join(',')}`);
        const d = dm(`dm_${ids.join('_')}`, ids, 0);
        s.dms = [...s.dms.filter((x) => x.id !== d.id), d];
        return { ...d, last_seq: 0, unread_count: 0 };
      },
      pins: async () => [],
      message: async (id: string) => {
        s.calls.push(`message ${id}`);
        const m = s.find(id);
        if (!m) throw new ApiError(404, 'not_found', 'message not found');
        return m;
      },
      editMessage: async (id: string, body: string) => {
        const m = s.find(id)!;
        Object.assign(m, { body, body_html: `<p>${body}</p>`, edited_at: '2026-01-02T00:00:00Z' });
        return { ...m };
      },
      deleteMessage: async (id: string) => {
        const m = s.find(id)!;
        Object.assign(m, { body: '', body_html: '', deleted_at: '2026-01-02T00:00:00Z' });
        return { ...m };
      },
      react: async (id: string, emoji: string) => {
        s.calls.push(`react ${id} ${emoji}`);
        return [{ emoji, count: 1, reacted_by_me: true }];
      },
      unreact: async (id: string, emoji: string) => {
        s.calls.push(`unreact ${id} ${emoji}`);
        return [];
      },
      thread: async (rootId: string, q: Record<string, unknown>, limit = 50) => {
        s.calls.push(`thread ${rootId} ${JSON.stringify(q)}`);
        const root = s.find(rootId)!;
        const all = s.replies[rootId] ?? [];
        let sel = all;
        if ('after_seq' in q) sel = all.filter((m) => m.thread_seq! > (q.after_seq as number));
        else if ('before_seq' in q) sel = all.filter((m) => m.thread_seq! < (q.before_seq as number)).slice(-limit);
        else sel = all.slice(-limit);
        const first = sel[0]?.thread_seq ?? 0;
        const state = { root_message_id: rootId, reply_count: all.length, last_reply_author_ids: [] };
        return {
          root, replies: sel, thread_state: state, oldest_seq: first, newest_seq: sel.at(-1)?.thread_seq ?? 0,
          has_older: all.some((m) => m.thread_seq! < first), has_newer: false,
        };
      },
      reply: async (rootId: string, body: string) => {
        const list = (s.replies[rootId] ??= []);
        const m = reply(rootId, list.length + 1, { body, author_id: ME.id, author: ME });
        list.push(m);
        return m;
      },
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

  it('message.updated and message.deleted refetch the message and change it in place', async () => {
    const { chat, server } = await started();
    const target = server.messages.chn_g![1]!;
    Object.assign(target, { body: 'edited', edited_at: '2026-01-02T00:00:00Z' });
    const ev = (type: string): WireEvent => ({
      id: 'e', cursor: 'cur_e', type, workspace_id: 'wsp_1', created_at: '', channel_id: 'chn_g', seq: 2,
      payload: { message_id: target.id, root_message_id: target.id },
    });
    await chat.applyEvent(ev('message.updated'));
    expect(chat.timeline.get('chn_g').messages[1]).toMatchObject({ body: 'edited', edited_at: '2026-01-02T00:00:00Z' });
    Object.assign(target, { body: '', deleted_at: '2026-01-02T00:00:01Z' });
    chat.startEdit(target.id);
    await chat.applyEvent(ev('message.deleted'));
    expect(chat.timeline.get('chn_g').messages[1]?.deleted_at).toBeTruthy();
    expect(chat.ui.editingId).toBeNull(); // an edit of a deleted message ends
    // Events about messages not on screen fetch nothing.
    const before = server.calls.length;
    await chat.applyEvent({ ...ev('message.updated'), payload: { message_id: 'msg_elsewhere' } });
    expect(server.calls.length).toBe(before);
  });

  it('edits my last message (Up arrow) and saves it', async () => {
    const { chat } = await started();
    expect(chat.editLast('chn_g')).toBe(false); // nothing of mine yet
    await chat.send('chn_g', 'my words');
    expect(chat.editLast('chn_g')).toBe(true);
    const id = chat.ui.editingId!;
    expect(chat.timeline.get('chn_g').messages.find((m) => m.id === id)?.body).toBe('my words');
    expect(await chat.saveEdit(id, ' better words ')).toBe(true);
    expect(chat.ui.editingId).toBeNull();
    expect(chat.timeline.get('chn_g').messages.find((m) => m.id === id)).toMatchObject({ body: 'better words' });
    await chat.deleteMessage(id);
    expect(chat.timeline.get('chn_g').messages.find((m) => m.id === id)?.deleted_at).toBeTruthy();
  });

  it('Up arrow in a thread reply box edits my last reply there; focus goes back to that box', async () => {
    const { chat, server } = await started();
    const root = server.messages.chn_g![0]!;
    server.replies[root.id] = [reply(root.id, 1)];
    expect(chat.editLastReply(root.id)).toBe(false); // thread not open
    await chat.thread.open(root.id);
    expect(chat.editLastReply(root.id)).toBe(false); // nothing of mine in it
    await chat.thread.sendReply(root.id, 'first');
    await chat.thread.sendReply(root.id, 'second');
    await chat.send('chn_g', 'in the channel'); // newer, but not in the thread
    expect(chat.editLastReply(root.id)).toBe(true);
    const id = chat.ui.editingId!;
    expect(chat.thread.replies.find((m) => m.id === id)?.body).toBe('second');
    expect(chat.ui.editingIn).toBe('thread');
    expect(chat.ui.editReturnFocusId).toBe('reply-input');
    expect(await chat.saveEdit(id, 'second, better')).toBe(true);
    expect(chat.ui.editingId).toBeNull();
    expect(chat.thread.replies.find((m) => m.id === id)).toMatchObject({ body: 'second, better', edited_at: expect.any(String) });
    expect(chat.ui.editReturnFocusId).toBe('reply-input'); // read after the save too
    // The main composer's Up arrow edits in the timeline, and focus goes back there.
    expect(chat.editLast('chn_g')).toBe(true);
    expect(chat.ui.editingIn).toBe('timeline');
    expect(chat.ui.editReturnFocusId).toBe('composer-input');
    // Closing the thread ends an edit begun in it.
    chat.editLastReply(root.id);
    chat.thread.close();
    expect(chat.ui.editingId).toBeNull();
  });

  it('an open confirm dialog (delete) counts as a dialog: Esc closes only it', async () => {
    const { chat } = await started();
    const ui = chat.ui;
    ui.panel = { kind: 'search', query: '' };
    expect(ui.anyDialogOpen).toBe(false);
    const release = ui.holdDialog();
    expect(ui.anyDialogOpen).toBe(true);
    expect(ui.closeTopmost()).toBe(true); // the dialog closes itself; the panel stays
    expect(ui.panel).toEqual({ kind: 'search', query: '' });
    release();
    release(); // idempotent
    expect(ui.anyDialogOpen).toBe(false);
    expect(ui.closeTopmost()).toBe(true);
    expect(ui.panel).toBeNull();
  });

  it('reaction events aggregate counts; my toggle uses the server answer', async () => {
    const { chat, server } = await started();
    const id = server.messages.chn_g![0]!.id;
    const ev = (type: string, count: number, user = 'usr_other'): WireEvent => ({
      id: 'e', cursor: 'cur_e', type, workspace_id: 'wsp_1', created_at: '', channel_id: 'chn_g', seq: 1,
      payload: { message_id: id, emoji: '🎉', user_id: user, count },
    });
    await chat.applyEvent(ev('reaction.added', 1));
    await chat.applyEvent(ev('reaction.added', 1)); // replay
    const first = () => chat.timeline.get('chn_g').messages[0]!;
    expect(first().reactions).toEqual([{ emoji: '🎉', count: 1, reacted_by_me: false }]);
    await chat.applyEvent(ev('reaction.added', 2, ME.id));
    expect(first().reactions).toEqual([{ emoji: '🎉', count: 2, reacted_by_me: true }]);
    await chat.applyEvent(ev('reaction.removed', 1, ME.id));
    await chat.applyEvent(ev('reaction.removed', 0));
    expect(first().reactions).toEqual([]);
    await chat.toggleReaction(first(), '👍');
    expect(server.calls.at(-1)).toBe(`react ${id} 👍`);
    expect(first().reactions).toEqual([{ emoji: '👍', count: 1, reacted_by_me: true }]);
    await chat.toggleReaction(first(), '👍');
    expect(server.calls.at(-1)).toBe(`unreact ${id} 👍`);
  });

  it('threads: open, live replies, reply counts on the root, paging older replies', async () => {
    const { chat, server } = await started();
    const root = server.messages.chn_g![0]!;
    server.replies[root.id] = Array.from({ length: 60 }, (_, i) => reply(root.id, i + 1));
    await chat.thread.open(root.id);
    expect(chat.ui.panel).toEqual({ kind: 'thread', rootId: root.id });
    expect(chat.thread.root?.id).toBe(root.id);
    expect(chat.thread.replies).toHaveLength(50);
    expect(chat.thread.hasOlder).toBe(true);
    expect(chat.timeline.get('chn_g').messages[0]!.thread_state?.reply_count).toBe(60);
    await chat.thread.loadOlder();
    expect(chat.thread.replies.map((m) => m.thread_seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));

    // Someone replies: the open thread fetches what is new; the root's count follows.
    server.replies[root.id]!.push(reply(root.id, 61));
    const ev = (type: string): WireEvent => ({
      id: 'e', cursor: 'cur_e', type, workspace_id: 'wsp_1', created_at: '', channel_id: 'chn_g',
      payload: { message_id: `${root.id}_r61`, root_message_id: root.id },
    });
    await chat.applyEvent(ev('thread.reply_created'));
    await chat.applyEvent(ev('thread.reply_created')); // replay: no duplicate
    await chat.applyEvent(ev('thread.state_updated'));
    expect(chat.thread.replies.map((m) => m.thread_seq).slice(-2)).toEqual([60, 61]);
    expect(chat.thread.replies).toHaveLength(61);
    expect(chat.timeline.get('chn_g').messages[0]!.thread_state?.reply_count).toBe(61);

    // My reply shows at once; an edit of a reply (seq null) is applied in the panel.
    await chat.thread.sendReply(root.id, 'mine');
    expect(chat.thread.replies.at(-1)?.body).toBe('mine');
    const r1 = server.replies[root.id]![0]!;
    r1.body = 'changed';
    await chat.applyEvent({ ...ev('message.updated'), payload: { message_id: r1.id, root_message_id: root.id } });
    expect(chat.thread.replies[0]!.body).toBe('changed');

    chat.thread.close();
    expect(chat.ui.panel).toBeNull();
    expect(chat.thread.rootId).toBeNull();
  });

  it('DMs: listed with unread counts, opened on the same code path, live, read pointers', async () => {
    const { chat, server } = await started();
    expect(chat.ws.dms).toEqual([]);
    server.dms = [dm('dm_ada', ['usr_ada'], 3, 2)];
    server.messages.dm_ada = [1, 2, 3].map((n) => msg(n, { channel_id: null, direct_conversation_id: 'dm_ada' }));
    // A message in a DM we do not know yet loads the DM list.
    await chat.applyEvent({
      id: 'e', cursor: 'cur_e', type: 'message.created', workspace_id: 'wsp_1', created_at: '', seq: 3,
      payload: { message_id: 'msg_0003', direct_conversation_id: 'dm_ada', author_id: 'usr_ada' },
    });
    expect(chat.ws.dms.map((d) => d.id)).toEqual(['dm_ada']);
    expect(chat.dmTitle(chat.ws.dms[0]!)).toBe('ada');
    expect(chat.ws.unread.dm_ada?.unread).toBe(2);
    await chat.openConversation('dm_ada');
    expect(chat.ws.currentDm?.id).toBe('dm_ada');
    expect(chat.ws.currentChannel).toBeNull();
    expect(chat.route).toEqual({ name: 'dm', workspace: 'T1', dm: 'Ddm_ada' });
    expect(chat.timeline.get('dm_ada').messages).toHaveLength(3);
    expect(server.reads.at(-1)).toEqual(['dm_ada', 3]);
    expect(chat.ws.unread.dm_ada?.unread).toBe(0);
    // Sending goes through the same code path.
    await chat.send('dm_ada', 'hi ada');
    expect(server.calls).toContain(`post dm_ada ${server.messages.dm_ada.at(-1)!.nonce}`);
    // dm.read from another of my sessions moves the pointer.
    server.messages.dm_ada.push(msg(5, { direct_conversation_id: 'dm_ada', channel_id: null }));
    await chat.openChannel('chn_g');
    await chat.applyEvent({
      id: 'e', cursor: 'cur_f', type: 'message.created', workspace_id: 'wsp_1', created_at: '', seq: 5,
      payload: { message_id: 'msg_0005', direct_conversation_id: 'dm_ada', author_id: 'usr_ada' },
    });
    expect(chat.ws.unread.dm_ada?.unread).toBe(1);
    await chat.applyEvent({
      id: 'e', cursor: 'cur_g', type: 'dm.read', workspace_id: 'wsp_1', created_at: '', seq: 5,
      payload: { direct_conversation_id: 'dm_ada', user_id: ME.id },
    });
    expect(chat.ws.unread.dm_ada?.unread).toBe(0);
  });

  it('starts a DM and opens it', async () => {
    const { chat, server } = await started();
    expect(await chat.startDm(['usr_bo'])).toBe(true);
    expect(server.calls).toContain('createDm usr_bo');
    expect(chat.ws.currentConvId).toBe('dm_usr_bo');
    expect(chat.ws.dms.map((d) => d.id)).toEqual(['dm_usr_bo']);
  });

  it('jumpToMessage opens the conversation around the seq, highlights, and opens the thread', async () => {
    const { chat, server } = await started();
    server.messages.chn_r = Array.from({ length: 120 }, (_, i) => msg(i + 1, { id: `msg_r${i + 1}`, channel_id: 'chn_r' }));
    server.replies.msg_r7 = [reply('msg_r7', 1)];
    await chat.jumpToMessage({ kind: 'channel', conversationId: 'chn_r', messageId: 'msg_r7_r1', seq: 7, threadRootId: 'msg_r7' });
    expect(chat.ws.currentConvId).toBe('chn_r');
    expect(server.calls).toContain('messages chn_r {"around_seq":7}');
    expect(chat.timeline.scrollRequest?.target).toEqual({ kind: 'message', id: 'msg_r7' });
    expect(chat.ui.panel).toEqual({ kind: 'thread', rootId: 'msg_r7' });
    expect(chat.ui.highlightId).toBe('msg_r7_r1');
  });

  it('presence: others are online after an announcement; I announce myself', async () => {
    const { chat, server, sockets } = await started();
    const announced = () => server.calls.filter((c) => c.startsWith('ephemeral presence.changed -'));
    expect(announced()).toEqual([]); // not before the feed is open (answers could not reach us)
    (sockets[0]!.onopen as (() => void) | null)?.();
    expect(announced()).toEqual(['ephemeral presence.changed - {"status":"online","hello":"1"}']);
    expect(chat.presence.of('usr_ada')).toBe('offline');
    const presence = (user: string, payload: Record<string, string>): WireEvent => ({
      id: 'eph_1', cursor: '', type: 'presence.changed', workspace_id: 'wsp_1', created_at: '',
      payload: { user_id: user, ...payload },
    });
    await chat.applyEvent(presence('usr_ada', { status: 'online' }));
    expect(chat.presence.of('usr_ada')).toBe('online');
    expect(chat.presence.of(ME.id)).toBe('online');
    // A newcomer gets a reply; so does a hello (a reload); a reply or a heartbeat gets none.
    expect(announced().at(-1)).toBe('ephemeral presence.changed - {"status":"online","reply":"1"}');
    await chat.applyEvent(presence('usr_ada', { status: 'online' }));
    await chat.applyEvent(presence('usr_bo', { status: 'online', reply: '1' }));
    expect(announced()).toHaveLength(2);
    await chat.applyEvent(presence('usr_ada', { status: 'online', hello: '1' }));
    expect(announced()).toHaveLength(3);
    expect(chat.presence.of('usr_bo')).toBe('online');
    await chat.applyEvent(presence('usr_bo', { status: 'offline' }));
    expect(chat.presence.of('usr_bo')).toBe('offline');
  });

  it('pins: the pin action follows pin events', async () => {
    const { chat, server } = await started();
    const m = server.messages.chn_g![0]!;
    expect(chat.isPinned(m)).toBe(false);
    await chat.applyEvent({
      id: 'e', cursor: 'cur_p', type: 'pin.added', workspace_id: 'wsp_1', created_at: '', channel_id: 'chn_g', seq: 1,
      payload: { channel_id: 'chn_g', message_id: m.id, pinned_by: 'usr_other' },
    });
    expect(chat.isPinned(m)).toBe(true);
  });

  it('mention counts come from the lists and stay apart from unread counts', async () => {
    const { chat, server } = await started();
    server.channels = [channel('chn_g', 'general', 2), { ...channel('chn_r', 'random', 5), last_read_seq: 1, unread_count: 4, mention_count: 2 }];
    server.dms = [{ ...dm('dm_ada', ['usr_ada'], 3, 3), mention_count: 1 }];
    await chat.reloadChannels();
    await chat.reloadDms();
    expect(chat.ws.unread.chn_r).toMatchObject({ unread: 4, mentions: 2 });
    expect(chat.ws.unread.dm_ada).toMatchObject({ unread: 3, mentions: 1 });
    await chat.openChannel('chn_r');
    expect(chat.ws.unread.chn_r).toMatchObject({ unread: 0, mentions: 0 });
  });
});
