import { describe, expect, it } from 'vitest';
import { Drafts } from './drafts';
import { addPending, markFailed, markSending, newNonce, removePending, settle } from './pending';
import { findByRef, formatRoute, isPlainClick, parseRoute } from './router';
import { isTypingTarget, matchShortcut } from './shortcuts';
import { rankItems } from './switcher';
import { nextPref, parsePref, resolveTheme } from './theme';
import { Throttle, TypingTracker, typingText } from './typing';
import { badgeText, colorSlot, initials, slugifyChannel } from './format';
import { memoryStorage, msg } from './fixtures.test-util';

describe('pending sends', () => {
  const p = { nonce: 'n1', channelId: 'c', body: 'hi', createdAt: '', status: 'sending' as const };
  it('fail, retry and settle by nonce', () => {
    let list = addPending([], p);
    list = markFailed(list, 'n1', 'offline');
    expect(list[0]).toMatchObject({ status: 'failed', error: 'offline' });
    list = markSending(list, 'n1');
    expect(list[0]).toEqual(p);
    expect(settle(list, [msg(1, { nonce: 'other' })])).toEqual(list);
    expect(settle(list, [msg(1, { nonce: 'n1' })])).toEqual([]);
    expect(removePending(list, 'n1')).toEqual([]);
    expect(addPending(list, p)).toHaveLength(1);
  });
  it('nonces are unique and short enough', () => {
    const a = newNonce();
    expect(a).not.toBe(newNonce());
    expect(a.length).toBeLessThanOrEqual(128);
  });
});

describe('drafts', () => {
  it('are per user and channel, and empty drafts are removed', () => {
    const s = memoryStorage();
    const d = new Drafts(s, 'u1');
    d.set('c1', 'hello');
    expect(d.get('c1')).toBe('hello');
    expect(new Drafts(s, 'u2').get('c1')).toBe('');
    d.set('c1', '   ');
    expect(s.data.size).toBe(0);
  });
});

describe('routes', () => {
  it('round-trip', () => {
    for (const r of [
      { name: 'home' as const },
      { name: 'login' as const, magicToken: 'mgt_abc' },
      { name: 'workspace' as const, workspace: 'T123' },
      { name: 'channel' as const, workspace: 'T123', channel: 'C456' },
    ]) {
      const url = new URL(formatRoute(r), 'http://x');
      expect(parseRoute(url.pathname, url.search)).toEqual(r);
    }
  });
  it('unknown or odd paths go home', () => {
    expect(parseRoute('/w/<script>/c/x')).toEqual({ name: 'home' });
    expect(parseRoute('/nope')).toEqual({ name: 'home' });
    expect(parseRoute('/login', '?magic_token=' + 'x'.repeat(500))).toEqual({ name: 'login', magicToken: null });
  });
  it('finds by route id or id', () => {
    const items = [{ id: 'chn_1', route_id: 'C1' }];
    expect(findByRef(items, 'C1')).toBe(items[0]);
    expect(findByRef(items, 'chn_1')).toBe(items[0]);
    expect(findByRef(items, 'x')).toBeUndefined();
  });
});

describe('shortcuts', () => {
  const key = (k: string, over = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...over });
  it('map keys to actions, respecting text fields', () => {
    expect(matchShortcut(key('k', { ctrlKey: true }), true)).toBe('switcher');
    expect(matchShortcut(key('k', { metaKey: true }), false)).toBe('switcher');
    expect(matchShortcut(key('?'), false)).toBe('help');
    expect(matchShortcut(key('?'), true)).toBeNull();
    expect(matchShortcut(key('Escape'), true)).toBe('escape');
    expect(matchShortcut(key('/'), false)).toBe('focus-composer');
    expect(matchShortcut(key('Escape', { isComposing: true }), true)).toBeNull();
  });
  it('know what a text field is', () => {
    expect(isTypingTarget({ tagName: 'TEXTAREA' })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(isTypingTarget({ tagName: 'INPUT' })).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(isTypingTarget(null)).toBe(false);
  });
});

describe('quick switcher ranking', () => {
  const items = ['general', 'random', 'release-plan', 'dev-releases'].map((label, i) => ({ id: String(i), label, unread: label === 'dev-releases' ? 3 : 0 }));
  it('prefix, then word start, then substring, then subsequence', () => {
    expect(rankItems(items, 'rel').map((i) => i.label)).toEqual(['release-plan', 'dev-releases']);
    expect(rankItems(items, '#gen').map((i) => i.label)).toEqual(['general']);
    expect(rankItems(items, 'gnrl').map((i) => i.label)).toEqual(['general']);
    expect(rankItems(items, '')).toHaveLength(4);
    expect(rankItems(items, 'zzz')).toEqual([]);
  });
});

describe('theme', () => {
  it('follows the system unless chosen', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('light', true)).toBe('light');
    expect(nextPref('system')).toBe('light');
    expect(nextPref('dark')).toBe('system');
    expect(parsePref('garbage')).toBe('system');
  });
});

describe('typing', () => {
  it('expires, stops, and skips me', () => {
    const t = new TypingTracker();
    t.started('c', 'u1', 0, 1000);
    t.started('c', 'me', 0, 1000);
    expect(t.active('c', 500, 'me')).toEqual(['u1']);
    expect(t.nextExpiry()).toBe(1000);
    expect(t.active('c', 1000)).toEqual([]);
    t.started('c', 'u2', 0, 1000);
    t.stopped('c', 'u2');
    expect(t.active('c', 1)).toEqual([]);
  });
  it('texts', () => {
    expect(typingText([])).toBe('');
    expect(typingText(['A'])).toBe('A is typing…');
    expect(typingText(['A', 'B'])).toBe('A and B are typing…');
    expect(typingText(['A', 'B', 'C', 'D'])).toBe('A, B and 2 others are typing…');
  });
  it('throttle lets one call through per interval and key', () => {
    const th = new Throttle(3000);
    expect(th.ready('c', 0)).toBe(true);
    expect(th.ready('c', 2999)).toBe(false);
    expect(th.ready('d', 1)).toBe(true);
    expect(th.ready('c', 3000)).toBe(true);
    th.reset('c');
    expect(th.ready('c', 3001)).toBe(true);
  });
});

describe('format', () => {
  it('initials, colours, badges, slugs', () => {
    expect(initials('Local Captain')).toBe('LC');
    expect(initials('ada')).toBe('AD');
    expect(initials('  ')).toBe('?');
    expect(colorSlot('usr_1')).toBe(colorSlot('usr_1'));
    expect(colorSlot('usr_1')).toBeLessThan(8);
    expect(badgeText(120)).toBe('99+');
    expect(slugifyChannel(' #Release Plan! ')).toBe('release-plan');
  });
});

describe('isPlainClick', () => {
  const click = (init: MouseEventInit) => ({ metaKey: false, ctrlKey: false, shiftKey: false, button: 0, ...init }) as MouseEvent;
  it('handles a plain left click and leaves modified or middle clicks to the browser', () => {
    expect(isPlainClick(click({}))).toBe(true);
    expect(isPlainClick(click({ metaKey: true }))).toBe(false);
    expect(isPlainClick(click({ ctrlKey: true }))).toBe(false);
    expect(isPlainClick(click({ shiftKey: true }))).toBe(false);
    expect(isPlainClick(click({ button: 1 }))).toBe(false);
  });
});
