// Shapes of the backend's JSON, mirroring backend/crm and backend/api. Times
// are RFC 3339 strings; nullable pointers on the Go side are `| null` here.

export type StageKind = 'open' | 'won' | 'lost';
export type Priority = 'low' | 'medium' | 'high';
export type Engagement = 'new' | 'contacted' | 'replied' | 'stale';
export type Chip = 'waiting_for_reply' | 'follow_up_today' | 'overdue' | 'rotting';

export interface Stage {
  id: string;
  name: string;
  colour: string;
  kind: StageKind;
  probability: number;
  rotting_days: number;
  expected_days: number;
}

export interface PipelineSettings {
  currency: string;
  followup_after_send: { enabled: boolean; days: number };
}

export interface Pipeline {
  id: string;
  version: number;
  name: string;
  stages: Stage[];
  settings: PipelineSettings;
  created_at: string;
  updated_at: string;
}

export interface StageInput {
  name?: string;
  colour?: string;
  kind?: StageKind;
  probability?: number;
  rotting_days?: number;
  expected_days?: number;
  position?: number;
}

export interface Card {
  id: string;
  version: number;
  name: string;
  email: string;
  company: string;
  value: number;
  currency: string;
  priority: Priority;
  score: number;
  tags: string[];
  stage_id: string;
  stage_label: string;
  engagement_status: Engagement;
  chips: Chip[];
  stage_entered_at: string;
  updated_at: string;
  next_follow_up_at: string | null;
  last_activity_at?: string | null;
}

export interface Totals {
  value_sum: number;
  weighted_value: number;
}

export interface Column {
  stage: Stage;
  count: number;
  value_sum: number;
  weighted_value: number;
  by_currency: Record<string, Totals>;
  cards: Card[];
  next_cursor: string;
}

export interface Board {
  pipeline: Pipeline;
  columns: Column[];
}

export interface Attribution {
  source: string;
  campaign: string;
  referrer: string;
  utm: Record<string, string> | null;
}

export interface Lead {
  id: string;
  version: number;
  pipeline_id: string;
  stage_id: string;
  email: string;
  name: string;
  company: string;
  title: string;
  phone: string;
  priority: Priority;
  value: number;
  currency: string;
  tags: string[] | null;
  custom: Record<string, unknown> | null;
  score: number;
  attribution: Attribution;
  qualification: { status: string; by: string; reason: string; at: string | null };
  engagement_status: Engagement;
  last_message_direction: '' | 'inbound' | 'outbound';
  mailbox: string;
  thread_ids: string[] | null;
  lost_reason_id: string;
  next_follow_up_at: string | null;
  created_at: string;
  updated_at: string;
  stage_entered_at: string;
  last_activity_at: string | null;
  first_contacted_at: string | null;
  won_at: string | null;
  lost_at: string | null;
  archived_at: string | null;
  stage_name?: string;
  final: boolean;
}

export interface LeadInput {
  pipeline_id?: string;
  stage_id?: string;
  email?: string;
  name?: string;
  company?: string;
  title?: string;
  phone?: string;
  priority?: Priority;
  value?: number;
  currency?: string;
  tags?: string[];
  custom?: Record<string, unknown>;
  attribution?: Partial<Attribution>;
}

export interface LeadPatch extends Omit<LeadInput, 'pipeline_id'> {
  version?: number;
}

export interface UpsertInput {
  email: string;
  name?: string;
  company?: string;
  pipeline_id?: string;
  stage_id?: string;
  thread_id?: string;
  mailbox?: string;
  source?: string;
  tags?: string[];
}

export interface LeadPage {
  items: Lead[];
  total: number;
  next_cursor: string;
}

export type SortField =
  | 'updated_at'
  | 'created_at'
  | 'name'
  | 'email'
  | 'company'
  | 'value'
  | 'score'
  | 'stage_entered_at'
  | 'last_activity_at'
  | 'next_follow_up_at'
  | 'priority';

