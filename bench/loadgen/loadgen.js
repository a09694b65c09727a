'use strict';
/*
 * The bench's load generator, in Node.js + `ws` (one process, one core): a Python client
 * saturates near 15-25k received messages/s, below what 1000 orders/s x 20 kitchens needs.
 *
 *   node loadgen.js latency  --server hub|peer --ws ws://127.0.0.1:P --rate R --duration S
 *                            [--kitchens 20] [--pos 5] [--drain 10]
 *   node loadgen.js restart  --ws ws://127.0.0.1:P --health http://127.0.0.1:Q/health
 *                            [--kitchens 100] [--live 300] [--missed 200]
 *   node loadgen.js hold     --server hub|peer --ws … [--kitchens 180] [--pos 20] [--orders 100]
 *   node loadgen.js poll     --url http://…/api/orders?… [--concurrency 50] [--duration 10]
 *
 * Every mode prints exactly one JSON object on stdout as its last line (`restart` and `hold`
 * also print `{"event": …}` lines and read commands on stdin from bench/run.py).
 *
 * Timing: the POS stamps process.hrtime (CLOCK_MONOTONIC) into the order's `notes` just
 * before sending; the kitchen subtracts it on receipt, in the same process, so there is no
 * clock skew. Orders are sent open-loop on a schedule (rate x elapsed), so a slow server
 * does not slow the sender down (no coordinated omission); `send_lag_ms_max` says how late
 * the generator itself ran against its schedule.
 */
const path = require('path');
const http = require('http');
const readline = require('readline');
const crypto = require('crypto');
const { performance } = require('perf_hooks');
const WebSocket = require(path.join(__dirname, '..', 'seed_peer', 'node_modules', 'ws'));

// ---------------------------------------------------------------- helpers
function args(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) out[key] = true;
      else { out[key] = next; i++; }
    } else out._.push(a);
  }
  return out;
}
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function percentiles(arr, n) {
  if (n === 0) return { count: 0 };
  const a = Float64Array.from(arr.subarray ? arr.subarray(0, n) : arr.slice(0, n)).sort();
  const q = (p) => a[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i];
  const r = (x) => Math.round(x * 1000) / 1000;
  return { count: n, p50: r(q(0.5)), p90: r(q(0.9)), p99: r(q(0.99)), p999: r(q(0.999)),
           max: r(a[n - 1]), mean: r(sum / n) };
}

function cpuSnapshot() { return { cpu: process.cpuUsage(), t: nowMs() }; }
function cpuSince(s) {
  const d = process.cpuUsage(s.cpu);
  const wall = (nowMs() - s.t) / 1000;
  const busy = (d.user + d.system) / 1e6;
  return { user_s: +(d.user / 1e6).toFixed(3), system_s: +(d.system / 1e6).toFixed(3),
           wall_s: +wall.toFixed(3), cpu_pct_of_one_core: +(100 * busy / wall).toFixed(1) };
}

function clientUrl(server, base, type, id, extra = '') {
  const root = base.replace(/\/+$/, '');
  const q = `client_type=${type}&client_id=${encodeURIComponent(id)}${extra}`;
  return server === 'peer' ? `${root}/?${q}` : `${root}/ws?${q}`;
}

/** Open a socket and resolve once the server's first message (`connected`) arrived. */
function open(server, base, type, id, extra = '', timeoutMs = 10000, onSocket = null) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(clientUrl(server, base, type, id, extra), {
      headers: { 'client-type': type, 'client-id': id }, perMessageDeflate: false,
    });
    // Handlers go on before the first byte arrives: a replay can share a TCP read with
    // `connected`, and ws emits all of a read's frames synchronously.
    if (onSocket) onSocket(ws);
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`connect ${id} timed out`)); }, timeoutMs);
    ws.once('message', () => { clearTimeout(timer); resolve(ws); });
    ws.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

async function openMany(server, base, type, n, prefix, extra = '') {
  const out = [];
  // Batches of 25 keep the accept queue short without serialising everything.
  for (let i = 0; i < n; i += 25) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 25); j++) batch.push(open(server, base, type, `${prefix}${j}`, extra));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

