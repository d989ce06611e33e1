import { type ThemePref, nextPref, parsePref, resolveTheme } from '../logic/theme';

const KEY = 'clickclack:theme';

/** Dark mode: the system preference, unless the person picked light or dark (persisted). */
export class ThemeState {
  pref = $state<ThemePref>('system');
  systemDark = $state(false);
  resolved = $derived(resolveTheme(this.pref, this.systemDark));

  init(win: Window): void {
    try {
      this.pref = parsePref(win.localStorage.getItem(KEY));
    } catch {
      this.pref = 'system';
    }
    const mq = win.matchMedia?.('(prefers-color-scheme: dark)');
    if (mq) {
      this.systemDark = mq.matches;
      mq.addEventListener('change', (e) => (this.systemDark = e.matches));
    }
  }

  set(pref: ThemePref, win: Window = window): void {
    this.pref = pref;
    try {
      if (pref === 'system') win.localStorage.removeItem(KEY);
      else win.localStorage.setItem(KEY, pref);
    } catch {
      /* ignore */
    }
  }

  cycle(): void {
    this.set(nextPref(this.pref));
  }
}
