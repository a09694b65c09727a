// Test doubles shared by the unit tests: a controllable clock/timers and a fake WebSocket.

export class FakeTimers {
  constructor(start = 1_700_000_000_000) { this.t = start; this.seq = 0; this.tasks = new Map(); }
  now = () => this.t;
  setTimeout = (fn, ms = 0) => { const id = ++this.seq; this.tasks.set(id, { at: this.t + ms, fn }); return id; };
  clearTimeout = (id) => { this.tasks.delete(id); };
  setInterval = (fn, ms) => {
    const id = ++this.seq;
    const tick = () => { this.tasks.set(id, { at: this.t + ms, fn: () => { tick(); fn(); } }); };
    tick();
    return id;
  };
  clearInterval = (id) => { this.tasks.delete(id); };
  /** Run every task due within `ms`, in time order, letting promises settle in between. */
  async advance(ms) {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const due = [...this.tasks.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.tasks.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
    }
    this.t = end;
    await flush();
  }
  pending() { return this.tasks.size; }
}

export async function flush() {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** A WebSocket double: tests open/close it and push server messages. */
export function makeFakeWebSocket() {
  const sockets = [];
  class FakeWS {
    constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
    send(data) { if (this.readyState !== 1) throw new Error('not open'); this.sent.push(JSON.parse(data)); }
    close() { if (this.readyState === 3) return; this.readyState = 3; this.onclose?.({ code: 1000 }); }
    // test controls
    serverOpen() { this.readyState = 1; this.onopen?.(); }
    serverSend(msg) { this.onmessage?.({ data: JSON.stringify(msg) }); }
    serverFail() { this.readyState = 3; this.onerror?.(); this.onclose?.({ code: 1006 }); }
    lastSent(type) { return [...this.sent].reverse().find((m) => m.type === type); }
  }
  return { FakeWS, sockets };
}

export function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}

export function jsonResponse(body, status = 200, headers = {}) {
  return {
    ok: status >= 200 && status < 300, status, statusText: String(status),
    headers: { get: (k) => headers[k] ?? headers[k.toLowerCase()] ?? null },
    json: async () => body,
  };
}
