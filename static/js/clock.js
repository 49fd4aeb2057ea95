// Estimate the offset between this device's clock and the server's (docs/protocol.md, "Clock").
import { command, onReturn } from "./socket.js";

const SAMPLES = 5;
const SAMPLE_GAP_MS = 150;
const KEEP = 3;
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

async function sample() {
  const samples = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    if (i) await wait(SAMPLE_GAP_MS);
    if (!socket || !socket.connected) break;
    const sent = performance.now();
    const ack = await command(socket, "sync_clock", {});
    const rtt = performance.now() - sent;
    const received = Date.now();
    if (ack.ok && Number.isFinite(ack.now)) samples.push({ rtt, offset: ack.now + rtt / 2 - received });
  }
  if (!samples.length) return offset;
  const best = samples.sort((a, b) => a.rtt - b.rtt).slice(0, KEEP).map((s) => s.offset).sort((a, b) => a - b);
  const next = best[Math.floor(best.length / 2)];
  const changed = !synced || Math.abs(next - offset) > 5;
  offset = next;
  synced = true;
  if (changed) listeners.forEach((listener) => listener(offset));
  return offset;
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