function makeOrder(runId, seq, pos, sentMs) {
  return {
    uuid: `${runId}-${seq}`,
    order_number: `B${runId.slice(0, 6)}-${seq}`,
    outlet_id: 1,
    items: [{ product_id: 7, name: 'Margherita', qty: 2, price: '45000', modifiers: ['extra cheese'],
              station: 'oven' }],
    total_amount: '90000',
    order_type: 'dine_in',
    table: String(seq % 40),
    customer_name: `pos${pos}`,
    source: 'pos',
    // The timestamp travels in a field both servers keep: "bench <send ms> <seq>".
    notes: `bench ${sentMs.toFixed(4)} ${seq}`,
  };
}

function parseNotes(notes) {
  if (typeof notes !== 'string' || !notes.startsWith('bench ')) return null;
  const sp = notes.indexOf(' ', 6);
  return { sent: parseFloat(notes.slice(6, sp)), seq: parseInt(notes.slice(sp + 1), 10) };
}

// ---------------------------------------------------------------- latency
async function latency(o) {
  const server = o.server || 'hub';
  const base = o.ws;
  const rate = parseFloat(o.rate || '50');
  const duration = parseFloat(o.duration || '10');
  const nK = parseInt(o.kitchens || '20', 10);
  const nP = parseInt(o.pos || '5', 10);
  const drainS = parseFloat(o.drain || '10');
  const total = Math.round(rate * duration);
  const runId = crypto.randomBytes(6).toString('hex');

  const kitchens = await openMany(server, base, 'kitchen', nK, `k-${runId}-`);
  const poses = await openMany(server, base, 'pos', nP, `p-${runId}-`);

  const lat = new Float64Array(total * nK);
  let nLat = 0;
  let received = 0; let duplicates = 0; let foreign = 0; let outOfOrder = 0;
  const seen = kitchens.map(() => new Uint8Array(total));
  const lastRev = new Float64Array(nK);
  const k0lat = new Float64Array(total).fill(NaN);   // kitchen 0's latency per order, for --trace
  kitchens.forEach((ws, k) => {
    ws.on('message', (data) => {
      const t = nowMs();
      const m = JSON.parse(data);
      if (m.type !== 'new_order') return;
      const order = m.payload || m.data;
      const info = order && parseNotes(order.notes);
      if (!info || !order.uuid || !order.uuid.startsWith(runId)) { foreign++; return; }
      if (seen[k][info.seq]) { duplicates++; return; }
      seen[k][info.seq] = 1;
      received++;
      lat[nLat++] = t - info.sent;
      if (k === 0) k0lat[info.seq] = t - info.sent;
      if (typeof order.rev === 'number') {
        if (order.rev <= lastRev[k]) outOfOrder++;
        lastRev[k] = order.rev;
      }
    });
  });

  const ackLat = new Float64Array(total);
  const ackBySeq = new Float64Array(total).fill(NaN);
  let nAck = 0; let acked = 0; let dupAcks = 0;
  const errors = {};
  const sentAt = new Float64Array(total);
  poses.forEach((ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.type === 'ack' && typeof m.ref === 'string' && m.ref.startsWith('m')) {
        const seq = parseInt(m.ref.slice(1), 10);
        acked++;
        if (m.payload && m.payload.duplicate) dupAcks++;
        ackLat[nAck++] = ackBySeq[seq] = nowMs() - sentAt[seq];
      } else if (m.type === 'error') {
        const code = (m.payload && m.payload.code) || 'unknown';
        errors[code] = (errors[code] || 0) + 1;
      }
    });
  });
  const closed = { count: 0 };
  [...kitchens, ...poses].forEach((ws) => ws.on('close', () => { closed.count++; }));

  // Open-loop schedule: order i is due at start + i / rate; round-robin over the POS.
  const cpu0 = cpuSnapshot();
  const start = nowMs();
  let seq = 0; let maxLag = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const t = nowMs();
      const due = Math.min(total, Math.floor(((t - start) / 1000) * rate) + 1);
      while (seq < due) {
        const scheduled = start + (seq / rate) * 1000;
        const sent = nowMs();
        maxLag = Math.max(maxLag, sent - scheduled);
        sentAt[seq] = sent;
        const ws = poses[seq % nP];
        ws.send(JSON.stringify({ type: 'new_order', id: `m${seq}`,
                                 payload: { order: makeOrder(runId, seq, seq % nP, sent) } }));
        seq++;
      }
      if (seq >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendWall = (nowMs() - start) / 1000;

  // Drain: wait until every expected delivery arrived, or no progress for `drain` seconds.
  const expectedFor = () => (server === 'hub' ? (acked - dupAcks) * nK : total * nK);
  let lastProgress = nowMs(); let lastCount = -1;
  while (true) {
    const ackDone = server !== 'hub' || acked + Object.values(errors).reduce((a, b) => a + b, 0) >= total;
    if (ackDone && received >= expectedFor()) break;
    if (received + acked !== lastCount) { lastCount = received + acked; lastProgress = nowMs(); }
    if (nowMs() - lastProgress > drainS * 1000) break;
    await sleep(20);
  }
  const cpu = cpuSince(cpu0);
  const expected = expectedFor();
  if (o.trace) {   // seq, send time since start (ms), ack latency, kitchen-0 delivery latency
    const rows = ['seq,sent_ms,ack_ms,kitchen0_ms'];
    for (let i = 0; i < total; i++) {
      rows.push(`${i},${(sentAt[i] - start).toFixed(3)},${ackBySeq[i].toFixed(3)},${k0lat[i].toFixed(3)}`);
    }
    require('fs').writeFileSync(o.trace, rows.join('\n') + '\n');
  }
  [...kitchens, ...poses].forEach((ws) => ws.terminate());
  return {
    mode: 'latency', server, rate_target: rate, duration_s: duration, kitchens: nK, pos: nP,
    sent: total, send_wall_s: +sendWall.toFixed(3), rate_achieved: +(total / sendWall).toFixed(1),
    send_lag_ms_max: +maxLag.toFixed(3),
    acked: server === 'hub' ? acked : null, duplicate_acks: server === 'hub' ? dupAcks : null,
    errors, expected, received, duplicates, missing: Math.max(0, expected - received),
    foreign, out_of_order: outOfOrder, sockets_closed_early: closed.count,
    all_accounted: received === expected && duplicates === 0 &&
      (server !== 'hub' || (acked === total && Object.keys(errors).length === 0)),
    latency_ms: percentiles(lat, nLat),
    ack_latency_ms: server === 'hub' ? percentiles(ackLat, nAck) : null,
    loadgen_cpu: cpu,
  };
}

