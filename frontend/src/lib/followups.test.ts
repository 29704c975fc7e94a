import { describe, expect, it } from 'vitest';
import { badgeCount, badgeLabel, toLocalInput } from './followups';

describe('badgeCount', () => {
  const now = new Date(2026, 5, 10, 9, 0);
  const at = (d: number, h = 12) => new Date(2026, 5, d, h).toISOString();
  it('counts overdue and due-today open follow-ups only', () => {
    const items = [
      { due_at: at(8), state: 'pending' as const }, // overdue
      { due_at: at(10, 23), state: 'snoozed' as const }, // later today
      { due_at: at(11, 0), state: 'pending' as const }, // tomorrow
      { due_at: at(9), state: 'done' as const },
      { due_at: at(9), state: 'cancelled' as const },
      { due_at: 'garbage', state: 'pending' as const },
    ];
    expect(badgeCount(items, now)).toBe(2);
  });
  it('labels', () => {
    expect(badgeLabel(0)).toBe('');
    expect(badgeLabel(7)).toBe('7');
    expect(badgeLabel(120)).toBe('99+');
  });
  it('formats for datetime-local inputs', () => {
    expect(toLocalInput(new Date(2026, 0, 2, 3, 4).toISOString())).toBe('2026-01-02T03:04');
    expect(toLocalInput('x')).toBe('');
  });
});
