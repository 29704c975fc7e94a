// Interaction metrics for a lead, computed from the email events on its
// timeline (the backend records one per message sent or received).

import type { Activity, Lead } from './types';

export interface InteractionMetrics {
  sent: number;
  received: number;
  /** Share of our messages that got a reply before our next one; null with none sent. */
  responseRate: number | null;
  /** Mean time from our message to their reply, in ms; null without replies. */
  avgResponseMs: number | null;
  lastResponseAt: string | null;
  leadSince: string;
}

export function interactionMetrics(activities: Activity[], lead: Pick<Lead, 'created_at'>): InteractionMetrics {
  const mail = activities
    .filter((a) => a.type === 'email_sent' || a.type === 'email_received')
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  let sent = 0;
  let received = 0;
  let answered = 0;
  let total = 0;
  let replies = 0;
  let lastResponseAt: string | null = null;
  let waitingSince: number | null = null;
  for (const a of mail) {
    const at = Date.parse(a.at);
    if (a.type === 'email_sent') {
      sent++;
      // A follow-up on an unanswered message restarts nothing: the clock runs
      // from the first message they have not answered yet.
      if (waitingSince === null) waitingSince = at;
    } else {
      received++;
      lastResponseAt = a.at;
      if (waitingSince !== null) {
        total += at - waitingSince;
        replies++;
        waitingSince = null;
      }
    }
  }
  // Each sent message counts as answered when an inbound message follows
  // before the next outbound one.
  for (let i = 0; i < mail.length; i++) {
    if (mail[i]?.type === 'email_sent' && mail[i + 1]?.type === 'email_received') answered++;
  }
  return {
    sent,
    received,
    responseRate: sent ? answered / sent : null,
    avgResponseMs: replies ? total / replies : null,
    lastResponseAt,
    leadSince: lead.created_at,
  };
}
