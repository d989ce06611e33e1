// Where the next features plug in (the API is growing them now).  Each has a home already:
//
//  * Threads:   components/thread/ThreadPanel.svelte (typed props), Api.thread()/reply() in
//               lib/api/api.ts, events thread.reply_created / thread.state_updated in
//               Chat.applyEvent (state/chat.svelte.ts), route /w/<ws>/c/<ch>/t/<root>.
//  * Reactions: a row under MessageRow's body; reaction.added / reaction.removed events.
//  * Pins:      a panel beside ThreadPanel; pin.added / pin.removed events.
//  * DMs:       a second list in navigation/Sidebar.svelte; DM timelines reuse logic/timeline.ts
//               (the page shape is the same) and message.created with direct_conversation_id.
//  * Search:    components/search/SearchPanel.svelte (typed props).
//  * Uploads:   the composer's paste/drop handlers (Composer.svelte) with a progress bar.
//  * Presence:  presence.changed ephemeral events, shown next to names.
//
// Until a feature's API lands, no button for it is shown.
export type FutureFeature = 'threads' | 'reactions' | 'pins' | 'dms' | 'search' | 'uploads' | 'presence';
export const ENABLED_FEATURES: ReadonlySet<FutureFeature> = new Set();
