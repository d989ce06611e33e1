// The app's controller: owns the state objects, runs the actions components call, and applies
// realtime events.  It talks to the server only through Api (the generated client) and
// RealtimeConnection; the rules it applies (page merging, unread math, typing, drafts) live in
// plain TypeScript under lib/logic.
import { Api, isDm, realtimeUrl } from '../api/api';
import { ApiError, type DirectConversation, type Message, type SignInMethods, type User } from '../api/client';
import {
  type CursorStore,
  type Environment,
  LocalCursorStore,
  RealtimeConnection,
  type SocketLike,
  browserSocket,
  type WireEvent,
} from '../realtime/connection';
import { Drafts, type DraftStorage } from '../logic/drafts';
import { addPending, markFailed, markSending, newNonce, removePending, settle } from '../logic/pending';
import { type Route, findByRef, formatRoute, parseRoute } from '../logic/router';
import {
  addLive,
  applyPage,
  firstUnreadIndex,
  needsCatchUp,
  newestSeq,
  oldestSeq,
  seqOf,
} from '../logic/timeline';
import { Throttle, TypingTracker, typingText } from '../logic/typing';
import { fromChannel, markRead, onMessage } from '../logic/unread';
import { applyReaction, lastOwnMessage, replaceMessage, withReactions, withThreadState } from '../logic/messages';
import { dmTitle, kindOf } from '../logic/conversation';
import { canDelete, canEdit } from '../logic/permissions';
import { RealtimeState } from './realtime.svelte';
import { PresenceState } from './presence.svelte';
import { ThreadView } from './thread.svelte';
import { UploadQueue } from './uploads.svelte';
import { startUpload } from '../api/uploads';
import { SessionState } from './session.svelte';
import { ThemeState } from './theme.svelte';
import { TimelineState } from './timeline.svelte';
import { UiState, type EditPlace } from './ui.svelte';
import { WorkspaceState } from './workspace.svelte';

export const DEV_EMAIL = 'local@clickclack.chat';
const PAGE = 50;

export interface ChatDeps {
  api: Api;
  storage: DraftStorage;
  location: { protocol: string; host: string; hostname: string; pathname: string; search: string };
  history?: { pushState(data: unknown, unused: string, url: string): void; replaceState(data: unknown, unused: string, url: string): void };
  openSocket?: (url: string) => SocketLike;
  env?: Environment | null;
  isVisible?: () => boolean;
  now?: () => number;
  cursorStore?: (userId: string) => CursorStore;
  upload?: typeof startUpload;
}

export class Chat {
  readonly session = new SessionState();
  readonly ws = new WorkspaceState();
  readonly timeline = new TimelineState();
  readonly rt = new RealtimeState();
  readonly ui = new UiState();
  readonly theme = new ThemeState();
  readonly thread: ThreadView;
  readonly presence: PresenceState;
  route = $state<Route>({ name: 'home' });
  /** Whether the open timeline is scrolled to its newest message (set by the view). */
  atBottom = $state(true);

  #d: ChatDeps;
  #api: Api;
  #conn: RealtimeConnection | null = null;
  #drafts: Drafts | null = null;
  #typing = new TypingTracker();
  #throttle = new Throttle();
  #typingTimer: ReturnType<typeof setTimeout> | null = null;
  #workspaceGen = 0;

  constructor(deps: ChatDeps) {
    this.#d = deps;
    this.#api = deps.api;
    this.thread = new ThreadView({
      api: deps.api,
      ui: this.ui,
      remember: (users) => this.ws.rememberUsers(users),
      fail: (err) => {
        this.#guard(err);
        return errorText(err);
      },
      spread: (state) => this.#mapEverywhere((list) => withThreadState(list, state)),
    });
    this.presence = new PresenceState({
      api: deps.api,
      now: () => this.#now(),
      visible: () => this.#visible(),
      meId: () => this.session.me?.id ?? null,
    });
  }

  /** Asked by the sign-in page: the server decides whether this browser may use the
   *  one-click dev sign-in (dev bootstrap + a loopback request) and whether links are mailed. */
  signInMethods = $state<SignInMethods | null>(null);

  async loadSignInMethods(): Promise<void> {
    try {
      this.signInMethods = await this.#api.signInMethods();
    } catch {
      this.signInMethods = null; // the form still works; the page just offers less
    }
  }

  #now(): number {
    return (this.#d.now ?? Date.now)();
  }

