/** What the right-hand panel shows (null: closed). */
export type Panel =
  | null
  | { kind: 'thread'; rootId: string }
  | { kind: 'search'; query: string }
  | { kind: 'pins'; channelId: string };

export class UiState {
  panel = $state<Panel>(null);
  /** The message being edited inline (its id), or null. */
  editingId = $state<string | null>(null);
  /** The "new message" (start a DM) dialog. */
  newDmOpen = $state(false);
  /** A message id to highlight briefly (after a jump). */
  highlightId = $state<string | null>(null);
  switcherOpen = $state(false);
  shortcutsOpen = $state(false);
  createChannelOpen = $state(false);
  drawerOpen = $state(false);
  /** A short status message (plain text), shown in a toast region (role="status"). */
  toast = $state('');
  /** Text for the polite screen-reader announcer (new messages in the open channel). */
  announcement = $state('');

  anyDialogOpen = $derived(this.switcherOpen || this.shortcutsOpen || this.createChannelOpen || this.newDmOpen);

  closeTopmost(): boolean {
    if (this.switcherOpen) this.switcherOpen = false;
    else if (this.shortcutsOpen) this.shortcutsOpen = false;
    else if (this.createChannelOpen) this.createChannelOpen = false;
    else if (this.newDmOpen) this.newDmOpen = false;
    else if (this.drawerOpen) this.drawerOpen = false;
    else if (this.panel) this.panel = null;
    else return false;
    return true;
  }
}
