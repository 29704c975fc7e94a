// Hash routing kept free of Svelte so it can be unit-tested on its own.
// Hash routes need no server support, which matters because the same bundle
// is loaded from the Wails asset server and from `threadline serve`.

export const routeIds = ['board', 'leads', 'inbox', 'follow-ups', 'analytics', 'settings'] as const;

export type RouteId = (typeof routeIds)[number];

export const defaultRoute: RouteId = 'board';

export interface Route {
  id: RouteId;
  /** Path segments after the page name, e.g. `#/leads/42` → ["42"]. */
  params: string[];
}

export function isRouteId(value: string): value is RouteId {
  return (routeIds as readonly string[]).includes(value);
}

/**
 * Parses `location.hash`. Anything unknown, empty or malformed falls back to the
 * default page so a stale bookmark never leaves the user on a blank screen.
 */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '').replace(/^\/+/, '');
  const path = raw.split(/[?#]/, 1)[0] ?? '';
  const segments = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const [first, ...rest] = segments;
  const id = first?.toLowerCase();
  if (id === undefined || !isRouteId(id)) return { id: defaultRoute, params: [] };
  return { id, params: rest };
}

export function hrefFor(id: RouteId, ...params: string[]): string {
  const tail = params.map((p) => '/' + encodeURIComponent(p)).join('');
  return `#/${id}${tail}`;
}

/** True when the hash is not already the canonical form of the route it resolves to. */
export function needsCanonicalHash(hash: string): boolean {
  const route = parseHash(hash);
  return hrefFor(route.id, ...route.params) !== hash;
}
