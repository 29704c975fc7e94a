// Columns of the leads table: what the column chooser offers, how each cell
// reads, which server sort it maps to, and the same values for CSV export.

import type { CsvColumn } from './csv';
import { shortDate } from './format';
import type { Lead, Pipeline, SortField } from './types';

export interface LeadColumn {
  id: string;
  label: string;
  sort?: SortField;
  numeric?: boolean;
  /** Shown unless the user hides it. */
  default: boolean;
  value: (lead: Lead, ctx: LeadContext) => string | number;
}

export interface LeadContext {
  pipelines: Pipeline[];
}

export function stageNameOf(lead: Lead, pipelines: Pipeline[]): string {
  const p = pipelines.find((x) => x.id === lead.pipeline_id);
  return p?.stages.find((s) => s.id === lead.stage_id)?.name ?? lead.stage_name ?? lead.stage_id;
}

export const leadColumns: LeadColumn[] = [
  { id: 'name', label: 'Name', sort: 'name', default: true, value: (l) => l.name },
  { id: 'email', label: 'Email', sort: 'email', default: true, value: (l) => l.email },
  { id: 'company', label: 'Company', sort: 'company', default: true, value: (l) => l.company },
  { id: 'title', label: 'Title', default: false, value: (l) => l.title },
  { id: 'phone', label: 'Phone', default: false, value: (l) => l.phone },
  { id: 'stage', label: 'Stage', default: true, value: (l, c) => stageNameOf(l, c.pipelines) },
  {
    id: 'pipeline',
    label: 'Pipeline',
    default: false,
    value: (l, c) => c.pipelines.find((p) => p.id === l.pipeline_id)?.name ?? '',
  },
  { id: 'status', label: 'Status', default: true, value: (l) => l.engagement_status },
  { id: 'priority', label: 'Priority', sort: 'priority', default: true, value: (l) => l.priority },
  { id: 'value', label: 'Value', sort: 'value', numeric: true, default: true, value: (l) => l.value },
  { id: 'currency', label: 'Currency', default: false, value: (l) => l.currency },
  { id: 'source', label: 'Source', default: false, value: (l) => l.attribution?.source ?? '' },
  { id: 'tags', label: 'Tags', default: true, value: (l) => (l.tags ?? []).join(', ') },
  { id: 'score', label: 'Score', sort: 'score', numeric: true, default: false, value: (l) => l.score },
  { id: 'created', label: 'Created', sort: 'created_at', default: true, value: (l) => shortDate(l.created_at) },
  { id: 'updated', label: 'Updated', sort: 'updated_at', default: false, value: (l) => shortDate(l.updated_at) },
  {
    id: 'last_activity',
    label: 'Last activity',
    sort: 'last_activity_at',
    default: false,
    value: (l) => shortDate(l.last_activity_at),
  },
  {
    id: 'next_follow_up',
    label: 'Next follow-up',
    sort: 'next_follow_up_at',
    default: false,
    value: (l) => shortDate(l.next_follow_up_at),
  },
  { id: 'archived', label: 'Archived', default: false, value: (l) => (l.archived_at ? shortDate(l.archived_at) : '') },
];

export function defaultColumnIds(): string[] {
  return leadColumns.filter((c) => c.default).map((c) => c.id);
}

/** CSV columns for the visible table columns; dates as ISO so spreadsheets parse them. */
export function csvColumns(ids: string[], ctx: LeadContext): CsvColumn<Lead>[] {
  const iso: Record<string, (l: Lead) => string | null> = {
    created: (l) => l.created_at,
    updated: (l) => l.updated_at,
    last_activity: (l) => l.last_activity_at,
    next_follow_up: (l) => l.next_follow_up_at,
    archived: (l) => l.archived_at,
  };
  return leadColumns
    .filter((c) => ids.includes(c.id))
    .map((c) => ({ label: c.label, value: (l: Lead) => (iso[c.id] ? (iso[c.id]!(l) ?? '') : c.value(l, ctx)) }));
}
