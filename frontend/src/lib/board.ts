// Board state kept free of Svelte: columns of cards, optimistic moves and the
// plans that undo them. Every function returns new objects so a failed request
// can restore exactly what was shown before.

import type { Card, Chip, Column, Lead, Pipeline, Priority, Stage } from './types';

export interface ColumnState {
  stage: Stage;
  count: number;
  value_sum: number;
  weighted_value: number;
  cards: Card[];
  next_cursor: string;
}

export interface BoardState {
  pipeline: Pipeline;
  columns: ColumnState[];
}

/** What a move changed, enough to roll it back or undo it. */
export interface MoveRecord {
  ids: string[];
  to: string;
  /** Card id → stage id it came from. */
  from: Record<string, string>;
}

export function isFinal(stage: Stage | undefined): boolean {
  return stage !== undefined && stage.kind !== 'open';
}

export function fromBoard(pipeline: Pipeline, columns: Omit<Column, 'by_currency'>[]): BoardState {
  return {
    pipeline,
    columns: columns.map((c) => ({
      stage: c.stage,
      count: c.count,
      value_sum: c.value_sum,
      weighted_value: c.weighted_value,
      cards: c.cards,
      next_cursor: c.next_cursor,
    })),
  };
}

export function findCard(state: BoardState, id: string): { card: Card; column: ColumnState } | undefined {
  for (const column of state.columns) {
    const card = column.cards.find((c) => c.id === id);
    if (card) return { card, column };
  }
  return undefined;
}

/**
 * Moves cards to the top of stage `to`, adjusting counts and value sums.
 * Cards already there, locked in a final stage (unless `force`) or unknown are
 * left alone and not recorded.
 */
export function applyMove(
  state: BoardState,
  ids: string[],
  to: string,
  opts: { force?: boolean; now?: Date } = {},
): { state: BoardState; record: MoveRecord } {
  const target = state.columns.find((c) => c.stage.id === to);
  const record: MoveRecord = { ids: [], to, from: {} };
  if (!target) return { state, record };
  const moving: Card[] = [];
  const now = (opts.now ?? new Date()).toISOString();
  const columns = state.columns.map((col) => {
    if (col.stage.id === to) return col;
    const keep: Card[] = [];
    let count = col.count;
    let value = col.value_sum;
    let weighted = col.weighted_value;
    for (const card of col.cards) {
      if (ids.includes(card.id) && (opts.force || !isFinal(col.stage))) {
        record.ids.push(card.id);
        record.from[card.id] = col.stage.id;
        moving.push({
          ...card,
          stage_id: to,
          stage_label: target.stage.name,
          stage_entered_at: now,
          updated_at: now,
          chips: card.chips.filter((c) => c !== 'rotting'),
        });
        count -= 1;
        value -= card.value;
        weighted -= card.value * col.stage.probability;
      } else {
        keep.push(card);
      }
    }
    if (keep.length === col.cards.length) return col;
    return { ...col, cards: keep, count, value_sum: value, weighted_value: weighted };
  });
  if (moving.length === 0) return { state, record };
  const sum = moving.reduce((s, c) => s + c.value, 0);
  const next = columns.map((col) =>
    col.stage.id === to
      ? {
          ...col,
          cards: [...moving, ...col.cards],
          count: col.count + moving.length,
          value_sum: col.value_sum + sum,
          weighted_value: col.weighted_value + sum * col.stage.probability,
        }
      : col,
  );
  return { state: { ...state, columns: next }, record };
}

/**
 * Puts the cards of a move back where they came from (after a failed
 * request). With `previous`, the cards get back their exact old data and
 * place in the column, so a rollback is invisible.
 */
export function revertMove(state: BoardState, record: MoveRecord, previous?: BoardState): BoardState {
  let s = state;
  for (const [stage, ids] of groupFrom(record)) s = applyMove(s, ids, stage, { force: true }).state;
  if (!previous) return s;
  const original = new Map<string, Card>();
  for (const col of previous.columns) for (const c of col.cards) if (record.ids.includes(c.id)) original.set(c.id, c);
  return {
    ...s,
    columns: s.columns.map((col) => {
      const prev = previous.columns.find((p) => p.stage.id === col.stage.id);
      if (!prev) return col;
      const index = new Map(prev.cards.map((c, i) => [c.id, i]));
      const cards = col.cards
        .map((c) => original.get(c.id) ?? c)
        .map((c, i) => ({ c, i, k: index.get(c.id) ?? -1 }))
        .sort((x, y) => x.k - y.k || x.i - y.i)
        .map((x) => x.c);
      return { ...col, cards, count: prev.count, value_sum: prev.value_sum, weighted_value: prev.weighted_value };
    }),
  };
}

function groupFrom(record: MoveRecord): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const id of record.ids) {
    const stage = record.from[id];
    if (stage === undefined) continue;
    const list = by.get(stage) ?? [];
    list.push(id);
    by.set(stage, list);
  }
  return by;
}

export type UndoStep = { kind: 'bulk'; ids: string[]; stage: string } | { kind: 'reopen'; id: string; stage: string };

/**
 * The requests that undo a move. A move into a won or lost stage locks the
 * lead, so getting it out again is a reopen into its old stage rather than a
 * move.
 */
