// What the side panels (thread, search, pins) share: closing puts focus back in the composer,
// Esc closes unless something inside holds it (an open dialog, an edit in progress), and a jump
// from a panel gets the panel out of the way where it covers the timeline (a phone).
import { tick } from 'svelte';
import type { Chat } from '../../lib/state/chat.svelte';
import { type JumpTarget, panelCoversTimeline } from '../search/jump';

export interface SidePanel {
  close(): void;
  onkeydown(e: KeyboardEvent): void;
  jump(target: JumpTarget | null): void;
}

export function sidePanel(
  chat: Chat,
  opts: { dismiss?: () => void; holdsEsc?: () => boolean } = {},
): SidePanel {
  const dismiss = opts.dismiss ?? (() => (chat.ui.panel = null));
  function close(): void {
    dismiss();
    void tick().then(() => document.getElementById('composer-input')?.focus());
  }
  return {
    close,
    onkeydown(e: KeyboardEvent): void {
      if (e.key !== 'Escape' || e.defaultPrevented || chat.ui.anyDialogOpen) return;
      if (opts.holdsEsc?.()) return;
      e.stopPropagation();
      close();
    },
    jump(target: JumpTarget | null): void {
      if (!target) return;
      if (panelCoversTimeline()) chat.ui.panel = null;
      void chat.jumpToMessage(target);
    },
  };
}
