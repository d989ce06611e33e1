export class UiState {
  switcherOpen = $state(false);
  shortcutsOpen = $state(false);
  createChannelOpen = $state(false);
  drawerOpen = $state(false);
  /** A short status message (plain text), shown in a toast region (role="status"). */
  toast = $state('');
  /** Text for the polite screen-reader announcer (new messages in the open channel). */
  announcement = $state('');

  anyDialogOpen = $derived(this.switcherOpen || this.shortcutsOpen || this.createChannelOpen);

  closeTopmost(): boolean {
    if (this.switcherOpen) this.switcherOpen = false;
    else if (this.shortcutsOpen) this.shortcutsOpen = false;
    else if (this.createChannelOpen) this.createChannelOpen = false;
    else if (this.drawerOpen) this.drawerOpen = false;
    else return false;
    return true;
  }
}