// ---------------------------------------------------------------- restart
async function restart(o) {
  const base = o.ws;
  const healthUrl = o.health;
  const nK = parseInt(o.kitchens || '100', 10);
  const nLive = parseInt(o.live || '300', 10);
  const nMissed = parseInt(o.missed || '200', 10);
  const retryMs = parseFloat(o.retry || '100');
  const runId = crypto.randomBytes(6).toString('hex');
  const stdin = readline.createInterface({ input: process.stdin });
  const commands = [];
  let waiter = null;
  stdin.on('line', (l) => { commands.push(l.trim()); if (waiter) { const w = waiter; waiter = null; w(); } });
  const command = async () => { while (!commands.length) await new Promise((r) => { waiter = r; }); return commands.shift(); };

  const K = Array.from({ length: nK }, (_, i) => ({
    id: `rk-${runId}-${i}`, ws: null, rev: 0, frozen: false, got: new Set(), replayDone: null,
    attempts: 0, replayed: 0, dup: 0,
  }));
  const attach = (k, ws) => {
    k.ws = ws;
    ws.on('message', (data) => {
      // A frozen screen processes nothing, and a terminated socket's buffered frames (ws
      // still emits them while closing) are lost with the tablet, not delivered.
      if (k.frozen || ws.benchDead) return;
      const m = JSON.parse(data);
      if (m.type === 'new_order') {
        const order = m.payload;
        if (order.rev > k.rev) k.rev = order.rev;
        if (!order.uuid.startsWith(runId)) return;
        if (k.got.has(order.uuid)) k.dup++;
        k.got.add(order.uuid);
        if (m.replay) k.replayed++;
      } else if (m.type === 'order_status_update') {
        if (m.payload.rev > k.rev) k.rev = m.payload.rev;
      } else if (m.type === 'replay_done' && k.replayDone === null && k.reconnecting) {
        k.replayDone = nowMs();
      }
    });
    ws.on('error', () => {});
  };
  for (let i = 0; i < nK; i += 25) {
    await Promise.all(K.slice(i, i + 25).map((k) => open('hub', base, 'kitchen', k.id, '', 10000, (ws) => attach(k, ws))));
  }
  const pos = await open('hub', base, 'pos', `rp-${runId}`);
  const acked = new Set(); const errors = {};
  let ackWaiter = null;
  pos.on('message', (data) => {
    const m = JSON.parse(data);
    if (m.type === 'ack') acked.add(m.payload.uuid);
    else if (m.type === 'error') { const c = m.payload.code; errors[c] = (errors[c] || 0) + 1; }
    if (ackWaiter) ackWaiter();
  });
  const submit = async (from, n) => {
    for (let s = from; s < from + n; s++) {
      pos.send(JSON.stringify({ type: 'new_order', id: `m${s}`, payload: { order: makeOrder(runId, s, 0, nowMs()) } }));
      if ((s - from) % 100 === 99) await sleep(10);    // stay well under the per-client rate limit
    }
    const deadline = nowMs() + 20000;
    while (acked.size < from + n && nowMs() < deadline) await new Promise((r) => { ackWaiter = r; setTimeout(r, 50); });
  };
  await submit(0, nLive);
  const liveDeadline = nowMs() + 20000;
  while (K.some((k) => k.got.size < nLive) && nowMs() < liveDeadline) await sleep(20);
  const liveDelivered = K.filter((k) => k.got.size >= nLive).length;
  // The screens freeze (network stalled): they keep the socket but process nothing more.
  K.forEach((k) => { k.frozen = true; k.ws._socket && k.ws._socket.pause(); });
  await submit(nLive, nMissed);
  const ackedBeforeKill = acked.size;
  emit({ event: 'frozen', acked: ackedBeforeKill });
  const cmd = await command();     // bench/run.py SIGKILLs the hub, restarts it, says "killed"
  if (cmd !== 'killed') throw new Error(`unexpected command ${cmd}`);
  pos.terminate();
  const tKilled = nowMs();

  // Every kitchen reconnects on its own, retrying every `retry` ms, with since_rev.
  const reconnect = async (k) => {
    k.ws.benchDead = true;
    k.ws.terminate();
    k.frozen = false; k.reconnecting = true;
    while (true) {
      k.attempts++;
      try {
        await open('hub', base, 'kitchen', k.id, `&since_rev=${k.rev}`, 5000, (ws) => attach(k, ws));
        return;
      } catch (e) { await sleep(retryMs * (0.5 + Math.random())); }
    }
  };
  K.forEach((k) => { reconnect(k); });
  // Time the hub's /health going 200, from this side, every 10 ms.
  let tHealth = null;
  let busy0 = null, cpu0 = null;       // this process's own share of the catch-up, from /health
  (async () => {
    while (tHealth === null) {
      const ok = await new Promise((resolve) => {
        const req = http.get(healthUrl, { timeout: 500 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
        req.on('error', () => resolve(false));
        req.on('timeout', () => { req.destroy(); resolve(false); });
      });
      if (ok) {
        tHealth = nowMs(); busy0 = performance.eventLoopUtilization(); cpu0 = process.cpuUsage();
      } else await sleep(10);
    }
  })();
  const deadline = nowMs() + 60000;
  while (nowMs() < deadline && (tHealth === null || K.some((k) => k.replayDone === null))) await sleep(10);
  // One process plays all 100 kitchens: it parses every kitchen's replay (20,000 messages)
  // on one thread, so the last replay_done also waits for this side (bench/README.md).
  const busy = busy0 && performance.eventLoopUtilization(busy0);
  const genCpu = cpu0 && process.cpuUsage(cpu0);
  const ackedUuids = [...acked];
  const complete = K.filter((k) => k.replayDone !== null && ackedUuids.every((u) => k.got.has(u))).length;
  const caughtUp = K.filter((k) => k.replayDone !== null).map((k) => k.replayDone - tHealth).sort((a, b) => a - b);
  const result = {
    mode: 'restart', kitchens: nK, live_orders: nLive, missed_orders: nMissed, retry_ms: retryMs,
    acked: acked.size, errors, live_delivered_to: liveDelivered,
    kill_to_health_ms: tHealth === null ? null : +(tHealth - tKilled).toFixed(1),
    caught_up: caughtUp.length, complete_kitchens: complete,
    all_caught_up_after_health_ms: caughtUp.length === nK ? +caughtUp[nK - 1].toFixed(1) : null,
    p50_caught_up_after_health_ms: caughtUp.length ? +caughtUp[Math.floor(caughtUp.length / 2)].toFixed(1) : null,
    replayed_per_kitchen_min: Math.min(...K.map((k) => k.replayed)),
    duplicates: K.reduce((a, k) => a + k.dup, 0),
    reconnect_attempts: K.reduce((a, k) => a + k.attempts, 0),
    all_accounted: complete === nK && K.every((k) => k.dup === 0),
    loadgen_cpu_ms_after_health: genCpu ? +((genCpu.user + genCpu.system) / 1000).toFixed(1) : null,
    loadgen_loop_busy_after_health: busy ? +busy.utilization.toFixed(3) : null,
  };
  K.forEach((k) => k.ws && k.ws.terminate());
  stdin.close();
  return result;
}

// ---------------------------------------------------------------- hold
async function hold(o) {
  const server = o.server || 'hub';
  const nK = parseInt(o.kitchens || '180', 10);
  const nP = parseInt(o.pos || '20', 10);
  const nOrders = parseInt(o.orders || '100', 10);
  const runId = crypto.randomBytes(6).toString('hex');
  const kitchens = await openMany(server, o.ws, 'kitchen', nK, `hk-${runId}-`);
  const poses = await openMany(server, o.ws, 'pos', nP, `hp-${runId}-`);
  let received = 0;
  kitchens.forEach((ws) => ws.on('message', (d) => { if (JSON.parse(d).type === 'new_order') received++; }));
  for (let s = 0; s < nOrders; s++) {
    poses[s % nP].send(JSON.stringify({ type: 'new_order', id: `m${s}`, payload: { order: makeOrder(runId, s, s % nP, nowMs()) } }));
  }
  const deadline = nowMs() + 20000;
  while (received < nOrders * nK && nowMs() < deadline) await sleep(20);
  const stdin = readline.createInterface({ input: process.stdin });
  emit({ event: 'ready', connected: nK + nP, received });
  await new Promise((r) => stdin.once('line', r));
  stdin.close();
  [...kitchens, ...poses].forEach((ws) => ws.terminate());
  return { mode: 'hold', server, clients: nK + nP, orders: nOrders, expected: nOrders * nK, received,
           all_accounted: received === nOrders * nK };
}

// ---------------------------------------------------------------- poll
async function poll(o) {
  const url = new URL(o.url);
  const conc = parseInt(o.concurrency || '50', 10);
  const duration = parseFloat(o.duration || '10');
  const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
  const lat = new Float64Array(5e6); let n = 0; let ok = 0; let bad = 0; let bytes = 0;
  const cpu0 = cpuSnapshot();
  const end = nowMs() + duration * 1000;
  const one = () => new Promise((resolve) => {
    const t = nowMs();
    const req = http.get({ host: url.hostname, port: url.port, path: url.pathname + url.search, agent }, (res) => {
      res.on('data', (c) => { bytes += c.length; });
      res.on('end', () => { if (res.statusCode === 200) ok++; else bad++; if (n < lat.length) lat[n++] = nowMs() - t; resolve(); });
    });
    req.on('error', () => { bad++; resolve(); });
  });
  const loop = async () => { while (nowMs() < end) await one(); };
  const t0 = nowMs();
  await Promise.all(Array.from({ length: conc }, loop));
  const wall = (nowMs() - t0) / 1000;
  agent.destroy();
  return { mode: 'poll', client: 'node', concurrency: conc, duration_s: +wall.toFixed(3), requests: ok + bad,
           ok, non_200_or_errors: bad, requests_per_s: +(ok / wall).toFixed(1),
           bytes_per_response: ok ? Math.round(bytes / ok) : 0, latency_ms: percentiles(lat, n),
           loadgen_cpu: cpuSince(cpu0) };
}

// ---------------------------------------------------------------- main
(async () => {
  const o = args(process.argv.slice(2));
  const mode = o._[0];
  const modes = { latency, restart, hold, poll };
  if (!modes[mode]) { console.error(`usage: loadgen.js ${Object.keys(modes).join('|')} …`); process.exit(2); }
  try {
    emit(await modes[mode](o));
    process.exit(0);
  } catch (e) {
    emit({ mode, error: String(e && e.stack || e) });
    process.exit(1);
  }
})();
