import type { Message, MessagePage } from '../api/client';

export function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `msg_${String(seq).padStart(4, '0')}`,
    workspace_id: 'wsp_1',
    channel_id: 'chn_1',
    author_id: 'usr_other',
    author: { id: 'usr_other', kind: 'human', display_name: 'Other', handle: 'other', avatar_url: '', created_at: '2026-01-01T00:00:00Z' },
    thread_root_id: `msg_${seq}`,
    body: `message ${seq}`,
    body_html: `<p>message ${seq}</p>`,
    body_format: 'markdown',
    created_at: new Date(Date.UTC(2026, 0, 1, 12, 0, seq)).toISOString(),
    channel_seq: seq,
    ...over,
  } as Message;
}

export function page(seqs: number[], hasOlder: boolean, hasNewer: boolean): MessagePage {
  return {
    messages: seqs.map((s) => msg(s)),
    oldest_seq: seqs[0] ?? 0,
    newest_seq: seqs[seqs.length - 1] ?? 0,
    has_older: hasOlder,
    has_newer: hasNewer,
  };
}

export function memoryStorage() {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}
