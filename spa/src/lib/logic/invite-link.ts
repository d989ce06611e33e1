// Invite links: /invite/<token>.  The server answers that path with the app; the app reads the
// token before anything rewrites the URL, keeps it (sessionStorage) across a sign-in in the same
// tab, and offers to join once someone is signed in.

export const PENDING_INVITE_KEY = 'clickclack.pending-invite';
const TOKEN = /^[A-Za-z0-9_-]{8,200}$/;

export interface SessionStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The link a person opens to accept an invite. */
export function inviteLink(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, '')}/invite/${encodeURIComponent(token)}`;
}

/** The token of an invite link's path (`/invite/<token>`), or null. */
export function inviteTokenFromPath(pathname: string): string | null {
  const m = /^\/invite\/([^/]+)\/?$/.exec(pathname);
  if (!m) return null;
  let token: string;
  try {
    token = decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
  return TOKEN.test(token) ? token : null;
}

/** The invite to offer: the one in the address bar (remembered), else one remembered earlier in
 *  this tab (the person signed in first). */
export function pendingInvite(pathname: string, store: SessionStore | null): string | null {
  const fromPath = inviteTokenFromPath(pathname);
  try {
    if (fromPath) {
      store?.setItem(PENDING_INVITE_KEY, fromPath);
      return fromPath;
    }
    const kept = store?.getItem(PENDING_INVITE_KEY) ?? null;
    return kept && TOKEN.test(kept) ? kept : null;
  } catch {
    return fromPath;
  }
}

export function forgetInvite(store: SessionStore | null): void {
  try {
    store?.removeItem(PENDING_INVITE_KEY);
  } catch {
    /* ignore */
  }
}

/** The tab's sessionStorage, or null where it is blocked. */
export function sessionStore(): SessionStore | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}
