import { describe, expect, it } from 'vitest';
import { interactionMetrics } from './metrics';
import { describeActivity, groupByMonth } from './timeline';
import { moveItem } from './order';
import type { Activity } from './types';

const act = (type: Activity['type'], at: string, extra: Partial<Activity> = {}): Activity => ({
  id: at + type,
  lead_id: 'l',
  type,
  at,
  actor: 'you',
  ...extra,
});

describe('interactionMetrics', () => {
  it('counts mail, response rate and average time to reply', () => {
    const m = interactionMetrics(
      [
        act('email_sent', '2026-11-01T10:00:00Z'),
        act('email_received', '2026-11-01T12:00:00Z'), // 2h
        act('email_sent', '2026-11-02T10:00:00Z'),
        act('email_sent', '2026-11-03T10:00:00Z'), // nudge, unanswered on its own
        act('email_received', '2026-11-03T14:00:00Z'), // 28h after the first unanswered
        act('note_added', '2026-11-04T10:00:00Z'),
      ],
      { created_at: '2026-10-30T00:00:00Z' },
    );
    expect(m.sent).toBe(3);
    expect(m.received).toBe(2);
    expect(m.responseRate).toBeCloseTo(2 / 3);
    expect(m.avgResponseMs).toBe(((2 + 28) / 2) * 3600e3);
    expect(m.lastResponseAt).toBe('2026-11-03T14:00:00Z');
    expect(m.leadSince).toBe('2026-10-30T00:00:00Z');
  });

  it('has no rates without mail', () => {
    const m = interactionMetrics([], { created_at: 'x' });
    expect(m).toMatchObject({ sent: 0, received: 0, responseRate: null, avgResponseMs: null, lastResponseAt: null });
  });
});

describe('timeline', () => {
  it('groups by month keeping newest first', () => {
    const groups = groupByMonth([
      act('note_added', '2026-11-03T10:00:00Z'),
      act('created', '2026-11-01T10:00:00Z'),
      act('created', '2026-10-15T10:00:00Z'),
    ]);
    expect(groups.map((g) => [g.key, g.items.length])).toEqual([
      ['2026-11', 2],
      ['2026-10', 1],
    ]);
  });

  it('describes stage changes with stage names', () => {
    const stages = [
      { id: 'new', name: 'New' },
      { id: 'won', name: 'Won' },
    ] as never;
    expect(describeActivity(act('stage_changed', 'x', { from_stage: 'new', to_stage: 'won' }), stages)).toBe('Moved from New to Won');
    expect(describeActivity(act('note_added', 'x', { text: 'hi' }), stages)).toBe('Note: hi');
  });

  it('moveItem reorders without mutating', () => {
    const a = ['a', 'b', 'c', 'd'];
    expect(moveItem(a, 2, 0)).toEqual(['c', 'a', 'b', 'd']);
    expect(moveItem(a, 0, 3)).toEqual(['b', 'c', 'd', 'a']);
    expect(moveItem(a, 0, 9)).toEqual(a);
    expect(a).toEqual(['a', 'b', 'c', 'd']);
  });
});
