import { getContext, setContext } from 'svelte';
import type { Chat } from './state/chat.svelte';

const KEY = Symbol('clickclack.chat');

export function provideChat(chat: Chat): void {
  setContext(KEY, chat);
}

/** The app controller, for components (which never call fetch or WebSocket themselves). */
export function useChat(): Chat {
  const chat = getContext<Chat | undefined>(KEY);
  if (!chat) throw new Error('useChat() outside <App>');
  return chat;
}
