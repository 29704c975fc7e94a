// The Follow-ups badge: loaded at start, refreshed by reminder and
// follow-up events and after actions on the Follow-ups page.

import { api } from './api';
import { events } from './events';
import { badgeCount } from './followups';

class FollowUpBadge {
  count = $state(0);
  #started = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  async refresh(): Promise<void> {
    try {
      const [overdue, today] = await Promise.all([api.followUps('overdue'), api.followUps('today')]);
      this.count = badgeCount([...(overdue.items ?? []), ...(today.items ?? [])]);
    } catch {
      // Keep the last count; the connection indicator reports the outage.
    }
  }

  /** Coalesces bursts of events into one reload. */
  soon(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh(), 150);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.refresh();
    for (const t of ['reminder.due', 'followup.created', 'followup.updated', 'followup.cancelled', 'stream.lagged']) {
      events.subscribe(t, () => this.soon());
    }
    // Something due later today becomes "due" without any event.
    setInterval(() => void this.refresh(), 60_000);
  }
}

export const followUpBadge = new FollowUpBadge();
