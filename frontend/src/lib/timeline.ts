// Grouping and wording of timeline entries for the Activities tab.

import type { Activity, ActivityType, Stage } from './types';

export interface MonthGroup {
  key: string;
  label: string;
  items: Activity[];
}

/** Keeps the order given (newest first) and starts a group at every new month. */
export function groupByMonth(items: Activity[]): MonthGroup[] {
  const out: MonthGroup[] = [];
  for (const a of items) {
    const d = new Date(a.at);
    const key = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
    let g = out[out.length - 1];
    if (!g || g.key !== key) {
      g = { key, label: d.toLocaleDateString(undefined, { month: 'long', year: 'numeric' }), items: [] };
      out.push(g);
    }
    g.items.push(a);
  }
  return out;
}

export const activityLabels: Record<ActivityType, string> = {
  created: 'Created',
  stage_changed: 'Stage changed',
  field_changed: 'Field changed',
  note_added: 'Note added',
  note_deleted: 'Note deleted',
  thread_linked: 'Thread linked',
  follow_up_created: 'Follow-up scheduled',
  follow_up_done: 'Follow-up done',
  follow_up_snoozed: 'Follow-up snoozed',
  follow_up_cancelled: 'Follow-up cancelled',
  email_sent: 'Email sent',
  email_received: 'Email received',
  scored: 'Scored',
  qualified: 'Qualification',
  converted: 'Converted',
  archived: 'Archived',
  reopened: 'Reopened',
};

function show(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.join(', ') || '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** One line describing an activity, with stage ids turned into names. */
export function describeActivity(a: Activity, stages: Stage[]): string {
  const name = (id: string | undefined) => stages.find((s) => s.id === id)?.name ?? id ?? '—';
  switch (a.type) {
    case 'created':
      return a.to_stage ? `Lead created in ${name(a.to_stage)}` : 'Lead created';
    case 'stage_changed':
      return `Moved from ${name(a.from_stage)} to ${name(a.to_stage)}`;
    case 'field_changed':
      return `${a.field ?? 'Field'}: ${show(a.old)} → ${show(a.new)}`;
    case 'note_added':
      return a.text ? `Note: ${a.text}` : 'Note added';
    case 'email_sent':
    case 'email_received':
      return a.text || activityLabels[a.type];
    case 'scored':
      return `Score ${show(a.old)} → ${show(a.new)}`;
    case 'qualified':
      return `${show(a.new)}${a.text ? ` — ${a.text}` : ''}`;
    case 'reopened':
      return a.to_stage ? `Reopened into ${name(a.to_stage)}` : 'Reopened';
    default:
      return a.text ? `${activityLabels[a.type] ?? a.type}: ${a.text}` : (activityLabels[a.type] ?? a.type);
  }
}
