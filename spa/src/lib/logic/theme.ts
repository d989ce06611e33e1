// Colour scheme: follow the system (prefers-color-scheme) unless the person picked one.
export type ThemePref = 'system' | 'light' | 'dark';

export function resolveTheme(pref: ThemePref, systemDark: boolean): 'light' | 'dark' {
  if (pref === 'system') return systemDark ? 'dark' : 'light';
  return pref;
}

export function nextPref(pref: ThemePref): ThemePref {
  return pref === 'system' ? 'light' : pref === 'light' ? 'dark' : 'system';
}

export function parsePref(value: string | null): ThemePref {
  return value === 'light' || value === 'dark' ? value : 'system';
}
