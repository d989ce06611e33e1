import { type Timeline, emptyTimeline } from '../logic/timeline';
import type { PendingMessage } from '../logic/pending';

export type ScrollTarget =
  | { kind: 'bottom' }
  | { kind: 'unread' }
  | { kind: 'seq'; seq: number }
  | { kind: 'message'; id: string };

export class TimelineState {
  byChannel = $state.raw<Record<string, Timeline>>({});
  pending = $state.raw<Record<string, PendingMessage[]>>({});
  /** The read pointer when the channel was opened: the "new messages" divider sits after it. */
  dividerAfter = $state.raw<Record<string, number>>({});
  loadingOlder = $state(false);
  loadingNewer = $state(false);
  loadError = $state('');
  /** Bumped by the controller to ask the timeline view to scroll somewhere. */
  scrollRequest = $state<{ channelId: string; target: ScrollTarget; n: number } | null>(null);

  get(channelId: string | null): Timeline {
    return (channelId && this.byChannel[channelId]) || emptyTimeline();
  }

  set(channelId: string, t: Timeline): void {
    this.byChannel = { ...this.byChannel, [channelId]: t };
  }

  pendingFor(channelId: string | null): PendingMessage[] {
    return (channelId && this.pending[channelId]) || [];
  }

  setPending(channelId: string, list: PendingMessage[]): void {
    this.pending = { ...this.pending, [channelId]: list };
  }

  requestScroll(channelId: string, target: ScrollTarget): void {
    this.scrollRequest = { channelId, target, n: (this.scrollRequest?.n ?? 0) + 1 };
  }

  reset(): void {
    this.byChannel = {};
    this.dividerAfter = {};
  }
}
