// The kiosk's durable outbox. An order is written here (and committed) BEFORE the screen
// says it was sent; it leaves the "waiting" set only when the hub (or central) acked it.
// States: queued → sent (acked, kept 24 h for the receipt list) | rejected (the server
// refused its content: kept for staff, never retried, never silently dropped).
// A sent order also carries `progress` ({status, rev, seen}: order-progress.js).

import { mergeProgress } from './order-progress.js';

const SENT_KEEP_MS = 24 * 3600 * 1000;

export class OrderQueue {
  constructor(store, { now = () => Date.now() } = {}) {
    this.store = store;
    this.now = now;
    this.listeners = new Set();
    this.n = 0; // orders enqueued in the same millisecond keep their order
    this.tail = Promise.resolve();
  }

  // Every change is a read, a change and a write of one entry, in separate storage calls:
  // two at once (an ack and a kitchen's progress note arriving together) would each write
  // back what it read, and the later one would undo the earlier — an acked order back to
  // "queued", sent again. One change at a time, in the order they were asked for.
  #serial(fn) {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => {});
    return run;
  }

  onChange(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  #changed() { for (const fn of this.listeners) fn(); }

  /** Persist new orders; resolves only after the storage committed every one. */
  async enqueue(orders) {
    return this.#serial(async () => {
      const t = this.now();
      for (const order of orders) {
        const existing = await this.store.get(order.uuid);
        if (existing) continue; // same uuid twice is the same order
        await this.store.put({ uuid: order.uuid, order, state: 'queued', attempts: 0,
          queued_at: t, seq: t * 1000 + (this.n++ % 1000), last_error: null, ack: null, via: null });
      }
      this.#changed();
    });
  }

  /** Orders not yet acked, oldest first. */
  async waiting() {
    const all = await this.store.getAll();
    return all.filter((e) => e.state === 'queued').sort((a, b) => a.seq - b.seq);
  }

  async count() { return (await this.waiting()).length; }

  async all() { return (await this.store.getAll()).sort((a, b) => a.seq - b.seq); }

  async markSent(uuid, ack, via) {
    return this.#serial(async () => {
      const e = await this.store.get(uuid);
      if (!e) return;
      Object.assign(e, { state: 'sent', ack, via, sent_at: this.now(), last_error: null });
      await this.store.put(e);
      this.#changed();
    });
  }

  async markAttemptFailed(uuid, error) {
    return this.#serial(async () => {
      const e = await this.store.get(uuid);
      if (!e || e.state !== 'queued') return;
      e.attempts += 1;
      e.last_error = String(error?.message || error);
      await this.store.put(e);
      this.#changed();
    });
  }

  async markRejected(uuid, error) {
    return this.#serial(async () => {
      const e = await this.store.get(uuid);
      if (!e) return;
      Object.assign(e, { state: 'rejected', last_error: `${error.code || 'error'}: ${error.message || ''}` });
      await this.store.put(e);
      this.#changed();
    });
  }

  /** What the kitchen did with one of our orders; false when the note is not news (or not ours). */
  async noteProgress(uuid, note) {
    return this.#serial(async () => {
      const e = await this.store.get(uuid);
      if (!e) return false;
      const next = mergeProgress(e.progress, note);
      if (next === e.progress) return false;
      e.progress = next;
      await this.store.put(e);
      this.#changed();
      return true;
    });
  }

  /** Forget acked orders older than a day; waiting and rejected ones are never pruned. */
  async prune() {
    return this.#serial(async () => {
      const cutoff = this.now() - SENT_KEEP_MS;
      for (const e of await this.store.getAll()) {
        if (e.state === 'sent' && (e.sent_at ?? 0) < cutoff) await this.store.delete(e.uuid);
      }
    });
  }
}
