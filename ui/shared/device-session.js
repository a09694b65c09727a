// A page's side of pairing: decide whether it must pair (the hub's /api/outlet says
// `pairing: "required"` and no token is kept), show the pairing view until approved, then
// hand out a fetch, socket URL and hello that carry the token. A token the hub stops
// accepting (401, socket close 4001, an `unauthorized` error) sends the page back to pairing;
// the kiosk's queue lives in IndexedDB and is not touched, so it drains after re-pairing.

import { pairingRequired, credentialsKey, DeviceCredentials, PairingApi, PairingFlow, authorizedFetch,
  withToken, isUnauthorized } from './pairing.js';
import { showPairingView } from './pairing-view.js';
import { timeoutSignal } from './abort.js';

// After this many failed socket connects in a row, ask over HTTP whether the token still
// works: a browser hides the 401 of a refused WebSocket handshake behind a bare 1006 close.
const PROBE_AFTER_FAILURES = 2;
const PROBE_EVERY_MS = 10000;

export class DeviceSession {
  constructor({ creds = null, cred = null, required = false, onLost = () => {}, fetchImpl = (...a) => globalThis.fetch(...a),
    now = () => Date.now() }) {
    Object.assign(this, { creds, cred, required, onLost, now });
    this.lostAlready = false;
    this.lastProbeAt = 0;
    this.fetch = authorizedFetch({ fetchImpl, token: () => this.token, onUnauthorized: () => this.lost('http 401') });
  }

  get token() { return this.cred?.token || null; }

  socketUrl(url) { return withToken(url, this.token); }

  /** The hello payload with the token added (the hub reads it there too). */
  hello(payload) { return this.token ? { ...payload, token: this.token } : payload; }

  /** Notice, on this socket, that the hub stopped accepting the token. */
  watch(socket) {
    socket.on('close', ({ code, reason }) => { if (isUnauthorized({ closeCode: code, reason })) this.lost(`socket closed ${code}`); });
    socket.on('message', (m) => { if (m.type === 'error' && isUnauthorized({ code: m.payload?.code })) this.lost('unauthorized error'); });
    socket.on('state', (s) => { if (s === 'closed' && socket.failures >= PROBE_AFTER_FAILURES) this.probe(); });
  }

  /** One cheap authenticated read; a 401 ends the session (authorizedFetch reports it). */
  async probe() {
    if (!this.required || !this.token || this.now() - this.lastProbeAt < PROBE_EVERY_MS) return;
    this.lastProbeAt = this.now();
    try { await this.fetch('/api/orders?since_rev=2147483647', { cache: 'no-store', signal: timeoutSignal(4000) }); } catch { /* hub down: the socket keeps trying */ }
  }

  /** The token is gone for good: forget it and go back to pairing (once). */
  async lost(why) {
    if (!this.required || this.lostAlready) return;
    this.lostAlready = true;
    console.warn(`device token no longer accepted (${why}); pairing again`);
    try { await this.creds?.clear(); } catch (err) { console.error('could not forget the device token:', err); }
    this.onLost(why);
  }
}

/**
 * Resolve with a DeviceSession once the page may talk to the hub: at once with pairing off
 * or a kept token, else after the pairing view was approved. `identity` is what the hub
 * records: {client_type, name, tenant_ids}; `stallText` names the tenants for the view.
 */
export async function openDeviceSession({ outlet, identity, stallText = '', kv = null, storage = globalThis.localStorage,
  onLost = () => globalThis.location.reload() }) {
  const creds = new DeviceCredentials({ storage, kv, key: credentialsKey(identity.client_type) });
  if (!pairingRequired(outlet)) return new DeviceSession({ creds, required: false });
  let cred = await creds.loadDurable();
  const sameTenants = (c) => JSON.stringify([...(c.tenant_ids || [])].sort()) === JSON.stringify([...(identity.tenant_ids || [])].sort());
  if (cred && !sameTenants(cred)) { await creds.clear(); cred = null; } // the kitchen now shows other stalls
  if (!cred) cred = await pairInteractively({ identity, outletName: outlet.name, stallText, storage, creds });
  return new DeviceSession({ creds, cred, required: true, onLost });
}

function pairInteractively({ identity, outletName, stallText, storage, creds }) {
  return new Promise((resolve) => {
    let flow;
    const view = showPairingView({ identity, outletName, stallText,
      onPin: (pin) => flow.submitPin(pin), onAskAgain: () => flow.requestCode() });
    flow = new PairingFlow({ api: new PairingApi(), identity, storage,
      onChange: (state) => view.update(state),
      onPaired: async (cred) => {
        await creds.save(cred);
        view.remove();
        resolve(cred);
      } });
    view.update(flow.state);
    flow.start();
    window.outletPairing = flow; // tests and support staff: the flow's state as data
  });
}
