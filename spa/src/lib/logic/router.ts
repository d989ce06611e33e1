// App routes (history API; the server answers every non-API path with index.html):
//   /                         -> the last or first workspace
//   /login[?magic_token=…]    -> sign in (a magic link lands here and is consumed)
//   /w/<workspace>            -> a workspace (its first channel)
//   /w/<workspace>/c/<channel> -> a channel
//   /w/<workspace>/d/<dm>      -> a direct conversation
// <workspace> and <channel> are route ids (T…, C…) or internal ids (wsp_…, chn_…).

export type Route =
  | { name: 'home' }
  | { name: 'login'; magicToken: string | null }
  | { name: 'workspace'; workspace: string }
  | { name: 'channel'; workspace: string; channel: string }
  | { name: 'dm'; workspace: string; dm: string };

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

export function parseRoute(pathname: string, search = ''): Route {
  const parts = pathname.split('/').filter(Boolean).map(safeDecode);
  if (parts[0] === 'login' && parts.length === 1) {
    const token = new URLSearchParams(search).get('magic_token');
    return { name: 'login', magicToken: token && token.length <= 200 ? token : null };
  }
  if (parts[0] === 'w' && parts[1] && SEGMENT.test(parts[1])) {
    if (parts.length === 2) return { name: 'workspace', workspace: parts[1] };
    if (parts.length === 4 && parts[2] === 'c' && parts[3] && SEGMENT.test(parts[3]))
      return { name: 'channel', workspace: parts[1], channel: parts[3] };
    if (parts.length === 4 && parts[2] === 'd' && parts[3] && SEGMENT.test(parts[3]))
      return { name: 'dm', workspace: parts[1], dm: parts[3] };
  }
  return { name: 'home' };
}

export function formatRoute(route: Route): string {
  switch (route.name) {
    case 'home':
      return '/';
    case 'login':
      return route.magicToken ? `/login?magic_token=${encodeURIComponent(route.magicToken)}` : '/login';
    case 'workspace':
      return `/w/${encodeURIComponent(route.workspace)}`;
    case 'channel':
      return `/w/${encodeURIComponent(route.workspace)}/c/${encodeURIComponent(route.channel)}`;
    case 'dm':
      return `/w/${encodeURIComponent(route.workspace)}/d/${encodeURIComponent(route.dm)}`;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}

/** Find an item by its route id or its internal id. */
export function findByRef<T extends { id: string; route_id: string }>(items: T[], ref: string): T | undefined {
  return items.find((i) => i.route_id === ref) ?? items.find((i) => i.id === ref);
}

/** A plain left click on an app link, which the app handles itself; a modified or middle click
 *  is left to the browser (a new tab or window). */
export function isPlainClick(e: MouseEvent): boolean {
  return !(e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0);
}
