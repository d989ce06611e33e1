// Where the chat features live (this file used to list them as seams still to fill):
//
//  * Threads:   state/thread.svelte.ts (ThreadView: open/ensure/loadOlder/sendReply, live
//               replies), components/thread/ThreadPanel.svelte in the right panel (ui.panel).
//  * Reactions: logic/messages.ts (applyReaction), components/messages/Reactions.svelte; the
//               picker is components/ui/EmojiPicker.svelte.
//  * Edit/delete: Chat.saveEdit/deleteMessage, components/messages/MessageEditor.svelte and
//               MessageActions.svelte; permissions in logic/permissions.ts.
//  * Pins:      Chat.togglePin (ids in ws.pinned), components/pins/PinsPanel.svelte.
//  * DMs:       one conversation code path (channel or dm_… ids; logic/conversation.ts),
//               components/navigation/DmList.svelte and NewDmDialog.svelte.
//  * Search:    components/search/SearchPanel.svelte; results open via Chat.jumpToMessage.
//  * Uploads:   lib/api/uploads.ts (XHR with progress), state/uploads.svelte.ts, the composer.
//  * Presence:  state/presence.svelte.ts (presence.changed hello/heartbeat/reply).
export type Feature = 'threads' | 'reactions' | 'pins' | 'dms' | 'search' | 'uploads' | 'presence';
export const ENABLED_FEATURES: ReadonlySet<Feature> = new Set<Feature>([
  'threads', 'reactions', 'pins', 'dms', 'search', 'uploads', 'presence',
]);
