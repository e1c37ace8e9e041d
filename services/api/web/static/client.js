// Overpush desktop client: the Open Client API (log in, register, download then delete),
// the /push WebSocket, messages kept in IndexedDB for offline viewing, browser notifications.
"use strict";

const $ = (id) => document.getElementById(id);
const store = window.localStorage;
const state = { ws: null, backoff: 1000, stopped: false, app: "all", syncing: null };

// ---- IndexedDB: one object store of messages keyed by their unique id (umid) -------------
function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open("overpush", 1);
    req.onupgradeneeded = () => {
      const os = req.result.createObjectStore("messages", { keyPath: "umid" });
      os.createIndex("aid", "aid");
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
async function tx(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction("messages", mode);
    const result = fn(t.objectStore("messages"));
    t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    t.onerror = () => reject(t.error);
  });
}
const allMessages = () => tx("readonly", (s) => s.getAll());
const putMessages = (ms) => tx("readwrite", (s) => { ms.forEach((m) => s.put(m)); });
const deleteMessages = (umids) => tx("readwrite", (s) => { umids.forEach((u) => s.delete(u)); });

// ---- The Open Client API ------------------------------------------------------------------
async function api(method, path, params) {
  const opts = { method };
  if (method === "POST") opts.body = new URLSearchParams(params);
  else path += "?" + new URLSearchParams(params);
  const r = await fetch(path, opts);
  const body = await r.json().catch(() => ({ errors: ["unreadable answer"] }));
  return { status: r.status, body };
}
function errorText(body) {
  const e = body.errors;
  if (Array.isArray(e)) return e.join("; ");
  if (e && typeof e === "object") return Object.entries(e).map(([k, v]) => `${k} ${v}`).join("; ");
  return "something went wrong";
}

async function sync() {
  if (state.syncing) return state.syncing;   // one sync at a time; '!' during one is covered
  state.syncing = (async () => {
    const { status, body } = await api("GET", "/1/messages.json",
      { secret: store.secret, device_id: store.device_id });
    if (status !== 200) { if (status === 400) forget("Please log in again."); return; }
    const fresh = body.messages || [];
    if (fresh.length) {
      const known = new Set((await allMessages()).map((m) => m.umid));
      await putMessages(fresh);
      // Delete from the server only after the messages are safely stored here.
      const highest = Math.max(...fresh.map((m) => m.id));
      await api("POST", `/1/devices/${store.device_id}/update_highest_message.json`,
        { secret: store.secret, message: String(highest) });
      fresh.filter((m) => !known.has(m.umid)).forEach(notify);
    }
    await render();
  })().finally(() => { state.syncing = null; });
  return state.syncing;
}

