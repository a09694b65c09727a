// Browser glue shared by the hub-served pages: outlet info (cached for offline reloads)
// and the hub's status (pushed over the socket, polled over HTTP as a heartbeat).

import { timeoutSignal } from './abort.js';

const OUTLET_KEY = 'outlet-hub.outlet';

/** GET /api/outlet, remembered in localStorage so a reload with the hub down still knows it. */
export async function loadOutlet({ fetchImpl = (...a) => globalThis.fetch(...a), storage = localStorage } = {}) {
  try {
    const res = await fetchImpl('/api/outlet', { cache: 'no-store', signal: timeoutSignal(4000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const outlet = await res.json();
    storage.setItem(OUTLET_KEY, JSON.stringify(outlet));
    return { outlet, fresh: true };
  } catch {
    try { return { outlet: JSON.parse(storage.getItem(OUTLET_KEY) || 'null') || {}, fresh: false }; } catch { return { outlet: {}, fresh: false }; }
  }
}

/**
 * Tracks whether the hub answers and what it says about central. The socket's `hub_status`
 * pushes win; an HTTP GET /api/status every `everyMs` doubles as the reachability probe.
 */
export class HubStatusWatcher {
  constructor({ socket, fetchImpl = (...a) => globalThis.fetch(...a), everyMs = 10000, onChange = () => {} }) {
    this.socket = socket;
    this.fetch = fetchImpl;
    this.everyMs = everyMs;
    this.onChange = onChange;
    this.status = null;
    this.httpOk = null;
    socket.on('message', (m) => {
      if (m.type === 'hub_status') { this.status = { ...this.status, ...m.payload }; this.onChange(this); }
    });
    socket.on('state', () => { this.onChange(this); if (socket.isOpen) this.poll(); });
  }

  get hubReachable() { return this.socket.isOpen || this.httpOk === true; }
  get central() { return this.status?.central; }

  start() { this.poll(); this.timer = setInterval(() => this.poll(), this.everyMs); }

  async poll() {
    try {
      const res = await this.fetch('/api/status', { cache: 'no-store', signal: timeoutSignal(4000) });
      if (!res.ok) throw new Error(String(res.status));
      this.status = await res.json();
      this.httpOk = true;
    } catch {
      this.httpOk = false;
    }
    this.onChange(this);
  }
}
