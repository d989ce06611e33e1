import type { Channel, DirectConversation, User, Workspace } from '../api/client';
import type { UnreadState } from '../logic/unread';

export class WorkspaceState {
  list = $state.raw<Workspace[]>([]);
  listLoaded = $state(false);
  currentId = $state<string | null>(null);
  channels = $state.raw<Channel[]>([]);
  channelsLoaded = $state(false);
  /** Direct conversations (not the ones I closed). */
  dms = $state.raw<DirectConversation[]>([]);
  /** The open conversation: a channel id (chn_…) or a DM id (dm_…). */
  currentConvId = $state<string | null>(null);
  /** Workspace members (the DM picker). */
  members = $state.raw<User[]>([]);
  /** Pinned message ids per channel (for the pin/unpin action). */
  pinned = $state.raw<Record<string, string[]>>({});
  /** Unread and mention counts per conversation (channels and DMs). */
  unread = $state.raw<Record<string, UnreadState>>({});
  /** People seen so far (message authors, me), for names in typing indicators. */
  users = $state.raw<Record<string, User>>({});

  current = $derived(this.list.find((w) => w.id === this.currentId) ?? null);
  currentChannel = $derived(this.channels.find((c) => c.id === this.currentConvId) ?? null);
  currentDm = $derived(this.dms.find((d) => d.id === this.currentConvId) ?? null);

  /** The open channel's id (null when a DM is open). */
  get currentChannelId(): string | null {
    return this.currentChannel?.id ?? null;
  }
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
