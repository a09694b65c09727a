'use strict';
/*
 * The seed's "Kitchen Sync Server", re-created as the peer the hub must beat.
 *
 * Faithful to the seed documents (seeds/001 README, seeds/003 server.js excerpt, seeds/004
 * polling section): Node.js + `ws`, everything in memory, nothing durable.
 *
 *   - WebSocket on PORT (3001). Clients identify with `client-type` / `client-id` request
 *     headers (seed clients) or the `client_type` / `client_id` query string (bench clients
 *     use both forms; the query string is accepted so one generator drives both servers).
 *   - A `new_order` from anyone is stored in the per-outlet cache and sent to every
 *     connected client whose type is `kitchen` (the seed's broadcastNewOrder); every other
 *     message type goes to all other clients (broadcastToAll). No ack, no dedup, no filter.
 *   - In-memory cache: the last MAX_ORDERS_PER_OUTLET (100) orders per outlet, FIFO.
 *     `id: orderData.id || Date.now()` exactly as the seed (ids collide within a millisecond).
 *   - HTTP on the same port: GET /api/orders?outlet_id&since_id (array of cached orders with
 *     id > since_id) and POST /emit (store + broadcast).
 *   - HTTP on HTTP_PORT (3002): GET /health {status, connections, clients, uptime, timestamp}
 *     and GET /clients.
 *
 * The seed used Express for the HTTP side; plain `http` is used here so the peer's only
 * dependency is `ws` (Express would only make the peer slower — the hub's bar gets lower,
 * not higher, by leaving it out).
 *
 * PEER_DURABLE_FILE=path turns it into the *durable peer*: the same server, but every order
 * is written to that file and `fdatasync`ed before it is broadcast — the least a server can
 * do and still say an order it passed on is on disk. The file is preallocated (written
 * with zeros and fsynced at start) and orders overwrite it in place, wrapping at its end,
 * so each `fdatasync` flushes data only, never file size or block allocation: cheaper
 * than any real store (no index, no transaction, no recovery). It is the benchmark's floor
 * for durability, not a store: what a durable server must pay at the least, in the same
 * run as the in-memory peer and the hub.
 */
const fs = require('fs');
const http = require('http');
const { URL } = require('url');
const { WebSocketServer, WebSocket } = require('ws');

const PORT = parseInt(process.env.PORT || process.env.WS_PORT || '3001', 10);
const HTTP_PORT = parseInt(process.env.HTTP_PORT || '3002', 10);
const HOST = process.env.HOST || '127.0.0.1';
const MAX_ORDERS_PER_OUTLET = parseInt(process.env.MAX_ORDERS_PER_OUTLET || '100', 10);
const QUIET = process.env.PEER_QUIET === '1';

const DURABLE_FILE = process.env.PEER_DURABLE_FILE || '';
const DURABLE_BYTES = 64 * 1024 * 1024;

const log = (...a) => { if (!QUIET) console.log(`[${new Date().toISOString()}]`, ...a); };

const clients = new Map();     // clientId -> {ws, type, connectedAt}
const orderCache = new Map();  // outlet_id -> [order, …] (last 100)

let durableFd = null;
let durablePos = 0;
let durableSynced = 0;   // orders written and fdatasynced, shown in /health
if (DURABLE_FILE) {
  durableFd = fs.openSync(DURABLE_FILE, 'w+');
  const zeros = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < DURABLE_BYTES; at += zeros.length) fs.writeSync(durableFd, zeros, 0, zeros.length, at);
  fs.fsyncSync(durableFd);
}

/** Durable peer only: the order is on disk before anyone hears of it. */
function persist(orderData) {
  if (durableFd === null) return;
  const line = Buffer.from(JSON.stringify(orderData) + '\n');
  if (durablePos + line.length > DURABLE_BYTES) durablePos = 0;
  fs.writeSync(durableFd, line, 0, line.length, durablePos);
  durablePos += line.length;
  fs.fdatasyncSync(durableFd);
  durableSynced++;
}

function storeOrderForPolling(orderData) {
  persist(orderData);   // (durable peer) before the cache and before any broadcast
  const outletId = orderData.outlet_id;
  if (!orderCache.has(outletId)) orderCache.set(outletId, []);
  const orders = orderCache.get(outletId);
  orders.push({ ...orderData, id: orderData.id || Date.now(), timestamp: new Date().toISOString() });
  if (orders.length > MAX_ORDERS_PER_OUTLET) orders.shift();
}

