import { describe, expect, it } from 'vitest';
import { defaultRoute, hrefFor, isRouteId, needsCanonicalHash, parseHash, routeIds } from './router';

describe('hash router', () => {
  it('defaults to the board', () => {
    expect(defaultRoute).toBe('board');
    for (const hash of ['', '#', '#/', '#//']) {
      expect(parseHash(hash)).toEqual({ id: 'board', params: [] });
    }
  });

  it('parses every known page', () => {
    for (const id of routeIds) {
      expect(parseHash(`#/${id}`)).toEqual({ id, params: [] });
    }
  });

  it('falls back to the board for unknown pages', () => {
    expect(parseHash('#/nope')).toEqual({ id: 'board', params: [] });
    expect(parseHash('#main-content')).toEqual({ id: 'board', params: [] });
  });

  it('accepts hashes without the leading slash, in any case, with trailing slashes', () => {
    expect(parseHash('#leads').id).toBe('leads');
    expect(parseHash('#/Inbox/').id).toBe('inbox');
  });

  it('keeps extra segments as decoded params and ignores a query part', () => {
    expect(parseHash('#/leads/42/notes')).toEqual({ id: 'leads', params: ['42', 'notes'] });
    expect(parseHash('#/inbox/a%20b?x=1')).toEqual({ id: 'inbox', params: ['a b'] });
    expect(parseHash('#/inbox/%E0%A4%A')).toEqual({ id: 'inbox', params: ['%E0%A4%A'] });
  });

  it('builds hrefs that round-trip', () => {
    expect(hrefFor('follow-ups')).toBe('#/follow-ups');
    expect(hrefFor('leads', '4/2', 'x y')).toBe('#/leads/4%2F2/x%20y');
    expect(parseHash(hrefFor('leads', '4/2', 'x y'))).toEqual({ id: 'leads', params: ['4/2', 'x y'] });
  });

  it('knows when the address bar needs normalising', () => {
    expect(needsCanonicalHash('')).toBe(true);
    expect(needsCanonicalHash('#/unknown')).toBe(true);
    expect(needsCanonicalHash('#/board')).toBe(false);
    expect(needsCanonicalHash('#/leads/7')).toBe(false);
  });

  it('recognises route ids', () => {
    expect(isRouteId('analytics')).toBe(true);
    expect(isRouteId('Analytics')).toBe(false);
  });
});
