/** What the right-hand panel shows (null: closed). */
export type Panel =
  | null
  | { kind: 'thread'; rootId: string }
  | { kind: 'search'; query: string }
  | { kind: 'pins'; channelId: string };

/** Where an inline edit was started (and where focus goes back when it ends). */
export type EditPlace = 'timeline' | 'thread';

export class UiState {
  panel = $state<Panel>(null);
  /** The message being edited inline (its id), or null. */
  editingId = $state<string | null>(null);
  /** Where that edit was started: the thread panel or the timeline.  Only that row shows the
   *  editor (a thread's root shows in both), and focus goes back to that place's message box. */
  editingIn = $state<EditPlace>('timeline');
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

  /** Other modal dialogs that are open (the delete confirmation, invites): see holdDialog(). */
  #otherDialogs = $state(0);

  anyDialogOpen = $derived(
    this.switcherOpen || this.shortcutsOpen || this.createChannelOpen || this.newDmOpen || this.#otherDialogs > 0,
  );

  /** A modal dialog with its own open flag (e.g. "Delete this message?") says it is open, so
   *  Esc closes only it (not the panel, nor marks the channel read).  Call the returned
   *  function when it closes (it is idempotent). */
  holdDialog(): () => void {
    this.#otherDialogs++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#otherDialogs--;
    };
  }

  /** The id of the message box to focus when an inline edit ends. */
  get editReturnFocusId(): string {
    return this.editingIn === 'thread' ? 'reply-input' : 'composer-input';
  }

  closeTopmost(): boolean {
    if (this.#otherDialogs > 0) return true; // it closes itself (<dialog> cancel)
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
