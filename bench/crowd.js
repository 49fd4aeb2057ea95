// A light crowd of phones for bench/cluster.py: each bot joins over HTTP (POST /api/join), opens a
// websocket speaking Engine.IO 4 / Socket.IO 4 text framing with the room code in the URL's query
// (as the browser client does), agrees, and notes when each `room` seq first reaches it.
// Driven by JSON lines on stdin; answers with one JSON line on stdout per request.
import http from "node:http";
import readline from "node:readline";
import { WebSocket } from "ws";

const now = () => performance.timeOrigin + performance.now();
const rooms = new Map(); // key -> [bot]
let delivered = 0;

// Spread the bots over many loopback source addresses, as phones have their own: the server's
// per-address code guard then sees a crowd, not one address (bench/cluster.py says so).
const source = (i) => `127.1.${Math.floor(i / 200) % 250}.${(i % 200) + 1}`;

function post(base, path, body, localAddress) {
  const url = new URL(path, base);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: "POST", localAddress,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
      timeout: 30000,
    }, (res) => {
      let text = "";
      res.on("data", (chunk) => { text += chunk; });
      res.on("end", () => resolve({ status: res.statusCode, text }));
    });
    req.on("timeout", () => req.destroy(new Error("join timed out")));
    req.on("error", reject);
    req.end(data);
  });
}

class Bot {
  constructor(base, code, index) {
    this.base = base; this.code = code; this.index = index;
    this.seen = {}; this.failure = null; this.ackId = 0; this.acks = new Map();
  }

  async start(name) {
    const local = source(this.index);
    const joined = await post(this.base, "/api/join", { code: this.code, name }, local);
    if (joined.status !== 201) throw new Error(`join ${joined.status}: ${joined.text.slice(0, 120)}`);
    this.token = JSON.parse(joined.text).token;
    const ws = `${this.base.replace("http", "ws")}/socket.io/?code=${this.code}&EIO=4&transport=websocket`;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("connect timed out")), 30000);
      this.ws = new WebSocket(ws, { localAddress: local, perMessageDeflate: false });
      this.ws.on("error", (e) => { clearTimeout(timer); reject(e); });
      this.ws.on("close", () => { this.closed = true; });
      this.ws.on("message", (raw) => {
        const text = raw.toString();
        if (text[0] === "0") {
          this.ws.send("40" + JSON.stringify({ role: "attendee", code: this.code, token: this.token }));
        } else if (text === "2") {
          this.ws.send("3");
        } else if (text.startsWith("40")) {
          clearTimeout(timer); resolve();
        } else if (text.startsWith("44")) {
          clearTimeout(timer); reject(new Error("refused " + text.slice(2, 120)));
        } else if (text.startsWith("42")) {
          this.onEvent(JSON.parse(text.slice(2)));
        } else if (text.startsWith("43")) {
          const match = /^43(\d+)(.*)$/.exec(text);
          const done = this.acks.get(Number(match[1]));
          if (done) { this.acks.delete(Number(match[1])); done(JSON.parse(match[2])[0]); }
        }
      });
    });
    const ack = await this.call("agree", {});
    if (!ack.ok && ack.code !== "no_agreements") throw new Error("agree " + JSON.stringify(ack));
  }

  call(event, data) {
    const id = this.ackId++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.ws.send(`42${id}` + JSON.stringify([event, data]));
    });
  }

  onEvent([event, data]) {
    delivered += 1;
    if (event === "room" && data && !(data.seq in this.seen)) this.seen[data.seq] = now();
  }
}

async function join({ key, url, code, n, first, concurrency }) {
  const bots = Array.from({ length: n }, (_, i) => new Bot(url, code, first + i));
  rooms.set(key, bots);
  let next = 0;
  const began = now();
  async function lane() {
    while (next < bots.length) {
      const bot = bots[next++];
      try { await bot.start(`Bot ${bot.index}`); } catch (e) { bot.failure = String(e.message || e); }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  const failed = bots.filter((b) => b.failure);
  return { key, joined: n - failed.length, failed: failed.length, seconds: (now() - began) / 1000,
           failures: [...new Set(failed.map((b) => b.failure))].slice(0, 5) };
}

async function joinMany({ specs, concurrency }) {
  const began = now();
  const share = Math.max(2, Math.floor(concurrency / specs.length));
  const outcomes = await Promise.all(specs.map((s) => join({ ...s, concurrency: share })));
  return { joined: outcomes.reduce((a, o) => a + o.joined, 0), failed: outcomes.reduce((a, o) => a + o.failed, 0),
           seconds: (now() - began) / 1000, failures: [...new Set(outcomes.flatMap((o) => o.failures))].slice(0, 5),
           connected: [...rooms.values()].flat().filter((b) => !b.failure && !b.closed).length };
}

const handlers = {
  join_many: joinMany,
  count: async () => ({ delivered, connected: [...rooms.values()].flat().filter((b) => !b.failure && !b.closed).length }),
  arrivals: async ({ key }) => ({ seen: (rooms.get(key) || []).filter((b) => !b.failure).map((b) => b.seen) }),
  close: async () => {
    for (const bots of rooms.values()) for (const b of bots) if (b.ws) b.ws.terminate();
    rooms.clear();
    return { closed: true };
  },
};

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const { op, ...args } = JSON.parse(line);
  try {
    process.stdout.write(JSON.stringify(await handlers[op](args)) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: `${op}: ${e.message || e}` }) + "\n");
  }
});
lines.on("close", () => process.exit(0));
