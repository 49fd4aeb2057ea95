// Estimate the offset between this device's clock and the server's (docs/protocol.md, "Clock").
import { command, onReturn } from "./socket.js";

const SAMPLES = 12; // per sync: on connect, every minute, and on return to the page
const SAMPLE_GAP_MS = 75;
const KEEP_SAMPLES = 24; // the newest samples across syncs; older ones may carry clock drift
const REFRESH_MS = 60000;

let offset = 0; // server time = Date.now() + offset
let synced = false;
let socket = null;
let running = null;
const listeners = new Set();

/** The server's clock now, in epoch milliseconds. */
export function serverNow() {
  return Date.now() + offset;
}

/** A server-time instant (such as a deadline) in this device's clock. */
export function toLocal(serverTime) {
  return serverTime - offset;
}

/** Whether at least one good estimate has been made. */
export function isSynced() {
  return synced;
}

/** Call `listener(offset)` whenever the estimate changes. */
export function onClockChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Keep the estimate fresh over this socket: now, on every (re)connect, every minute and on return. */
export function startClock(sock) {
  socket = sock;
  socket.on("connect", () => { resync(); });
  setInterval(() => { if (socket.connected) resync(); }, REFRESH_MS);
  onReturn(() => { if (socket.connected) resync(); });
  if (socket.connected) resync();
}

/** Take a fresh set of samples; concurrent calls share one run. */
export function resync() {
  if (!running) running = sample().finally(() => { running = null; });
  return running;
}

// Each sample bounds the offset: the server read its clock after we sent and before we
// received, so  server_now - received <= offset <= server_now - sent.  The intersection of
// many samples is far narrower than any one round trip; its middle is the estimate.
let kept = [];

async function sample() {
  const fresh = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    if (i) await wait(SAMPLE_GAP_MS);
    if (!socket || !socket.connected) break;
    const sent = Date.now();
    const ack = await command(socket, "sync_clock", {});
    const received = Date.now();
    if (ack.ok && Number.isFinite(ack.now) && received >= sent) {
      fresh.push({ low: ack.now - received, high: ack.now - sent });
    }
  }
  if (!fresh.length) return offset;
  kept = kept.concat(fresh).slice(-KEEP_SAMPLES);
  let next = middle(kept);
  if (next === null) {
    // The bounds disagree: this device's clock was changed. Start again from the fresh samples.
    kept = fresh;
    next = middle(kept) ?? fresh.map((s) => (s.low + s.high) / 2).sort((a, b) => a - b)[fresh.length >> 1];
  }
  const changed = !synced || Math.abs(next - offset) > 5;
  offset = next;
  synced = true;
  if (changed) listeners.forEach((listener) => listener(offset));
  return offset;
}

function middle(samples) {
  const low = Math.max(...samples.map((s) => s.low));
  const high = Math.min(...samples.map((s) => s.high));
  return low <= high ? (low + high) / 2 : null;
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
