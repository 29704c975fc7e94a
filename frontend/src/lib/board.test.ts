import { describe, expect, it } from 'vitest';
import {
  ageRatio,
  applyMove,
  cardFromLead,
  columnsFromCards,
  computeChips,
  fromBoard,
  matchesFilter,
  neighbourStage,
  revertMove,
  stageAt,
  toggleSelection,
  undoPlan,
  type BoardState,
} from './board';
import type { Card, Lead, Pipeline, Stage } from './types';

const stage = (id: string, kind: Stage['kind'], probability: number, rotting_days = 0): Stage => ({
  id,
  name: id[0]!.toUpperCase() + id.slice(1),
  colour: '#64748b',
  kind,
  probability,
  rotting_days,
  expected_days: 0,
});

const pipeline: Pipeline = {
  id: 'p1',
  version: 3,
  name: 'Sales',
  stages: [stage('new', 'open', 0.1, 7), stage('interested', 'open', 0.5, 14), stage('won', 'won', 1), stage('lost', 'lost', 0)],
  settings: { currency: 'EUR', followup_after_send: { enabled: false, days: 3 } },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

function card(id: string, stage_id: string, value: number, extra: Partial<Card> = {}): Card {
  return {
    id,
    version: 1,
    name: `Lead ${id}`,
    email: `${id}@x.test`,
    company: 'Acme',
    value,
    currency: 'EUR',
    priority: 'medium',
    score: 0,
    tags: [],
    stage_id,
    stage_label: stage_id,
    engagement_status: 'new',
    chips: [],
    stage_entered_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    next_follow_up_at: null,
    ...extra,
  };
}

function board(): BoardState {
  const cards = [card('a', 'new', 100), card('b', 'new', 200), card('c', 'interested', 1000), card('w', 'won', 50)];
  const cols = columnsFromCards(pipeline, cards).map((c) => ({ ...c, next_cursor: '' }));
  return fromBoard(pipeline, cols);
}

const col = (s: BoardState, id: string) => s.columns.find((c) => c.stage.id === id)!;

describe('applyMove', () => {
  it('moves cards to the top of the target and adjusts counts and sums', () => {
    const { state, record } = applyMove(board(), ['b'], 'interested');
    expect(col(state, 'new').cards.map((c) => c.id)).toEqual(['a']);
    expect(col(state, 'new').count).toBe(1);
    expect(col(state, 'new').value_sum).toBe(100);
    expect(col(state, 'new').weighted_value).toBeCloseTo(10);
    expect(col(state, 'interested').cards.map((c) => c.id)).toEqual(['b', 'c']);
    expect(col(state, 'interested').value_sum).toBe(1200);
    expect(col(state, 'interested').weighted_value).toBeCloseTo(600);
    expect(record).toEqual({ ids: ['b'], to: 'interested', from: { b: 'new' } });
    expect(col(state, 'interested').cards[0]!.stage_label).toBe('Interested');
  });

  it('leaves cards in a final stage alone unless forced', () => {
    const s = board();
    const { state, record } = applyMove(s, ['w'], 'new');
    expect(state).toBe(s);
    expect(record.ids).toEqual([]);
    const forced = applyMove(s, ['w', 'a'], 'interested', { force: true });
    expect(forced.record.ids.sort()).toEqual(['a', 'w']);
  });

  it('ignores cards already in the target and unknown stages', () => {
    const s = board();
    expect(applyMove(s, ['c'], 'interested').record.ids).toEqual([]);
    expect(applyMove(s, ['a'], 'nope').state).toBe(s);
  });

  it('does not mutate the state it was given (rollback relies on it)', () => {
    const s = board();
    const snapshot = JSON.stringify(s);
    applyMove(s, ['a', 'b'], 'won');
    expect(JSON.stringify(s)).toBe(snapshot);
  });

  it('clears the rotting chip: the card starts fresh in its new stage', () => {
    let s = board();
    s = { ...s, columns: s.columns.map((c) => ({ ...c, cards: c.cards.map((x) => ({ ...x, chips: ['rotting', 'overdue'] as Card['chips'] })) })) };
    const { state } = applyMove(s, ['a'], 'interested');
    expect(col(state, 'interested').cards[0]!.chips).toEqual(['overdue']);
  });
});

describe('revertMove', () => {
  it('restores exactly the previous board after a failed bulk move', () => {
    const before = board();
    const { state, record } = applyMove(before, ['a', 'b'], 'interested', { force: true });
    const back = revertMove(state, record, before);
    expect(back.columns.map((c) => [c.stage.id, c.cards.map((x) => x.id), c.count, c.value_sum])).toEqual(
      before.columns.map((c) => [c.stage.id, c.cards.map((x) => x.id), c.count, c.value_sum]),
    );
    expect(col(back, 'new').cards[0]).toBe(col(before, 'new').cards[0]);
  });

  it('puts cards back even without a snapshot', () => {
    const { state, record } = applyMove(board(), ['a'], 'interested');
    const back = revertMove(state, record);
    expect(col(back, 'new').cards.map((c) => c.id).sort()).toEqual(['a', 'b']);
  });
});

describe('undoPlan', () => {
  it('bulk-moves back to each original stage', () => {
    const s = fromBoard(pipeline, columnsFromCards(pipeline, [card('a', 'new', 1), card('c', 'interested', 1)]));
    const { record } = applyMove(s, ['a', 'c'], 'interested');
    expect(undoPlan(record, pipeline)).toEqual([{ kind: 'bulk', ids: ['a'], stage: 'new' }]);
  });

  it('reopens leads that were moved into a won or lost stage', () => {
    const { record } = applyMove(board(), ['a', 'c'], 'won');
    expect(undoPlan(record, pipeline)).toEqual([
      { kind: 'reopen', id: 'a', stage: 'new' },
      { kind: 'reopen', id: 'c', stage: 'interested' },
    ]);
  });
});

describe('chips', () => {
  const now = new Date(2026, 10, 21, 10, 0, 0);
  const lead = {
    last_message_direction: '' as Lead['last_message_direction'],
    next_follow_up_at: null as string | null,
    stage_entered_at: new Date(2026, 10, 20).toISOString(),
  };

  it('waiting for reply after our message', () => {
    expect(computeChips({ ...lead, last_message_direction: 'outbound' }, pipeline.stages[0], now)).toEqual(['waiting_for_reply']);
  });

  it('overdue before now, follow-up today later today, nothing tomorrow', () => {
    const at = (h: number) => new Date(2026, 10, 21, h).toISOString();
    expect(computeChips({ ...lead, next_follow_up_at: at(9) }, pipeline.stages[0], now)).toEqual(['overdue']);
    expect(computeChips({ ...lead, next_follow_up_at: at(18) }, pipeline.stages[0], now)).toEqual(['follow_up_today']);
    expect(computeChips({ ...lead, next_follow_up_at: new Date(2026, 10, 22, 9).toISOString() }, pipeline.stages[0], now)).toEqual([]);
  });

  it('rotting only past the open stage’s rotting days', () => {
    const old = { ...lead, stage_entered_at: new Date(2026, 10, 10).toISOString() };
    expect(computeChips(old, pipeline.stages[0], now)).toEqual(['rotting']); // 11 days > 7
    expect(computeChips(old, pipeline.stages[1], now)).toEqual([]); // 11 days < 14
    expect(computeChips(old, pipeline.stages[2], now)).toEqual([]); // won never rots
  });

  it('ageRatio grows with time in stage', () => {
    const c = card('a', 'new', 1, { stage_entered_at: new Date(2026, 10, 14, 10).toISOString() });
    expect(ageRatio(c, pipeline.stages[0]!, now)).toBeCloseTo(1, 1);
    expect(ageRatio(c, pipeline.stages[2]!, now)).toBe(0);
  });

  it('cardFromLead computes chips with the pipeline’s stage', () => {
    const l = {
      id: 'x',
      version: 2,
      pipeline_id: 'p1',
      stage_id: 'new',
      email: 'x@y.test',
      name: 'X',
      company: '',
      value: 5,
      currency: 'EUR',
      priority: 'high',
      score: 0,
      tags: null,
      engagement_status: 'contacted',
      last_message_direction: 'outbound',
      next_follow_up_at: null,
      stage_entered_at: new Date(2026, 9, 1).toISOString(),
      updated_at: '2026-11-01T00:00:00Z',
      last_activity_at: null,
    } as unknown as Lead;
    const c = cardFromLead(l, pipeline, now);
    expect(c.chips).toEqual(['waiting_for_reply', 'rotting']);
    expect(c.tags).toEqual([]);
    expect(c.stage_label).toBe('New');
  });
});

describe('filters and navigation', () => {
  it('matches text over name, email, company and tags, plus chips and priority', () => {
    const c = card('a', 'new', 1, { name: 'Ann Lee', company: 'Globex', tags: ['vip'], chips: ['overdue'], priority: 'high' });
    const f = { q: '', chips: [], priority: '' as const };
    expect(matchesFilter(c, { ...f, q: 'glob' })).toBe(true);
    expect(matchesFilter(c, { ...f, q: 'VIP' })).toBe(true);
    expect(matchesFilter(c, { ...f, q: 'initech' })).toBe(false);
    expect(matchesFilter(c, { ...f, chips: ['overdue'] })).toBe(true);
    expect(matchesFilter(c, { ...f, chips: ['overdue', 'rotting'] })).toBe(false);
    expect(matchesFilter(c, { q: '', chips: [], priority: 'low' })).toBe(false);
  });

  it('stageAt and neighbourStage', () => {
    expect(stageAt(pipeline, 2)?.id).toBe('interested');
    expect(stageAt(pipeline, 9)).toBeUndefined();
    expect(neighbourStage(pipeline, 'interested', -1)?.id).toBe('new');
    expect(neighbourStage(pipeline, 'new', -1)).toBeUndefined();
  });

  it('toggleSelection toggles and selects shift ranges', () => {
    const order = ['a', 'b', 'c', 'd'];
    let s = toggleSelection(new Set(), 'b');
    expect([...s]).toEqual(['b']);
    s = toggleSelection(s, 'd', { range: true, anchor: 'b', order });
    expect([...s].sort()).toEqual(['b', 'c', 'd']);
    s = toggleSelection(s, 'c');
    expect([...s].sort()).toEqual(['b', 'd']);
  });
});
