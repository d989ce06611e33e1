import type { User } from '../api/client';

export type SessionStatus = 'loading' | 'signed-out' | 'signed-in' | 'unreachable';

export class SessionState {
  status = $state<SessionStatus>('loading');
  me = $state<User | null>(null);
  /** A sign-in problem to show on the sign-in screen (plain text). */
  error = $state('');
  notice = $state('');
  busy = $state(false);
}
