// One place that opens the Socket.IO connection and sends commands with an acknowledgement.
import { io } from "/static/vendor/socket.io-4.8.4.esm.min.js";
import { LANG, t } from "./i18n.js";

const ANSWER_TIMEOUT_MS = 10000;
const NO_ANSWER = {
  ok: false,
  code: "timeout",
  error: t("The server did not answer. Check your connection and try again."),
};

/** Open a connection that reconnects by itself; `auth` is read again on every attempt.
 *  The room code also rides in the URL's query, so that a proxy in front of several
 *  workers sends polling and websocket alike to the room's own worker (docs/scaling.md).
 *  `lang` asks the server for its sentences (refusals) in the page's language. */
export function connect(auth) {
  const read = () => ({ ...(typeof auth === "function" ? auth() : auth), lang: LANG });
  return io({
    query: { code: read().code },
    auth: (cb) => cb(read()),
    transports: ["websocket", "polling"],
    reconnectionDelay: 1000,
    reconnectionDelayMax: 8000,
    randomizationFactor: 0.5,
    timeout: 15000,
  });
}

/** Send a command and resolve with its acknowledgement (or a calm timeout error). */
export async function command(socket, event, payload = {}) {
  try {
    const ack = await socket.timeout(ANSWER_TIMEOUT_MS).emitWithAck(event, payload);
    return ack && typeof ack === "object" ? ack : { ok: false, error: t("Unexpected answer from the server.") };
  } catch {
    return NO_ANSWER;
  }
}

/** Reconnect now rather than at the next scheduled retry, which can be seconds away. */
export function reconnectNow(socket) {
  if (socket.connected) return;
  // While the client waits between retries, connect() does nothing; start over instead.
  if (socket.io._reconnecting) socket.disconnect();
  socket.connect();
}

/** Call `callback` when the page comes back: shown again, restored from cache, or back online. */
export function onReturn(callback) {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") callback("visible");
  });
  window.addEventListener("pageshow", (event) => { if (event.persisted) callback("pageshow"); });
  window.addEventListener("online", () => callback("online"));
}
