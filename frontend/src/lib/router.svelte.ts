import { hrefFor, needsCanonicalHash, parseHash, type Route, type RouteId } from './router';

// Reactive view of the current hash route, shared by the navigation and the
// page outlet so both always agree on where the user is.
class HashRouter {
  current: Route = $state(parseHash(typeof location === 'undefined' ? '' : location.hash));

  #started = false;

  start(): void {
    if (this.#started || typeof window === 'undefined') return;
    this.#started = true;
    this.#sync();
    window.addEventListener('hashchange', () => this.#sync());
  }

  #sync(): void {
    const route = parseHash(location.hash);
    // Normalise so the address bar matches what is shown; replaceState keeps
    // the back button free of an entry for the unknown or empty hash.
    if (needsCanonicalHash(location.hash)) {
      history.replaceState(history.state, '', hrefFor(route.id, ...route.params));
    }
    this.current = route;
  }

  go(id: RouteId, ...params: string[]): void {
    location.hash = hrefFor(id, ...params);
  }
}

export const router = new HashRouter();
