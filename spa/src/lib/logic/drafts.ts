// Composer drafts, one per (user, channel), kept in localStorage so a reload or a channel
// switch never loses what you were writing.
import type { KeyValueStorage } from './unread';

export interface DraftStorage extends KeyValueStorage {
  removeItem(key: string): void;
}

export class Drafts {
  constructor(
    private readonly storage: DraftStorage,
    private readonly userId: string,
  ) {}

  #key(channelId: string): string {
    return `clickclack:draft:${this.userId}:${channelId}`;
  }

  get(channelId: string): string {
    try {
      return this.storage.getItem(this.#key(channelId)) ?? '';
    } catch {
      return '';
    }
  }

  set(channelId: string, text: string): void {
    try {
      if (text.trim() === '') this.storage.removeItem(this.#key(channelId));
      else this.storage.setItem(this.#key(channelId), text);
    } catch {
      /* storage full or blocked */
    }
  }

  clear(channelId: string): void {
    this.set(channelId, '');
  }
}