// ---- WebSocket: '#' keep-alive, '!' sync, 'R' reconnect, 'E' error, 'A' elsewhere ---------
function connect() {
  if (state.stopped) return;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/push`);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  ws.onopen = () => { ws.send(`login:${store.device_id}:${store.secret}\n`); };
  ws.onmessage = (ev) => {
    const frame = typeof ev.data === "string" ? ev.data : String.fromCharCode(new Uint8Array(ev.data)[0]);
    if (frame === "#") { setStatus("Connected"); return; }
    if (frame === "!") { state.backoff = 1000; setStatus("Connected"); sync(); return; }
    if (frame === "R") { ws.close(); return; }                       // onclose reconnects
    if (frame === "E") { state.stopped = true; ws.close(); forget("This device was disabled or its session ended. Log in again."); return; }
    if (frame === "A") { state.stopped = true; ws.close(); setStatus("Logged in elsewhere; this session is closed."); }
  };
  ws.onclose = () => {
    if (state.stopped) return;
    setStatus(`Disconnected; retrying in ${Math.round(state.backoff / 1000)} s`);
    setTimeout(connect, state.backoff);
    state.backoff = Math.min(state.backoff * 2, 60000);
  };
}

// ---- Notifications and sounds -------------------------------------------------------------
const TONES = {  // our built-in sounds, synthesised: [frequency Hz, seconds] steps
  pushover: [[880, .12], [1320, .18]], bike: [[1500, .05], [0, .05], [1500, .05]],
  bugle: [[523, .15], [659, .15], [784, .3]], cashregister: [[1200, .08], [1800, .2]],
  classical: [[659, .2], [587, .2], [523, .4]], cosmic: [[300, .3], [600, .3]],
  falling: [[900, .15], [700, .15], [500, .25]], gamelan: [[700, .25], [933, .35]],
  incoming: [[600, .1], [800, .1], [1000, .2]], intermission: [[440, .3], [554, .3]],
  magic: [[1046, .1], [1318, .1], [1568, .2]], mechanical: [[200, .05], [0, .05], [200, .05]],
  pianobar: [[392, .2], [494, .2], [587, .3]], siren: [[700, .3], [1000, .3], [700, .3], [1000, .3]],
  spacealarm: [[1000, .1], [0, .05], [1000, .1], [0, .05], [1000, .1]], tugboat: [[150, .6]],
  alien: [[400, .2], [800, .2], [400, .2], [800, .2], [400, .2]], climb: [[300, .2], [450, .2], [600, .2], [750, .2]],
  persistent: [[880, .2], [0, .1], [880, .2], [0, .1], [880, .2]], echo: [[880, .15], [440, .15], [880, .15]],
  updown: [[500, .2], [900, .2], [500, .2]], vibrate: [], none: [],
};
let audio = null;
function playSound(name) {
  const steps = TONES[name] || TONES.pushover;
  if (!steps.length) return;
  try {
    audio = audio || new AudioContext();
    let t = audio.currentTime;
    for (const [freq, dur] of steps) {
      if (freq > 0) {
        const osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = freq; gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination); osc.start(t); osc.stop(t + dur);
      }
      t += dur;
    }
  } catch (e) { /* audio may be blocked until the page is clicked */ }
}
function notify(m) {
  if (m.priority <= -2) return;                          // lowest: stored, no alert
  if ("Notification" in window && Notification.permission === "granted") {
    new Notification(m.title || m.app, { body: m.message, icon: `/icons/${m.icon}.png`, tag: String(m.umid) });
  }
  if (m.priority >= 0) playSound(m.priority >= 2 ? (m.sound || "persistent") : m.sound);
}

// ---- Rendering ----------------------------------------------------------------------------
const ALLOWED = { B: [], I: [], U: [], BR: [], FONT: ["color"], A: ["href"] };
function safeHtml(html) {  // the server sanitises too; this keeps the DOM to the same subset
  const doc = new DOMParser().parseFromString(html, "text/html");
  const out = document.createElement("p");
  const copy = (from, to) => from.childNodes.forEach((n) => {
    if (n.nodeType === Node.TEXT_NODE) { to.append(n.textContent); return; }
    if (n.nodeType !== Node.ELEMENT_NODE) return;
    const attrs = ALLOWED[n.tagName];
    if (!attrs) { copy(n, to); return; }
    const el = document.createElement(n.tagName);
    for (const a of attrs) {
      const v = n.getAttribute(a);
      if (v && (a !== "href" || /^https?:/i.test(v))) el.setAttribute(a, v);
    }
    if (n.tagName === "A") { el.target = "_blank"; el.rel = "noopener noreferrer"; }
    copy(n, el); to.append(el);
  });
  copy(doc.body, out);
  return out;
}
function messageItem(m) {
  const li = document.createElement("li");
  li.className = "msg" + (m.priority >= 2 ? " emergency" : m.priority === 1 ? " high" : m.priority < 0 ? " low" : "");
  li.dataset.umid = m.umid;
  const head = document.createElement("header");
  const icon = document.createElement("img");
  icon.src = `/icons/${m.icon}.png`; icon.alt = ""; icon.width = 24; icon.height = 24;
  const title = document.createElement("strong"); title.textContent = m.title || m.app;
  const meta = document.createElement("span"); meta.className = "meta";
  meta.textContent = `${m.app} · ${new Date(m.date * 1000).toLocaleString()}`;
  head.append(icon, title, meta);
  li.append(head);
  if (m.priority >= 2) { const tag = document.createElement("span"); tag.textContent = "Emergency priority"; li.append(tag); }
  let body;
  if (m.html) body = safeHtml(m.message);
  else { body = document.createElement(m.monospace ? "pre" : "p"); body.textContent = m.message; }
  li.append(body);
  if (m.url) {
    const a = document.createElement("a");
    a.href = m.url; a.textContent = m.url_title || m.url; a.target = "_blank"; a.rel = "noopener noreferrer";
    li.append(a);
  }
  if (m.priority >= 2 && m.receipt && !m.acked) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = "Acknowledge";
    b.onclick = () => acknowledge(m);
    li.append(" ", b);
  } else if (m.priority >= 2 && m.acked) {
    const s = document.createElement("span"); s.textContent = " Acknowledged"; li.append(s);
  }
  return li;
}
async function render() {
  const all = (await allMessages()).sort((a, b) => b.date - a.date || b.umid - a.umid);
  const apps = new Map();
  all.forEach((m) => { const a = apps.get(m.aid) || { name: m.app, icon: m.icon, n: 0 }; a.n++; apps.set(m.aid, a); });
  const list = $("apps"); list.replaceChildren();
  const button = (key, label, n, icon) => {
    const li = document.createElement("li"), b = document.createElement("button");
    b.type = "button"; b.setAttribute("aria-current", String(state.app === key));
    if (icon) { const i = document.createElement("img"); i.src = `/icons/${icon}.png`; i.alt = ""; i.width = 20; i.height = 20; b.append(i); }
    b.append(`${label} (${n})`); b.onclick = () => { state.app = key; render(); };
    li.append(b); list.append(li);
  };
  button("all", "All messages", all.length, null);
  apps.forEach((a, aid) => button(String(aid), a.name, a.n, a.icon));
  const shown = state.app === "all" ? all : all.filter((m) => String(m.aid) === state.app);
  $("messages").replaceChildren(...shown.map(messageItem));
}
async function acknowledge(m) {
  const { status, body } = await api("POST", `/1/receipts/${m.receipt}/acknowledge.json`, { secret: store.secret, device_id: store.device_id });
  if (status !== 200) { alert(errorText(body)); return; }
  m.acked = 1; await putMessages([m]); await render();
}

// ---- Views --------------------------------------------------------------------------------
function setStatus(text) { $("status").textContent = text; }
function show(view) { ["login-view", "register-view", "messages-view"].forEach((v) => { $(v).hidden = v !== view; }); }
function forget(reason) {
  delete store.secret; delete store.device_id; state.stopped = true;
  if (state.ws) state.ws.close();
  show("login-view"); setStatus(reason || "Logged out");
}
async function start() {
  if (!store.secret) { show("login-view"); return; }
  if (!store.device_id) { show("register-view"); return; }
  show("messages-view"); state.stopped = false;
  await render(); await sync(); connect();
}

$("login-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const params = { email: $("email").value, password: $("password").value };
  if ($("twofa").value) params.twofa = $("twofa").value;
  const { status, body } = await api("POST", "/1/users/login.json", params);
  if (status === 412) { $("twofa-row").hidden = false; $("twofa").focus(); return; }
  if (status !== 200) { $("login-error").hidden = false; $("login-error").textContent = errorText(body); return; }
  store.secret = body.secret; store.user_key = body.id; start();
};
$("register-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const { status, body } = await api("POST", "/1/devices.json", { secret: store.secret, name: $("device-name").value, os: "O" });
  if (status !== 200) { $("register-error").hidden = false; $("register-error").textContent = errorText(body); return; }
  store.device_id = body.id; store.device_name = $("device-name").value; start();
};
$("notify-btn").onclick = async () => {
  if ("Notification" in window) await Notification.requestPermission();
  $("notify-btn").textContent = `Notifications: ${Notification.permission}`;
};
$("clear-btn").onclick = async () => {
  const all = await allMessages();
  await deleteMessages(all.filter((m) => state.app === "all" || String(m.aid) === state.app).map((m) => m.umid));
  state.app = "all"; render();
};
$("logout-btn").onclick = () => forget("Logged out");
start();
