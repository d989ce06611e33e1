import type { Channel, User, Workspace } from '../api/client';
import type { UnreadState } from '../logic/unread';

export class WorkspaceState {
  list = $state.raw<Workspace[]>([]);
  listLoaded = $state(false);
  currentId = $state<string | null>(null);
  channels = $state.raw<Channel[]>([]);
  channelsLoaded = $state(false);
  currentChannelId = $state<string | null>(null);
  unread = $state.raw<Record<string, UnreadState>>({});
  /** People seen so far (message authors, me), for names in typing indicators. */
  users = $state.raw<Record<string, User>>({});

  current = $derived(this.list.find((w) => w.id === this.currentId) ?? null);
  currentChannel = $derived(this.channels.find((c) => c.id === this.currentChannelId) ?? null);
  totalUnread = $derived(Object.values(this.unread).reduce((n, u) => n + u.unread, 0));

  rememberUsers(users: (User | null | undefined)[]): void {
    let changed = false;
    const next = { ...this.users };
    for (const u of users) {
      if (u && next[u.id]?.display_name !== u.display_name) {
        next[u.id] = u;
        changed = true;
      }
    }
    if (changed) this.users = next;
  }
}
