import type { RouteId } from './router';

export type IconName = 'board' | 'leads' | 'inbox' | 'follow-ups' | 'analytics' | 'settings';

export interface NavItem {
  id: RouteId;
  label: string;
  icon: IconName;
}

// Order here is the order of the navigation and therefore the tab order.
export const navItems: readonly NavItem[] = [
  { id: 'board', label: 'Board', icon: 'board' },
  { id: 'leads', label: 'Leads', icon: 'leads' },
  { id: 'inbox', label: 'Inbox', icon: 'inbox' },
  { id: 'follow-ups', label: 'Follow-ups', icon: 'follow-ups' },
  { id: 'analytics', label: 'Analytics', icon: 'analytics' },
  { id: 'settings', label: 'Settings', icon: 'settings' },
];

export function labelFor(id: RouteId): string {
  return navItems.find((item) => item.id === id)?.label ?? 'Threadline';
}