export interface LeadQuery {
  pipeline?: string;
  stage?: string;
  status?: Engagement | '';
  priority?: Priority | '';
  source?: string;
  tag?: string;
  q?: string;
  created_from?: string;
  created_to?: string;
  updated_from?: string;
  updated_to?: string;
  include_archived?: boolean;
  sort?: SortField;
  dir?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

export interface Note {
  id: string;
  version: number;
  lead_id: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export type ActivityType =
  | 'created'
  | 'stage_changed'
  | 'field_changed'
  | 'note_added'
  | 'note_deleted'
  | 'thread_linked'
  | 'follow_up_created'
  | 'follow_up_done'
  | 'follow_up_snoozed'
  | 'follow_up_cancelled'
  | 'email_sent'
  | 'email_received'
  | 'scored'
  | 'qualified'
  | 'converted'
  | 'archived'
  | 'reopened';

export interface Activity {
  id: string;
  lead_id: string;
  type: ActivityType;
  at: string;
  actor: string;
  from_stage?: string;
  to_stage?: string;
  field?: string;
  old?: unknown;
  new?: unknown;
  text?: string;
  note_id?: string;
  thread_id?: string;
  follow_up_id?: string;
  contact_id?: string;
  deal_id?: string;
}

export interface TimelinePage {
  items: Activity[];
  next_cursor: string;
}

export interface FollowUp {
  id: string;
  version: number;
  lead_id: string;
  thread_id: string;
  due_at: string;
  kind: 'manual' | 'no_reply';
  note: string;
  state: 'pending' | 'done' | 'snoozed' | 'cancelled';
  done_at: string | null;
  created_at: string;
  lead_name?: string;
  lead_email?: string;
}

export interface FollowUpPage {
  items: FollowUp[];
  next_cursor: string;
}

export interface Deal {
  id: string;
  version: number;
  name: string;
  amount: number;
  currency: string;
  expected_close: string;
  stage: string;
  probability: number | null;
  status: 'open' | 'won' | 'lost';
  lead_id: string;
  contact_id: string;
  closed_at: string | null;
  created_at: string;
}

export interface DealInput {
  version?: number;
  name?: string;
  amount?: number;
  currency?: string;
  expected_close?: string;
  status?: 'open' | 'won' | 'lost';
  lead_id?: string;
}

export interface Tag {
  id: string;
  version: number;
  name: string;
  colour: string;
}

export type FieldType = 'text' | 'number' | 'date' | 'select' | 'multi_select' | 'url';

export interface FieldDef {
  id: string;
  version: number;
  key: string;
  label: string;
  type: FieldType;
  options: string[] | null;
}

export interface DiscardReason {
  id: string;
  version: number;
  label: string;
}

export interface Person {
  name: string;
  addr: string;
}

// Mail and lead capture are served by other parts of the backend; these
// shapes follow their announced API and may still move a little.
export interface ThreadSummary {
  id: string;
  subject: string;
  participants: Person[];
  last_message_at: string;
  last_direction: 'inbound' | 'outbound';
  unread: boolean;
  message_count: number;
  snippet: string;
}

export interface ThreadPage {
  threads: ThreadSummary[];
  next_cursor: string;
}

export interface Message {
  id: string;
  from: Person;
  to: Person[];
  cc: Person[];
  date: string;
  subject: string;
  text: string;
  /** Already sanitized by the backend. */
  html: string;
  direction: 'inbound' | 'outbound';
  attachments: { name: string; size: number }[];
}

export interface ThreadDetail {
  thread: ThreadSummary;
  messages: Message[];
}

export interface Account {
  id: string;
  email: string;
  name?: string;
  identities?: string[];
  [key: string]: unknown;
}

/** One word or phrase that moved a signal's score, and by how much (+ toward lead). */
export interface SignalReason {
  text: string;
  effect: number;
}

export type SignalCategory = 'hot_lead' | 'customer' | 'vendor_pitch' | 'newsletter' | 'notification' | 'personal' | string;

/** A thread lead capture thinks is a lead (GET /api/signals). */
export interface Signal {
  thread_id: string;
  subject: string;
  from: Person;
  /** Who becomes the lead: the sender, or the visitor of a contact form. */
  prospect: Person;
  /** 0..1, how sure the model is that this is a lead. */
  score: number;
  label: 'lead' | 'not_lead' | string;
  category: SignalCategory;
  reasons: SignalReason[];
  received_at: string;
  message_count: number;
}

/** GET /api/capture/status: the lead-capture job. */
export interface CaptureStatus {
  state: string;
  pending: number;
  processed: number;
  signals: number;
  last_error?: string;
  last_error_at?: string;
  last_run_at?: string;
}

export interface ThreadQuery {
  folder?: string;
  account?: string;
  direction?: 'inbound' | 'outbound' | '';
  unread?: boolean;
  participant?: string;
  cursor?: string;
  limit?: number;
}