export function undoPlan(record: MoveRecord, pipeline: Pipeline): UndoStep[] {
  const target = pipeline.stages.find((s) => s.id === record.to);
  if (isFinal(target)) {
    return record.ids.map((id) => ({ kind: 'reopen' as const, id, stage: record.from[id] ?? '' }));
  }
  return [...groupFrom(record)].map(([stage, ids]) => ({ kind: 'bulk' as const, ids, stage }));
}

/** Same rules as the backend's chips (backend/crm/board.go), for leads fetched as list items. */
export function computeChips(
  lead: Pick<Lead, 'last_message_direction' | 'next_follow_up_at' | 'stage_entered_at'>,
  stage: Stage | undefined,
  now: Date = new Date(),
): Chip[] {
  const out: Chip[] = [];
  if (lead.last_message_direction === 'outbound') out.push('waiting_for_reply');
  if (lead.next_follow_up_at) {
    const due = Date.parse(lead.next_follow_up_at);
    const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1).getTime();
    if (due < now.getTime()) out.push('overdue');
    else if (due < end) out.push('follow_up_today');
  }
  if (stage && stage.kind === 'open' && stage.rotting_days > 0) {
    const age = now.getTime() - Date.parse(lead.stage_entered_at);
    if (age > stage.rotting_days * 86_400_000) out.push('rotting');
  }
  return out;
}

export function cardFromLead(lead: Lead, pipeline: Pipeline, now: Date = new Date()): Card {
  const stage = pipeline.stages.find((s) => s.id === lead.stage_id);
  return {
    id: lead.id,
    version: lead.version,
    name: lead.name,
    email: lead.email,
    company: lead.company,
    value: lead.value,
    currency: lead.currency,
    priority: lead.priority,
    score: lead.score,
    tags: lead.tags ?? [],
    stage_id: lead.stage_id,
    stage_label: stage?.name ?? lead.stage_id,
    engagement_status: lead.engagement_status,
    chips: computeChips(lead, stage, now),
    stage_entered_at: lead.stage_entered_at,
    updated_at: lead.updated_at,
    next_follow_up_at: lead.next_follow_up_at,
    last_activity_at: lead.last_activity_at,
  };
}

/** Columns built from a flat list of cards (a filtered fetch), totals from what is there. */
export function columnsFromCards(pipeline: Pipeline, cards: Card[]): ColumnState[] {
  return pipeline.stages.map((stage) => {
    const mine = cards.filter((c) => c.stage_id === stage.id);
    const sum = mine.reduce((s, c) => s + c.value, 0);
    return {
      stage,
      count: mine.length,
      value_sum: sum,
      weighted_value: sum * stage.probability,
      cards: mine,
      next_cursor: '',
    };
  });
}

export interface BoardFilter {
  q: string;
  chips: Chip[];
  priority: Priority | '';
}

export const emptyFilter: BoardFilter = { q: '', chips: [], priority: '' };

export function isFiltering(f: BoardFilter): boolean {
  return f.q.trim() !== '' || f.chips.length > 0 || f.priority !== '';
}

/** Client-side part of a filter: the text and priority are also sent to the server. */
export function matchesFilter(card: Card, f: BoardFilter): boolean {
  if (f.priority && card.priority !== f.priority) return false;
  for (const chip of f.chips) if (!card.chips.includes(chip)) return false;
  const q = f.q.trim().toLowerCase();
  if (q) {
    const hay = [card.name, card.email, card.company, ...card.tags].join(' ').toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

/**
 * How far a card is into its stage's rotting time: 0 fresh … 1 at the limit,
 * above 1 rotting. Drives the card's visible ageing.
 */
export function ageRatio(card: Pick<Card, 'stage_entered_at'>, stage: Stage, now: Date = new Date()): number {
  if (stage.kind !== 'open' || stage.rotting_days <= 0) return 0;
  const days = (now.getTime() - Date.parse(card.stage_entered_at)) / 86_400_000;
  return Math.max(0, days / stage.rotting_days);
}

/** Stage id `n` (1-based) positions away, for the number keys; undefined when out of range. */
export function stageAt(pipeline: Pipeline, n: number): Stage | undefined {
  return pipeline.stages[n - 1];
}

/** The neighbouring stage left (-1) or right (+1) of `stageId`. */
export function neighbourStage(pipeline: Pipeline, stageId: string, delta: -1 | 1): Stage | undefined {
  const i = pipeline.stages.findIndex((s) => s.id === stageId);
  if (i < 0) return undefined;
  return pipeline.stages[i + delta];
}

/** Selection with shift-click ranges over the visible order. */
export function toggleSelection(
  selected: ReadonlySet<string>,
  id: string,
  opts: { range?: boolean; anchor?: string | null; order?: string[] } = {},
): Set<string> {
  const next = new Set(selected);
  if (opts.range && opts.anchor && opts.order) {
    const a = opts.order.indexOf(opts.anchor);
    const b = opts.order.indexOf(id);
    if (a >= 0 && b >= 0) {
      const [lo, hi] = a < b ? [a, b] : [b, a];
      for (const x of opts.order.slice(lo, hi + 1)) next.add(x);
      return next;
    }
  }
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}
