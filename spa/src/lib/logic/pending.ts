// Optimistic sends: a message shows at once as "sending"; the server's answer (or its
// message.created event, whichever comes first) replaces it, matched by the client nonce.
// A failed send stays, marked failed, and can be retried with the same nonce (idempotent).
import type { Message } from '../api/client';

export interface PendingMessage {
  nonce: string;
  channelId: string;
  body: string;
  createdAt: string;
  status: 'sending' | 'failed';
  error?: string;
}

export function addPending(list: PendingMessage[], p: PendingMessage): PendingMessage[] {
  return [...list.filter((x) => x.nonce !== p.nonce), p];
}

export function markFailed(list: PendingMessage[], nonce: string, error: string): PendingMessage[] {
  return list.map((p) => (p.nonce === nonce ? { ...p, status: 'failed' as const, error } : p));
}

export function markSending(list: PendingMessage[], nonce: string): PendingMessage[] {
  return list.map((p) => {
    if (p.nonce !== nonce) return p;
    const { error: _dropped, ...rest } = p;
    return { ...rest, status: 'sending' as const };
  });
}

export function removePending(list: PendingMessage[], nonce: string): PendingMessage[] {
  return list.filter((p) => p.nonce !== nonce);
}

/** Drop pending entries whose message has arrived (same nonce). */
export function settle(list: PendingMessage[], arrived: Message[]): PendingMessage[] {
  const nonces = new Set(arrived.map((m) => m.nonce).filter((n): n is string => !!n));
  if (nonces.size === 0) return list;
  return list.filter((p) => !nonces.has(p.nonce));
}

export function newNonce(random: () => string = () => crypto.randomUUID()): string {
  return `web_${random()}`;
}
