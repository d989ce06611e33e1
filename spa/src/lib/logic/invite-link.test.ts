import { describe, expect, it } from 'vitest';
import { PENDING_INVITE_KEY, forgetInvite, inviteLink, inviteTokenFromPath, pendingInvite } from './invite-link';

const TOKEN = 'cci_0123456789ABCDEFGHJKMNPQRSTVWXYZ0123456789ABCDEFGHJK';

function store() {
  const m = new Map<string, string>();
  return {
    m,
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
}

describe('invite links', () => {
  it('round-trips a token through the link', () => {
    const link = inviteLink('https://chat.example/', TOKEN);
    expect(link).toBe(`https://chat.example/invite/${TOKEN}`);
    expect(inviteTokenFromPath(new URL(link).pathname)).toBe(TOKEN);
    expect(inviteTokenFromPath(`/invite/${TOKEN}/`)).toBe(TOKEN);
  });

  it('rejects other paths and odd tokens', () => {
    expect(inviteTokenFromPath('/')).toBeNull();
    expect(inviteTokenFromPath('/w/T1/c/C1')).toBeNull();
    expect(inviteTokenFromPath('/invite/')).toBeNull();
    expect(inviteTokenFromPath('/invite/short')).toBeNull();
    expect(inviteTokenFromPath('/invite/%3Cscript%3Ealert(1)%3C%2Fscript%3E')).toBeNull();
    expect(inviteTokenFromPath('/invite/%E0%A4%A')).toBeNull();
    expect(inviteTokenFromPath(`/invite/${TOKEN}/extra`)).toBeNull();
  });

  it('remembers the token across a sign-in and forgets it when done', () => {
    const s = store();
    expect(pendingInvite(`/invite/${TOKEN}`, s)).toBe(TOKEN);
    expect(s.m.get(PENDING_INVITE_KEY)).toBe(TOKEN);
    expect(pendingInvite('/login', s)).toBe(TOKEN);
    forgetInvite(s);
    expect(pendingInvite('/', s)).toBeNull();
    expect(pendingInvite(`/invite/${TOKEN}`, null)).toBe(TOKEN);
  });
});