function broadcastNewOrder(orderData) {
  const message = JSON.stringify({ type: 'new_order', data: orderData, payload: orderData,
                                   timestamp: new Date().toISOString() });
  let sentCount = 0;
  clients.forEach((client) => {
    if (client.type === 'kitchen' && client.ws.readyState === WebSocket.OPEN) {
      client.ws.send(message);
      sentCount++;
    }
  });
  return sentCount;
}

function broadcastToAll(data, except) {
  const message = JSON.stringify(data);
  clients.forEach((client) => {
    if (client.ws !== except && client.ws.readyState === WebSocket.OPEN) client.ws.send(message);
  });
}

function orderOf(data) {
  // Seed clients sent {type, data} or {type, payload}; the bench sends {type, payload: {order}}.
  let order = data.payload !== undefined ? data.payload : data.data;
  if (order && typeof order === 'object' && order.order && typeof order.order === 'object') order = order.order;
  return order;
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
  res.end(text);
}

// --- port 3001: WebSocket + polling + /emit --------------------------------------------------
const app = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/api/orders') {
    const outletId = parseInt(url.searchParams.get('outlet_id'), 10);
    const sinceId = parseInt(url.searchParams.get('since_id'), 10) || 0;
    const orders = orderCache.get(outletId) || [];
    return sendJson(res, 200, orders.filter((o) => o.id > sinceId));
  }
  if (req.method === 'POST' && url.pathname === '/emit') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body;
      try { body = JSON.parse(Buffer.concat(chunks).toString()); } catch (e) {
        return sendJson(res, 400, { error: 'invalid json' });
      }
      const order = body.order || body.data || body.payload || body;
      storeOrderForPolling(order);
      const sent = broadcastNewOrder(order);
      return sendJson(res, 200, { success: true, sent });
    });
    return undefined;
  }
  return sendJson(res, 404, { error: 'not found' });
});

const wss = new WebSocketServer({ server: app });
wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://x');
  const type = req.headers['client-type'] || url.searchParams.get('client_type') || 'unknown';
  const clientId = req.headers['client-id'] || url.searchParams.get('client_id') ||
    `${type}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  clients.set(clientId, { ws, type, connectedAt: new Date().toISOString() });
  log(`New connection ${clientId} (${type}) from ${req.socket.remoteAddress}`);
  ws.send(JSON.stringify({ type: 'connected', clientId, timestamp: new Date().toISOString() }));

  ws.on('message', (raw) => {
    let data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    if (data.type === 'new_order') {
      const order = orderOf(data);
      if (order && typeof order === 'object') {
        storeOrderForPolling(order);
        broadcastNewOrder(order);
      }
    } else if (data.type === 'ping') {
      ws.send(JSON.stringify({ type: 'pong', timestamp: new Date().toISOString() }));
    } else {
      broadcastToAll(data, ws);
    }
  });
  ws.on('close', () => {
    if (clients.get(clientId) && clients.get(clientId).ws === ws) clients.delete(clientId);
    log(`Client disconnected ${clientId}`);
  });
  ws.on('error', () => {});
});

// --- port 3002: health --------------------------------------------------------------------
const ops = http.createServer((req, res) => {
  if (req.url === '/health') {
    return sendJson(res, 200, { status: 'ok', timestamp: new Date().toISOString(),
                                connections: wss.clients.size, clients: clients.size,
                                uptime: process.uptime(),
                                durable_orders: durableFd === null ? null : durableSynced });
  }
  if (req.url === '/clients') {
    const list = [];
    clients.forEach((c, id) => list.push({ id, type: c.type, connectedAt: c.connectedAt }));
    return sendJson(res, 200, { total: clients.size, clients: list });
  }
  return sendJson(res, 404, { error: 'not found' });
});

app.listen(PORT, HOST, () => {
  ops.listen(HTTP_PORT, HOST, () => {
    log(`WebSocket Server: ws://${HOST}:${PORT}  HTTP Server: http://${HOST}:${HTTP_PORT}`);
  });
});

function shutdown() {
  wss.clients.forEach((c) => c.close());
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
