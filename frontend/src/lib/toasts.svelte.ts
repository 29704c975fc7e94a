// App-wide toasts: confirmations with an optional action (Undo) and errors
// that stay until read. Announced through an aria-live region.

export interface ToastAction {
  label: string;
  run: () => void | Promise<void>;
}

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  message: string;
  action?: ToastAction;
}

export const UNDO_MS = 6000;

class Toasts {
  items: Toast[] = $state([]);
  #next = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  show(message: string, opts: { kind?: Toast['kind']; action?: ToastAction; timeoutMs?: number } = {}): number {
    const id = this.#next++;
    const kind = opts.kind ?? 'info';
    // Only the latest action can be undone: older Undo offers would act on
    // a board that has moved on since.
    if (opts.action) for (const t of this.items) if (t.action) this.dismiss(t.id);
    this.items = [...this.items.slice(-3), { id, kind, message, action: opts.action }];
    const ms = opts.timeoutMs ?? (kind === 'error' ? 10000 : opts.action ? UNDO_MS : 4000);
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), ms),
    );
    return id;
  }

  error(message: string): number {
    return this.show(message, { kind: 'error' });
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
