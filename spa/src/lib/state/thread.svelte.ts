// The open thread (the right panel): its root, a window of replies (ascending thread_seq,
// paged backwards, new ones fetched live) and the reply action.  The controller (Chat) owns
// one of these and feeds it thread events.
import type { Api } from '../api/api';
import type { Message, ThreadState, User } from '../api/client';
import { newNonce } from '../logic/pending';
import type { UiState } from './ui.svelte';

const PAGE = 50;

export interface ThreadDeps {
  api: Pick<Api, 'thread' | 'reply'>;
  ui: UiState;
  remember(users: User[]): void;
  /** A failed call: sign out on 401; returns the text to show. */
  fail(err: unknown): string;
  /** A root's reply count changed: update it wherever the root shows. */
  spread(state: ThreadState): void;
}

export class ThreadView {
  rootId = $state<string | null>(null);
  root = $state.raw<Message | null>(null);
  replies = $state.raw<Message[]>([]);
  hasOlder = $state(false);
  loading = $state(false);
  loadingOlder = $state(false);
  error = $state('');
  sending = $state(false);

  #d: ThreadDeps;

  constructor(deps: ThreadDeps) {
    this.#d = deps;
  }

  reset(rootId: string | null): void {
    this.rootId = rootId;
    this.root = null;
    this.replies = [];
    this.hasOlder = false;
    this.error = '';
    this.loading = rootId !== null;
  }

  /** Open the thread panel on a root message. */
  async open(rootId: string): Promise<void> {
    this.#d.ui.panel = { kind: 'thread', rootId };
    await this.ensure(rootId);
  }

  /** Load the thread the panel shows (the panel may have been opened by setting ui.panel). */
  async ensure(rootId: string): Promise<void> {
    if (this.rootId === rootId) return;
    this.reset(rootId);
    try {
      const page = await this.#d.api.thread(rootId, { latest: true }, PAGE);
      if (this.rootId !== rootId) return;
      this.#d.remember([page.root.author, ...page.replies.map((m) => m.author)]);
      this.root = { ...page.root, thread_state: page.thread_state };
      this.replies = page.replies;
      this.hasOlder = page.has_older;
      this.#d.spread(page.thread_state);
    } catch (err) {
      const text = this.#d.fail(err);
      if (this.rootId === rootId) this.error = text;
    } finally {
      if (this.rootId === rootId) this.loading = false;
    }
  }

  /** After a resync (events may have been missed): load the open thread afresh. */
  async reload(): Promise<void> {
    const id = this.rootId;
    if (!id) return;
    this.rootId = null;
    await this.ensure(id);
  }

  close(): void {
    const ui = this.#d.ui;
    if (ui.panel?.kind === 'thread') ui.panel = null;
    if (ui.editingIn === 'thread') ui.editingId = null; // an edit begun in the panel ends with it
    this.reset(null);
  }

  async loadOlder(): Promise<void> {
    const rootId = this.rootId;
    const first = this.replies[0]?.thread_seq;
    if (!rootId || !this.hasOlder || first == null || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const page = await this.#d.api.thread(rootId, { before_seq: first }, PAGE);
      if (this.rootId !== rootId) return;
      this.#d.remember(page.replies.map((m) => m.author));
      this.replies = mergeReplies(page.replies, this.replies);
      this.hasOlder = page.has_older;
    } catch (err) {
      this.#d.ui.toast = this.#d.fail(err);
    } finally {
      this.loadingOlder = false;
    }
  }

  /** thread.reply_created for the open thread: fetch what is new (idempotent). */
  async onReplyCreated(rootId: string): Promise<void> {
    if (rootId !== this.rootId || !this.root) return;
    const last = this.replies[this.replies.length - 1]?.thread_seq;
    try {
      const page = await this.#d.api.thread(rootId, last == null ? { latest: true } : { after_seq: last }, PAGE);
      if (this.rootId !== rootId) return;
      this.#d.remember(page.replies.map((m) => m.author));
      this.replies = mergeReplies(this.replies, page.replies);
      this.#d.spread(page.thread_state);
    } catch (err) {
      this.#d.fail(err);
    }
  }

  async sendReply(rootId: string, text: string): Promise<boolean> {
    const body = text.trim();
    if (!body) return false;
    this.sending = true;
    try {
      const m = await this.#d.api.reply(rootId, body, newNonce());
      if (this.rootId === rootId) this.replies = mergeReplies(this.replies, [m]);
      return true;
    } catch (err) {
      this.#d.ui.toast = this.#d.fail(err);
      return false;
    } finally {
      this.sending = false;
    }
  }
}

/** Merge two runs of thread replies: unique by id, ascending by thread_seq. */
export function mergeReplies(a: Message[], b: Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => (x.thread_seq ?? 0) - (y.thread_seq ?? 0));
}