  #visible(): boolean {
    return this.#d.isVisible?.() ?? true;
  }

  #get(key: string): string | null {
    try {
      return this.#d.storage.getItem(key);
    } catch {
      return null;
    }
  }

  #put(key: string, value: string): void {
    try {
      this.#d.storage.setItem(key, value);
    } catch {
      /* ignore */
    }
  }

  // --- routing -------------------------------------------------------------------------------

  navigate(route: Route, replace = false): void {
    this.route = route;
    const url = formatRoute(route);
    const h = this.#d.history;
    if (!h) return;
    if (replace) h.replaceState(null, '', url);
    else h.pushState(null, '', url);
  }

  /** Back/forward buttons. */
  async onPopState(pathname: string, search: string): Promise<void> {
    const route = parseRoute(pathname, search);
    this.route = route;
    if (this.session.status !== 'signed-in') return;
    if (route.name === 'channel' || route.name === 'workspace' || route.name === 'dm') {
      const w = findByRef(this.ws.list, route.workspace);
      if (!w) return;
      const ref = route.name === 'channel' ? route.channel : route.name === 'dm' ? route.dm : null;
      if (w.id !== this.ws.currentId) await this.openWorkspace(w.id, ref, false);
      else if (ref) {
        const c = findByRef(this.ws.channels, ref) ?? findByRef(this.ws.dms, ref);
        if (c) await this.openConversation(c.id, false);
      }
    }
  }

  // --- session ------------------------------------------------------------------------------

  async boot(): Promise<void> {
    this.route = parseRoute(this.#d.location.pathname, this.#d.location.search);
    if (this.route.name === 'login') {
      // The sign-in page, always (also to switch accounts); a magic link is consumed at once.
      if (this.route.magicToken) await this.consumeMagicLink(this.route.magicToken);
      else this.session.status = 'signed-out';
      return;
    }
    await this.#loadMe();
  }

  async #loadMe(): Promise<void> {
    this.session.status = 'loading';
    try {
      const me = await this.#api.me();
      await this.#signedIn(me);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.#signedOut('');
      else {
        this.session.status = 'unreachable';
        this.session.error = errorText(err);
      }
    }
  }

  retryBoot(): Promise<void> {
    return this.#loadMe();
  }

  async #signedIn(me: User): Promise<void> {
    this.session.me = me;
    this.session.error = '';
    this.session.notice = '';
    this.session.status = 'signed-in';
    this.ws.rememberUsers([me]);
    this.#drafts = new Drafts(this.#d.storage, me.id);
    if (this.route.name === 'login') this.navigate({ name: 'home' }, true);
    await this.reloadWorkspaces(true);
  }

  #signedOut(message: string): void {
    this.#stopRealtime();
    this.session.status = 'signed-out';
    this.session.me = null;
    this.session.error = message;
    this.ws.list = [];
    this.ws.listLoaded = false;
    this.ws.channels = [];
    this.ws.dms = [];
    this.ws.currentId = null;
    this.ws.currentConvId = null;
    this.ui.panel = null;
    this.timeline.reset();
  }

  /** Email a sign-in link.  A dev-bootstrap server on loopback answers with the token itself, so
   *  the link is consumed at once (one click). */
  async requestMagicLink(email: string, displayName = ''): Promise<void> {
    this.session.busy = true;
    this.session.error = '';
    this.session.notice = '';
    try {
      const { token } = await this.#api.requestMagicLink(email.trim(), displayName.trim());
      if (token) await this.consumeMagicLink(token);
      else this.session.notice = `If ${email.trim()} may sign in here, a sign-in link is on its way. Open it in this browser.`;
    } catch (err) {
      this.session.error =
        err instanceof ApiError && err.status === 501
          ? 'This server does not send sign-in links. Ask an operator for one (clickclack admin magic-link create).'
          : errorText(err);
    } finally {
      this.session.busy = false;
    }
  }

  signInLocally(): Promise<void> {
    return this.requestMagicLink(DEV_EMAIL);
  }

  async consumeMagicLink(token: string): Promise<void> {
    this.session.busy = true;
    this.session.error = '';
    try {
      const me = await this.#api.consumeMagicLink(token);
      this.navigate({ name: 'home' }, true);
      await this.#signedIn(me);
    } catch (err) {
      this.navigate({ name: 'login', magicToken: null }, true);
      this.session.status = 'signed-out';
      this.session.error =
        err instanceof ApiError && err.status === 400
          ? 'That sign-in link is invalid, used or expired. Ask for a new one.'
          : errorText(err);
    } finally {
      this.session.busy = false;
    }
  }

  async signOut(): Promise<void> {
    try {
      await this.#api.logout();
    } catch {
      /* the cookie is cleared anyway when the server answers; offline: forget locally */
    }
    this.#signedOut('');
    this.session.notice = 'You are signed out.';
    this.navigate({ name: 'login', magicToken: null });
  }

  /** Any 401 from the API means the session is gone. */
  #guard(err: unknown): void {
    if (err instanceof ApiError && err.status === 401) {
      this.#signedOut('Your session has ended. Sign in again.');
      this.navigate({ name: 'login', magicToken: null }, true);
    }
  }

  // --- workspaces -----------------------------------------------------------------------------

  async reloadWorkspaces(open = false): Promise<void> {
    try {
      this.ws.list = await this.#api.workspaces();
      this.ws.listLoaded = true;
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
      return;
    }
    if (!open && this.ws.list.some((w) => w.id === this.ws.currentId)) return;
    const me = this.session.me;
    const r = this.route;
    const wanted =
      (r.name === 'workspace' || r.name === 'channel' || r.name === 'dm' ? findByRef(this.ws.list, r.workspace) : undefined) ??
      this.ws.list.find((w) => me && w.id === this.#get(`clickclack:last-workspace:${me.id}`)) ??
      this.ws.list[0];
    if (!wanted) {
      this.#stopRealtime();
      this.ws.currentId = null;
      return;
    }
    await this.openWorkspace(wanted.id, r.name === 'channel' ? r.channel : r.name === 'dm' ? r.dm : null, false);
  }

  async createWorkspace(name: string): Promise<boolean> {
    try {
      const w = await this.#api.createWorkspace(name.trim());
      this.ws.list = [...this.ws.list, w];
      await this.openWorkspace(w.id, null);
      return true;
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
      return false;
    }
  }

  async openWorkspace(workspaceId: string, channelRef: string | null = null, push = true): Promise<void> {
    const me = this.session.me;
    if (!me) return;
    const gen = ++this.#workspaceGen;
    this.#stopRealtime();
    this.ws.currentId = workspaceId;
    this.ws.channels = [];
    this.ws.channelsLoaded = false;
    this.ws.dms = [];
    this.ws.members = [];
    this.ws.pinned = {};
    this.ws.unread = {};
    this.ws.currentConvId = null;
    this.ui.panel = null;
    this.ui.editingId = null;
    this.thread.reset(null);
    this.timeline.reset();
    this.ui.drawerOpen = false;
    this.#put(`clickclack:last-workspace:${me.id}`, workspaceId);
    this.#wantedChannel = channelRef;
    this.#pushRoute = push;
    const conn = new RealtimeConnection({
      workspaceId,
      url: (ws, after) => realtimeUrl(this.#d.location, ws, after),
      openSocket: this.#d.openSocket ?? browserSocket,
      fetchTail: () => this.#api.tailCursor(workspaceId),
      resync: () => this.#reloadWorkspace(workspaceId, gen),
      apply: (e) => this.applyEvent(e),
      cursors: (this.#d.cursorStore ?? ((u) => new LocalCursorStore(this.#d.storage, u)))(me.id),
      env: this.#d.env ?? null,
      onState: (state, info) => {
        if (gen !== this.#workspaceGen) return;
        this.rt.state = state;
        this.rt.attempt = info.attempt;
        this.rt.retryInMs = info.retryInMs ?? 0;
        if (state === 'open') this.presence.connected(workspaceId);
        if (state === 'denied') void this.#onDenied();
      },
      onError: (err) => this.#guard(err),
    });
    this.#conn = conn;
    await conn.start();
  }

  #wantedChannel: string | null = null;
  #pushRoute = false;

  /** (Re)load the workspace's REST state: channels, unread counts and the open timeline.  Run
   *  at start and after a 4001 resync. */
  async #reloadWorkspace(workspaceId: string, gen: number): Promise<void> {
    const [channels, dms] = await Promise.all([
      this.#api.channels(workspaceId),
      this.#api.dms(workspaceId).catch(() => [] as DirectConversation[]),
    ]);
    if (gen !== this.#workspaceGen) return;
    this.#setChannels(channels);
    this.#setDms(dms);
    void this.#loadMembers(workspaceId);
    const wanted = this.#wantedChannel;
    this.#wantedChannel = null;
    const me = this.session.me;
    const pick =
      (wanted ? findByRef(channels, wanted) ?? findByRef(dms, wanted) : undefined) ??
      channels.find((c) => c.id === this.ws.currentConvId) ??
      dms.find((d) => d.id === this.ws.currentConvId) ??
      channels.find((c) => me && c.id === this.#get(`clickclack:last-channel:${me.id}:${workspaceId}`)) ??
      channels.find((c) => c.name === 'general') ??
      channels[0];
    const reopen = pick && pick.id === this.ws.currentConvId;
    this.timeline.reset();
    if (this.thread.rootId) void this.thread.reload();
    if (pick) await this.openConversation(pick.id, this.#pushRoute && !reopen, reopen);
    else this.ws.currentConvId = null;
    this.#pushRoute = false;
  }

  #setChannels(channels: typeof this.ws.channels): void {
    this.ws.channels = channels;
    this.ws.channelsLoaded = true;
    const unread: typeof this.ws.unread = {};
    for (const [id, u] of Object.entries(this.ws.unread)) if (isDm(id)) unread[id] = u;
    for (const c of channels) unread[c.id] = fromChannel(c, 0);
    this.ws.unread = unread;
  }

  #setDms(dms: DirectConversation[]): void {
    const old = this.ws.unread;
    const unread = { ...old };
    for (const d of dms) {
      const fresh = fromChannel(d, old[d.id]?.readSeq ?? 0);
      const prev = old[d.id];
      unread[d.id] = prev && prev.lastSeq > fresh.lastSeq ? prev : fresh;
    }
    this.ws.dms = dms;
    this.ws.rememberUsers(dms.flatMap((d) => d.members));
    this.ws.unread = unread;
  }

  async reloadDms(): Promise<void> {
    const id = this.ws.currentId;
    if (!id) return;
    try {
      const dms = await this.#api.dms(id);
      if (id === this.ws.currentId) this.#setDms(dms);
    } catch (err) {
      this.#guard(err);
    }
  }

  async reloadChannels(): Promise<void> {
    const id = this.ws.currentId;
    if (!id) return;
    const channels = await this.#api.channels(id);
    if (id !== this.ws.currentId) return;
    const old = this.ws.unread;
    this.ws.channels = channels;
    const unread: typeof this.ws.unread = {};
    for (const [cid, u] of Object.entries(old)) if (isDm(cid)) unread[cid] = u;
    for (const c of channels) {
      const fresh = fromChannel(c, old[c.id]?.readSeq ?? 0);
      const prev = old[c.id];
      // Keep what live events already told us if it is newer than the list.
      unread[c.id] = prev && prev.lastSeq > fresh.lastSeq ? prev : fresh;
    }
    this.ws.unread = unread;
  }

  #lookedUp = new Set<string>();

  async #loadMembers(workspaceId: string): Promise<void> {
    try {
      const users = await this.#api.members(workspaceId);
      if (workspaceId !== this.ws.currentId) return;
      this.ws.rememberUsers(users);
      this.ws.members = users;
    } catch {
      /* names fall back to "Someone" */
    }
  }

  async #onDenied(): Promise<void> {
    try {
      await this.#api.me();
    } catch (err) {
      this.#guard(err);
      return;
    }
    await this.reloadWorkspaces(true);
  }

  #stopRealtime(): void {
    this.presence.stop();
    this.#conn?.stop();
    this.#conn = null;
    this.rt.state = 'idle';
  }

  /** Reconnect the realtime feed now (e.g. a "retry now" button). */
  reconnect(): void {
    this.#conn?.reconnectNow();
  }

  // --- channels -------------------------------------------------------------------------------

  async createChannel(name: string): Promise<boolean> {
    const wsId = this.ws.currentId;
    if (!wsId) return false;
    try {
      const c = await this.#api.createChannel(wsId, name);
      if (!this.ws.channels.some((x) => x.id === c.id)) {
        this.ws.channels = [...this.ws.channels, c].sort((a, b) => a.name.localeCompare(b.name));
        this.ws.unread = { ...this.ws.unread, [c.id]: fromChannel(c, 0) };
      }
      await this.openChannel(c.id);
      return true;
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
      return false;
    }
  }

  /** Open a channel (kept for callers that only know channels). */
  openChannel(channelId: string, push = true, reload = false): Promise<void> {
    return this.openConversation(channelId, push, reload);
  }

  /** Open a conversation: a channel or a DM (one code path; only the route and title differ). */
  async openConversation(channelId: string, push = true, reload = false, around: number | null = null): Promise<void> {
    const ws = this.ws.current;
    const channel = this.ws.channels.find((c) => c.id === channelId);
    const dm = channel ? undefined : this.ws.dms.find((d) => d.id === channelId);
    if (!ws || (!channel && !dm)) return;
    const switching = this.ws.currentConvId !== channelId;
    this.ws.currentConvId = channelId;
    this.ui.drawerOpen = false;
    if (switching) {
      this.ui.editingId = null;
      if (this.ui.panel?.kind === 'pins') this.ui.panel = channel ? { kind: 'pins', channelId } : null;
    }
    this.timeline.loadError = '';
    const me = this.session.me;
    if (me) this.#put(`clickclack:last-channel:${me.id}:${ws.id}`, channelId);
    const route: Route = channel
      ? { name: 'channel', workspace: ws.route_id, channel: channel.route_id }
      : { name: 'dm', workspace: ws.route_id, dm: dm!.route_id };
    if (push) this.navigate(route);
    else this.navigate(route, true);
    const unread = this.ws.unread[channelId];
    if (switching || reload || this.timeline.dividerAfter[channelId] === undefined) {
      this.timeline.dividerAfter = { ...this.timeline.dividerAfter, [channelId]: unread?.readSeq ?? 0 };
    }
    const t = this.timeline.get(channelId);
    if (channel && switching) void this.#loadPins(channelId);
    try {
      if (around !== null) await this.#loadAround(channelId, around);
      else if (!t.loaded || reload) await this.#loadLatest(channelId);
      else if (!t.hasNewer && unread && (newestSeq(t) ?? 0) < unread.lastSeq) await this.#fetchNewer(channelId);
    } catch (err) {
      this.#guard(err);
      this.timeline.loadError = errorText(err);
      return;
    }
    if (this.ws.currentConvId !== channelId) return;
    const after = this.timeline.dividerAfter[channelId] ?? 0;
    const tl = this.timeline.get(channelId);
    const hasUnreadInWindow = firstUnreadIndex(tl.messages, after, me?.id ?? null) >= 0;
    if (around !== null) this.timeline.requestScroll(channelId, { kind: 'seq', seq: around });
    else this.timeline.requestScroll(channelId, hasUnreadInWindow ? { kind: 'unread' } : { kind: 'bottom' });
    const title = channel ? `#${channel.name}` : dmTitle(dm!, me?.id ?? null);
    this.ui.announcement = `${title}${unread && unread.unread ? `, ${unread.unread} unread` : ''}`;
    this.#markReadIfViewing(channelId);
  }

  async #loadAround(channelId: string, seq: number): Promise<void> {
    const page = await this.#api.messages(channelId, { around_seq: seq }, PAGE);
    this.#absorb(channelId, page.messages);
    this.timeline.set(channelId, applyPage(this.timeline.get(channelId), page, 'around'));
  }

  async #loadLatest(channelId: string): Promise<void> {
    const page = await this.#api.messages(channelId, { mode: 'latest' }, PAGE);
    this.#absorb(channelId, page.messages);
    this.timeline.set(channelId, applyPage(this.timeline.get(channelId), page, 'latest'));
  }

  /** Fetch everything after the newest loaded message (a few pages at most; beyond that the
   *  window is left "not live" and the person pages forward). */
  async #fetchNewer(channelId: string): Promise<void> {
    for (let i = 0; i < 4; i++) {
      const t = this.timeline.get(channelId);
      const after = newestSeq(t);
      if (after === null) return this.#loadLatest(channelId);
      const page = await this.#api.messages(channelId, { after_seq: after }, PAGE);
      this.#absorb(channelId, page.messages);
      this.timeline.set(channelId, applyPage(this.timeline.get(channelId), page, 'after'));
      if (!page.has_newer) return;
    }
  }

  #absorb(channelId: string, messages: Message[]): void {
    this.ws.rememberUsers(messages.map((m) => m.author));
    const pending = this.timeline.pendingFor(channelId);
    if (pending.length) this.timeline.setPending(channelId, settle(pending, messages));
  }

  async loadOlder(): Promise<void> {
    const id = this.ws.currentConvId;
    if (!id || this.timeline.loadingOlder) return;
    const t = this.timeline.get(id);
    const before = oldestSeq(t);
    if (!t.hasOlder || before === null) return;
    this.timeline.loadingOlder = true;
    try {
      const page = await this.#api.messages(id, { before_seq: before }, PAGE);
      this.#absorb(id, page.messages);
      this.timeline.set(id, applyPage(this.timeline.get(id), page, 'before'));
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
    } finally {
      this.timeline.loadingOlder = false;
    }
  }

  async loadNewer(): Promise<void> {
    const id = this.ws.currentConvId;
    if (!id || this.timeline.loadingNewer) return;
    const t = this.timeline.get(id);
    const after = newestSeq(t);
    if (!t.hasNewer || after === null) return;
    this.timeline.loadingNewer = true;
    try {
      const page = await this.#api.messages(id, { after_seq: after }, PAGE);
      this.#absorb(id, page.messages);
      this.timeline.set(id, applyPage(this.timeline.get(id), page, 'after'));
      this.#markReadIfViewing(id);
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
    } finally {
      this.timeline.loadingNewer = false;
    }
  }

  async jumpToLatest(): Promise<void> {
    const id = this.ws.currentConvId;
    if (!id) return;
    if (this.timeline.get(id).hasNewer) {
      try {
        await this.#loadLatest(id);
      } catch (err) {
        this.#guard(err);
        this.ui.toast = errorText(err);
        return;
      }
    }
    this.timeline.requestScroll(id, { kind: 'bottom' });
    this.#markReadIfViewing(id);
  }

  async jumpToFirstUnread(): Promise<void> {
    const id = this.ws.currentConvId;
    if (!id) return;
    const after = this.timeline.dividerAfter[id] ?? 0;
    const t = this.timeline.get(id);
    const first = oldestSeq(t);
    if (first === null || first > after + 1) {
      try {
        const page = await this.#api.messages(id, { around_seq: after + 1 }, PAGE);
        this.#absorb(id, page.messages);
        this.timeline.set(id, applyPage(t, page, 'around'));
      } catch (err) {
        this.#guard(err);
        this.ui.toast = errorText(err);
        return;
      }
    }
    this.timeline.requestScroll(id, { kind: 'unread' });
  }

  /** Esc: everything in the open channel is read; the divider goes away. */
  markCurrentRead(): void {
    const id = this.ws.currentConvId;
    if (!id) return;
    const u = this.ws.unread[id];
    if (u) this.timeline.dividerAfter = { ...this.timeline.dividerAfter, [id]: u.lastSeq };
    this.#markRead(id);
  }

  #markReadIfViewing(channelId: string): void {
    if (channelId !== this.ws.currentConvId || !this.#visible()) return;
    const t = this.timeline.get(channelId);
    if (!t.loaded || t.hasNewer) return;
    this.#markRead(channelId);
  }

  /** The view reports scroll position; reaching the bottom of a live window reads it. */
  setAtBottom(atBottom: boolean): void {
    this.atBottom = atBottom;
    if (atBottom && this.ws.currentConvId) this.#markReadIfViewing(this.ws.currentConvId);
  }

  /** The tab came back into view. */
  onVisible(): void {
    this.presence.onVisible();
    if (this.ws.currentConvId && this.atBottom) this.#markReadIfViewing(this.ws.currentConvId);
  }

  #markRead(channelId: string): void {
    const u = this.ws.unread[channelId];
    if (!u) return;
    const next = markRead(u);
    if (next === u && u.readSeq >= u.lastSeq) return;
    this.ws.unread = { ...this.ws.unread, [channelId]: next };
    if (next.readSeq > 0) {
      void this.#api.markRead(channelId, next.readSeq).catch((err) => this.#guard(err));
    }
  }

  unreadDividerAfter(channelId: string | null): number | null {
    if (!channelId) return null;
    return this.timeline.dividerAfter[channelId] ?? null;
  }

  // --- composer -------------------------------------------------------------------------------

  draft(channelId: string): string {
    return this.#drafts?.get(channelId) ?? '';
  }

  saveDraft(channelId: string, text: string): void {
    this.#drafts?.set(channelId, text);
  }

  /** Send a message; `uploadIds` are finished uploads to attach (the body then defaults to
   *  their names, since the server needs a body). */
  async send(channelId: string, text: string, uploads: { id: string; filename: string }[] = []): Promise<void> {
    const body = text.trim() || uploads.map((u) => u.filename).join(', ');
    if (!body) return;
    const uploadIds = uploads.map((u) => u.id);
    const nonce = newNonce();
    this.timeline.setPending(
      channelId,
      addPending(this.timeline.pendingFor(channelId), {
        nonce, channelId, body, createdAt: new Date(this.#now()).toISOString(), status: 'sending',
      }),
    );
    this.#drafts?.clear(channelId);
    this.#throttle.reset(channelId);
    this.timeline.requestScroll(channelId, { kind: 'bottom' });
    if (uploadIds.length) this.#pendingUploads.set(nonce, uploadIds);
    await this.#post(channelId, body, nonce);
  }

  #pendingUploads = new Map<string, string[]>();

  async retry(channelId: string, nonce: string): Promise<void> {
    const p = this.timeline.pendingFor(channelId).find((x) => x.nonce === nonce);
    if (!p) return;
    this.timeline.setPending(channelId, markSending(this.timeline.pendingFor(channelId), nonce));
    await this.#post(channelId, p.body, nonce);
  }

  discard(channelId: string, nonce: string): void {
    this.timeline.setPending(channelId, removePending(this.timeline.pendingFor(channelId), nonce));
  }

  async #post(channelId: string, body: string, nonce: string): Promise<void> {
    let message: Message;
    const uploadIds = this.#pendingUploads.get(nonce) ?? [];
    try {
      message = await this.#api.postMessage(channelId, body, nonce, uploadIds[0]);
      if (uploadIds.length > 1) {
        for (const id of uploadIds.slice(1)) await this.#api.attach(message.id, id);
        message = await this.#api.message(message.id);
      }
      this.#pendingUploads.delete(nonce);
    } catch (err) {
      this.#guard(err);
      this.timeline.setPending(channelId, markFailed(this.timeline.pendingFor(channelId), nonce, errorText(err)));
      return;
    }
    this.#absorb(channelId, [message]);
    this.timeline.setPending(channelId, removePending(this.timeline.pendingFor(channelId), nonce));
    const t = this.timeline.get(channelId);
    if (t.loaded && !t.hasNewer) this.timeline.set(channelId, addLive(t, message));
    const u = this.ws.unread[channelId];
    if (u && message.channel_seq != null) {
      this.ws.unread = { ...this.ws.unread, [channelId]: onMessage(u, message.channel_seq, true) };
    }
    if (channelId === this.ws.currentConvId) {
      this.timeline.requestScroll(channelId, { kind: 'bottom' });
      this.#markReadIfViewing(channelId);
    }
  }

  /** Called on input in the composer: tells others you are typing (throttled). */
  typed(channelId: string): void {
    const wsId = this.ws.currentId;
    if (!wsId || !this.#throttle.ready(channelId, this.#now())) return;
    void this.#api.ephemeral(wsId, 'typing.started', channelId).catch(() => undefined);
  }

  /** A composer's file list; files upload into the current workspace. */
  newUploadQueue(): UploadQueue {
    const start = this.#d.upload ?? startUpload;
    return new UploadQueue((file, nonce, onprogress) =>
      start({ workspaceId: this.ws.currentId ?? '', file, nonce, onprogress }));
  }

  typingLine(channelId: string | null): string {
    void this.rt.typingVersion; // reactive dependency
    if (!channelId) return '';
    const ids = this.#typing.active(channelId, this.#now(), this.session.me?.id ?? null);
    return typingText(ids.map((id) => this.ws.users[id]?.display_name || 'Someone'));
  }

  #touchTyping(): void {
    this.rt.typingVersion++;
    if (this.#typingTimer) clearTimeout(this.#typingTimer);
    const next = this.#typing.nextExpiry();
    if (next !== null) {
      this.#typingTimer = setTimeout(() => this.#touchTyping(), Math.max(50, next - this.#now() + 20));
    }
  }

  // --- realtime events ------------------------------------------------------------------------

  /** Apply one event (idempotent: replays must not change the result). */
  async applyEvent(e: WireEvent): Promise<void> {
    if (e.workspace_id !== this.ws.currentId) return;
    const p = (e.payload ?? {}) as Record<string, unknown>;
    const str = (k: string): string => (typeof p[k] === 'string' ? (p[k] as string) : '');
    const dmId = str('direct_conversation_id') || null;
    // The conversation: a channel, or a DM (DM events carry no channel_id).
    const channelId = e.channel_id || str('channel_id') || dmId;
    switch (e.type) {
      case 'message.created': {
        if (!channelId) return;
        if (dmId ? !this.ws.dms.some((d) => d.id === dmId) : !this.ws.channels.some((c) => c.id === channelId)) {
          if (dmId) await this.reloadDms();
          else await this.reloadChannels();
        }
        const author = str('author_id');
        const byMe = author === this.session.me?.id;
        this.#typing.stopped(channelId, author);
        this.#touchTyping();
        const u = this.ws.unread[channelId];
        if (u && e.seq != null) this.ws.unread = { ...this.ws.unread, [channelId]: onMessage(u, e.seq, byMe) };
        if (!byMe && channelId !== this.ws.currentConvId) this.#refreshCountsSoon();
        const t = this.timeline.get(channelId);
        if (t.loaded && needsCatchUp(t, e.seq)) {
          await this.#fetchNewer(channelId);
          if (channelId === this.ws.currentConvId && this.atBottom) this.#markReadIfViewing(channelId);
        }
        return;
      }
      case 'message.updated':
      case 'message.deleted': {
        const id = str('message_id');
        if (!id || !this.#showing(id)) return;
        let fresh: Message;
        try {
          fresh = await this.#api.message(id);
        } catch (err) {
          this.#guard(err);
          return;
        }
        this.#replaceEverywhere(fresh);
        if (fresh.deleted_at && this.ui.editingId === id) this.ui.editingId = null;
        return;
      }
      case 'thread.reply_created': {
        const root = str('root_message_id');
        if (root) await this.thread.onReplyCreated(root);
        return;
      }
      case 'thread.state_updated': {
        const root = str('root_message_id');
        if (!root || !this.#showing(root)) return;
        try {
          const page = await this.#api.thread(root, { latest: true }, 1);
          this.#mapEverywhere((list) => withThreadState(list, page.thread_state));
        } catch (err) {
          this.#guard(err);
        }
        return;
      }
      case 'reaction.added':
      case 'reaction.removed': {
        const id = str('message_id');
        const emoji = str('emoji');
        if (!id || !emoji) return;
        const count = typeof p.count === 'number' ? p.count : 0;
        const mine = str('user_id') === this.session.me?.id;
        const added = e.type === 'reaction.added';
        this.#mapEverywhere((list) => withReactions(list, id, (r) => applyReaction(r, emoji, count, added, mine)));
        return;
      }
      case 'pin.added':
      case 'pin.removed': {
        const id = str('message_id');
        if (channelId && id) this.#setPinned(channelId, id, e.type === 'pin.added');
        return;
      }
      case 'channel.created':
      case 'channel.updated':
        await this.reloadChannels();
        return;
      case 'channel.read':
      case 'dm.read': {
        if (!channelId || p.user_id !== this.session.me?.id || e.seq == null) return;
        const u = this.ws.unread[channelId];
        if (u) this.ws.unread = { ...this.ws.unread, [channelId]: markRead(u, e.seq) };
        return;
      }
      case 'typing.started':
      case 'typing.stopped': {
        const user = str('user_id');
        if (!channelId || !user) return;
        if (e.type === 'typing.started') {
          this.#typing.started(channelId, user, this.#now());
          this.#lookUp(user);
        }
        else this.#typing.stopped(channelId, user);
        this.#touchTyping();
        return;
      }
      case 'presence.changed': {
        const user = str('user_id');
        if (!user || user === this.session.me?.id) return;
        this.presence.seen(user, str('status'), str('hello') === '1' ? 'hello' : str('reply') === '1' ? 'reply' : '');
        this.#lookUp(user);
        return;
      }
      case 'workspace.updated':
        await this.reloadWorkspaces();
        return;
      default:
        return;
    }
  }

  #lookUp(user: string): void {
    if (!this.ws.users[user] && !this.#lookedUp.has(user) && this.ws.currentId) {
      this.#lookedUp.add(user); // a newcomer: refresh the directory once for them
      void this.#loadMembers(this.ws.currentId);
    }
  }

  #countsTimer: ReturnType<typeof setTimeout> | null = null;

  /** Someone wrote elsewhere: refresh the lists soon for mention counts (debounced). */
  #refreshCountsSoon(): void {
    if (this.#countsTimer) return;
    this.#countsTimer = setTimeout(() => {
      this.#countsTimer = null;
      void this.reloadChannels().catch((err) => this.#guard(err));
      void this.reloadDms();
    }, 800);
  }

  // --- messages on screen: one place to change them wherever they show ----------------------

  /** Apply a change to every list a message can be in: the loaded timelines and the thread. */
  #mapEverywhere(f: (list: Message[]) => Message[]): void {
    const by = this.timeline.byChannel;
    let next: typeof by | null = null;
    for (const [id, t] of Object.entries(by)) {
      const messages = f(t.messages);
      if (messages !== t.messages) (next ??= { ...by })[id] = { ...t, messages };
    }
    if (next) this.timeline.byChannel = next;
    const root = this.thread.root;
    if (root) {
      const [r] = f([root]);
      if (r && r !== root) this.thread.root = r;
    }
    const replies = f(this.thread.replies);
    if (replies !== this.thread.replies) this.thread.replies = replies;
  }

  #replaceEverywhere(fresh: Message): void {
    this.ws.rememberUsers([fresh.author]);
    this.#mapEverywhere((list) => replaceMessage(list, fresh));
  }

  #showing(id: string): boolean {
    if (this.thread.root?.id === id || this.thread.replies.some((m) => m.id === id)) return true;
    return Object.values(this.timeline.byChannel).some((t) => t.messages.some((m) => m.id === id));
  }

  // --- edit and delete ----------------------------------------------------------------------

  /** Edit a message inline, in the timeline or in the thread panel (where its row is). */
  startEdit(messageId: string, place: EditPlace = 'timeline'): void {
    this.ui.editingId = messageId;
    this.ui.editingIn = place;
  }

  cancelEdit(): void {
    this.ui.editingId = null;
  }

  /** Up arrow in an empty composer: edit my newest message in this conversation. */
  editLast(conversationId: string): boolean {
    return this.#editLastOf(this.timeline.get(conversationId).messages, 'timeline');
  }

  /** Up arrow in an empty thread reply box: edit my newest reply in that (open) thread. */
  editLastReply(rootId: string): boolean {
    if (this.thread.rootId !== rootId) return false;
    return this.#editLastOf(this.thread.replies, 'thread');
  }

  #editLastOf(list: Message[], place: EditPlace): boolean {
    const m = lastOwnMessage(list, this.session.me?.id ?? null);
    if (!m) return false;
    this.startEdit(m.id, place);
    return true;
  }

  async saveEdit(messageId: string, text: string): Promise<boolean> {
    const body = text.trim();
    if (!body) return false;
    try {
      const fresh = await this.#api.editMessage(messageId, body);
      this.#replaceEverywhere(fresh);
      if (this.ui.editingId === messageId) this.ui.editingId = null;
      return true;
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
      return false;
    }
  }

  canEdit(m: Message): boolean {
    return canEdit(m, this.session.me?.id ?? null);
  }

  canDelete(m: Message): boolean {
    return canDelete(m, this.session.me?.id ?? null, this.ws.current?.role);
  }

  async deleteMessage(messageId: string): Promise<void> {
    try {
      const fresh = await this.#api.deleteMessage(messageId);
      this.#replaceEverywhere(fresh);
      if (this.ui.editingId === messageId) this.ui.editingId = null;
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
    }
  }

  // --- reactions and pins -------------------------------------------------------------------

  /** A chip: add my reaction, or take it back. */
  async toggleReaction(m: Message, emoji: string): Promise<void> {
    const mine = m.reactions?.some((r) => r.emoji === emoji && r.reacted_by_me) ?? false;
    await this.#react(m.id, emoji, !mine);
  }

  /** The emoji picker: add (picking one I already used changes nothing). */
  async react(m: Message, emoji: string): Promise<void> {
    await this.#react(m.id, emoji, true);
  }

  async #react(messageId: string, emoji: string, add: boolean): Promise<void> {
    try {
      const reactions = add ? await this.#api.react(messageId, emoji) : await this.#api.unreact(messageId, emoji);
      this.#mapEverywhere((list) => withReactions(list, messageId, () => reactions));
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
    }
  }

  isPinned(m: Message): boolean {
    return !!m.channel_id && (this.ws.pinned[m.channel_id]?.includes(m.id) ?? false);
  }

  async togglePin(m: Message): Promise<void> {
    const channelId = m.channel_id;
    if (!channelId) return;
    const pinned = this.isPinned(m);
    try {
      if (pinned) await this.#api.unpin(channelId, m.id);
      else await this.#api.pin(channelId, m.id);
      this.#setPinned(channelId, m.id, !pinned);
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
    }
  }

  #setPinned(channelId: string, messageId: string, on: boolean): void {
    const cur = this.ws.pinned[channelId] ?? [];
    if (cur.includes(messageId) === on) return;
    const next = on ? [messageId, ...cur] : cur.filter((x) => x !== messageId);
    this.ws.pinned = { ...this.ws.pinned, [channelId]: next };
  }

  async #loadPins(channelId: string): Promise<void> {
    try {
      const messages = await this.#api.pins(channelId);
      this.ws.pinned = { ...this.ws.pinned, [channelId]: messages.map((m) => m.id) };
    } catch {
      /* the pin button then offers "Pin"; the server answers 409 if it already is */
    }
  }

  // --- jumping to a message (search results, links) -----------------------------------------

  #highlightTimer: ReturnType<typeof setTimeout> | null = null;

  /** Open a conversation around a message, scroll to it and highlight it briefly; open its
   *  thread when it is (in) one. */
  async jumpToMessage(t: {
    kind: 'channel' | 'dm'; conversationId: string; messageId: string; seq: number; threadRootId?: string | null;
  }): Promise<void> {
    const convId = t.conversationId;
    if (t.kind === 'dm' && !this.ws.dms.some((d) => d.id === convId)) {
      try {
        const dm = await this.#api.dm(convId);
        this.#setDms([...this.ws.dms.filter((d) => d.id !== dm.id), dm]);
      } catch (err) {
        this.#guard(err);
        this.ui.toast = errorText(err);
        return;
      }
    }
    const root = t.threadRootId && t.threadRootId !== t.messageId ? t.threadRootId : null;
    const targetInTimeline = root ?? t.messageId;
    const loaded = this.timeline.get(convId).messages.some((m) => m.id === targetInTimeline);
    let seq = root ? 0 : t.seq; // a reply has no place in the timeline: its root has
    if (!loaded && !seq) {
      try {
        seq = (await this.#api.message(targetInTimeline)).channel_seq ?? 0;
      } catch (err) {
        this.#guard(err);
      }
    }
    await this.openConversation(convId, true, false, loaded || !seq ? null : seq);
    if (this.ws.currentConvId !== convId) return;
    this.timeline.requestScroll(convId, { kind: 'message', id: targetInTimeline });
    this.#highlight(targetInTimeline);
    if (t.threadRootId) {
      await this.thread.open(t.threadRootId);
      if (root) this.#highlight(t.messageId);
    }
  }

  #highlight(messageId: string): void {
    this.ui.highlightId = messageId;
    if (this.#highlightTimer) clearTimeout(this.#highlightTimer);
    this.#highlightTimer = setTimeout(() => {
      if (this.ui.highlightId === messageId) this.ui.highlightId = null;
    }, 2500);
  }

  // --- direct messages ----------------------------------------------------------------------

  /** Start (or reopen) a DM with these people and open it. */
  async startDm(memberIds: string[]): Promise<boolean> {
    const wsId = this.ws.currentId;
    if (!wsId || memberIds.length === 0) return false;
    try {
      const created = await this.#api.createDm(wsId, memberIds);
      // The create answer has zero-valued counters: take the list's copy.
      const dms = await this.#api.dms(wsId);
      this.#setDms(dms.some((d) => d.id === created.id) ? dms : [...dms, created]);
      await this.openConversation(created.id);
      return true;
    } catch (err) {
      this.#guard(err);
      this.ui.toast = errorText(err);
      return false;
    }
  }

  dmTitle(dm: DirectConversation): string {
    return dmTitle(dm, this.session.me?.id ?? null);
  }

  conversationKind(id: string): 'channel' | 'dm' {
    return kindOf(id);
  }
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
