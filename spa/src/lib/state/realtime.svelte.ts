import type { ConnectionState } from '../realtime/connection';

export class RealtimeState {
  state = $state<ConnectionState>('idle');
  retryInMs = $state(0);
  attempt = $state(0);
  /** Bumped whenever typing indicators change (the tracker itself is plain TS). */
  typingVersion = $state(0);

  label = $derived(
    this.state === 'open' ? 'Connected'
      : this.state === 'denied' ? 'Disconnected: access was revoked'
      : this.state === 'waiting' ? 'Reconnecting…'
      : this.state === 'resyncing' ? 'Catching up…'
      : this.state === 'connecting' ? 'Connecting…'
      : 'Offline',
  );
}
