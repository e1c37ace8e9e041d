// /client: log in, register this browser as a desktop (O) device, receive. The leader tab
// holds the /push WebSocket ('#' keep-alive, '!' sync, 'R' reconnect, 'E' session ended,
// 'A' open elsewhere) and syncs; every tab renders from IndexedDB and follows the channel.
"use strict";
(function (OP) {
  const $ = (id) => document.getElementById(id);
  const state = { session: null, key: null, ws: null, backoff: 1000, stopped: false,
                  app: "all", query: "", status: "", expiryTimer: null, renders: 0 };

  // ---- Session (IndexedDB, so the service worker can acknowledge from a notification) ----
  async function loadSession() {
    if (localStorage.secret) {  // the first /client kept it in localStorage
      const s = { secret: localStorage.secret, user_key: localStorage.user_key };
      if (localStorage.device_id) { s.device_id = localStorage.device_id; s.device_name = localStorage.device_name; }
      await OP.store.setMeta("session", s);
      ["secret", "user_key", "device_id", "device_name"].forEach((k) => localStorage.removeItem(k));
    }
    return (await OP.store.getMeta("session")) || null;
  }
  async function saveSession(s) { state.session = s; await OP.store.setMeta("session", s); }

  function setStatus(text, share) {
    state.status = text;
    $("status").textContent = text;
    if (share) OP.tabs.post({ type: "status", text });
  }
  function show(view) {
    ["login-view", "register-view", "messages-view"].forEach((v) => { $(v).hidden = v !== view; });
  }

  // ---- Leader: the socket and syncing ---------------------------------------------------
  async function syncNow() {
    if (!state.session) return;
    let result;
    try { result = await OP.sync(state.session); } catch (e) { setStatus("Offline: showing the messages kept in this browser", true); return; }
    if (result.status === 400) { await logOut("Please log in again."); return; }
    if (result.fresh.length) {
      OP.tabs.post({ type: "changed" });
      await alertFor(result.fresh);
    }
    await render();
  }
  function connect() {
    if (state.stopped || !state.session || localStorage.elsewhere) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/push`);
    ws.binaryType = "arraybuffer";
    state.ws = ws;
    ws.onopen = () => { ws.send(`login:${state.session.device_id}:${state.session.secret}\n`); };
    ws.onmessage = (ev) => {
      const frame = typeof ev.data === "string" ? ev.data : String.fromCharCode(new Uint8Array(ev.data)[0]);
      if (frame === "#") { setStatus("Connected", true); return; }
      if (frame === "!") { state.backoff = 1000; setStatus("Connected", true); syncNow(); return; }
      if (frame === "R") { ws.close(); return; }  // onclose reconnects
      if (frame === "E") { state.stopped = true; ws.close(); logOut("This device was disabled or its session ended. Log in again."); return; }
      if (frame === "A") {
        state.stopped = true; ws.close();
        localStorage.elsewhere = "1";
        OP.tabs.post({ type: "elsewhere" });
        showElsewhere();
      }
    };
    ws.onclose = () => {
      if (state.ws === ws) state.ws = null;
      if (state.stopped) return;
      const why = navigator.onLine ? "Disconnected" : "Offline: showing the messages kept here";
      setStatus(`${why}; retrying in ${Math.round(state.backoff / 1000)} s`, true);
      setTimeout(connect, state.backoff);
      state.backoff = Math.min(state.backoff * 2, 60000);
    };
  }
  async function onLead() {
    state.stopped = false;
    if (localStorage.elsewhere) { showElsewhere(); return; }
    setStatus("Connecting…", true);
    await syncNow();
    connect();
  }
  // The person asked to receive here again: the leader connects (ending the other place).
  function reconnect() {
    localStorage.removeItem("elsewhere");
    $("elsewhere").hidden = true;
    if (!OP.tabs.isLeader()) { setStatus("Waiting for the other tab…"); return; }
    state.stopped = false; state.backoff = 1000;
    setStatus("Connecting…", true);
    connect();
  }
  function showElsewhere() {
    $("elsewhere").hidden = false;
    setStatus("Open elsewhere: not receiving here");
  }

  // ---- Alerts: sound and system notification for new messages and re-alerts -----------
  async function alertFor(fresh) {
    const pushed = Boolean(await OP.store.getMeta("push"));
    // With Web Push, the service worker notifies while no /client page is visible.
    const notify = "Notification" in window && Notification.permission === "granted" &&
      (!pushed || document.visibilityState === "visible");
    const reg = notify && "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration("/client") : null;
    for (const raw of fresh) {
      if (raw.priority <= -2) continue;  // lowest priority: kept, never alerted
      const m = await OP.e2ee.open(raw, state.key);
      OP.sound.forMessage(m);
      if (!notify) continue;
      const { title, options } = OP.text.notification(m, Date.now(), "page");
      if (reg && reg.active) await reg.showNotification(title, options).catch(() => null);
      else { delete options.actions; new Notification(title, options); }
    }
  }

  // ---- Rendering ------------------------------------------------------------------------
  const handlers = {
    acknowledge: async (m) => {
      const { status, body } = await OP.api("POST", `/1/receipts/${m.receipt}/acknowledge.json`,
        { secret: state.session.secret, device_id: state.session.device_id });
      if (status !== 200) { setStatus(`Not acknowledged: ${OP.errorText(body)}`); return; }
      await update(m.umid, { acked: 1, unread: false });
    },
    remove: async (m) => { await OP.store.remove([m.umid]); OP.view.forget([m.umid]); changed(); },
    read: (m) => update(m.umid, { unread: false }),
  };
  async function update(umid, fields) {
    const stored = await OP.store.get(umid);
    if (stored) await OP.store.put([{ ...stored, ...fields }]);
    changed();
  }
  function changed() { OP.tabs.post({ type: "changed" }); render(); }

  function matches(m, q) {
    if (!q) return true;
    return [m.title, m.message, m.app, m.url, m.url_title].some((f) => f && String(f).toLowerCase().includes(q));
  }
  async function render() {
    const now = Date.now();
    const generation = ++state.renders;  // a later render supersedes this one's stale read
    const stored = await OP.store.all();
    const all = (await Promise.all(stored.map((m) => OP.e2ee.open(m, state.key))))
      .sort((a, b) => b.date - a.date || b.umid - a.umid);
    if (generation !== state.renders) return;
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
    if (state.app !== "all" && !apps.has(Number(state.app))) state.app = "all";
    const q = state.query.trim().toLowerCase();
    const shown = all.filter((m) => (state.app === "all" || String(m.aid) === state.app) && matches(m, q));
    $("messages").replaceChildren(...shown.map((m) => OP.view.item(m, now, handlers)));
    $("empty").hidden = all.length > 0;
    $("no-match").hidden = !(all.length > 0 && shown.length === 0);
    $("no-match").textContent = q ? `No messages match “${state.query.trim()}”.` : "No messages here.";
    const unread = all.filter((m) => m.unread).length;
    document.title = unread ? `(${unread}) Overpush` : "Overpush";
    $("read-btn").disabled = unread === 0;
    $("clear-btn").disabled = shown.length === 0;
    state.shown = shown;
    scheduleExpiry(all, now);
    focusHash();
  }
  function scheduleExpiry(all, now) {  // re-render when an emergency's Acknowledge must go
    clearTimeout(state.expiryTimer);
    const next = all.filter((m) => m.receipt_expires_at && !Number(m.acked) && m.receipt_expires_at * 1000 > now)
      .map((m) => m.receipt_expires_at * 1000 - now + 500);
    if (next.length) state.expiryTimer = setTimeout(render, Math.min(...next, 2 ** 31 - 1));
  }
  function focusHash() {
    const target = /^#m-(\d+)$/.exec(location.hash);
    if (!target) return;
    const li = document.getElementById(`m-${target[1]}`);
    if (!li || li.classList.contains("target")) return;
    li.classList.add("target");
    li.scrollIntoView({ block: "center" });
    li.focus({ preventScroll: true });
  }
  window.addEventListener("hashchange", render);
  setInterval(() => OP.view.refreshTimes($("messages"), Date.now()), 30000);

  // ---- The channel between tabs (and the service worker) --------------------------------
  OP.tabs.on(async (msg) => {
    if (msg.type === "hello" && OP.tabs.isLeader() && state.status) OP.tabs.post({ type: "status", text: state.status });
    else if (msg.type === "status" && !OP.tabs.isLeader()) setStatus(msg.text === "Connected" ? "Connected (through another tab)" : msg.text);
    else if (msg.type === "changed") render();
    else if (msg.type === "logout") forget(msg.reason);
    else if (msg.type === "session" && !state.session) start();
    else if (msg.type === "elsewhere") showElsewhere();
    else if (msg.type === "reconnect") reconnect();
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (ev) => {
      if (ev.data && ev.data.type === "open") { location.hash = `m-${ev.data.umid}`; render(); }
    });
  }

  // ---- Views and starting -----------------------------------------------------------------
  function forget(reason) {
    state.stopped = true; state.session = null;
    if (state.ws) state.ws.close();
    OP.tabs.resign();
    show("login-view"); setStatus(reason || "Logged out");
  }
  async function logOut(reason) {
    const s = state.session;
    if (s) {
      if (s.device_id) await OP.push.unsubscribe(s).catch(() => null);
      OP.api("POST", "/1/users/logout.json", { secret: s.secret }).catch(() => null);
    }
    await OP.store.deleteMeta("session");
    OP.tabs.post({ type: "logout", reason });
    forget(reason);
  }
  async function refreshPush() {
    if (!state.session || !state.session.device_id) return;
    $("push-state").textContent = await OP.push.subscribe(state.session)
      .catch(() => "Offline: notifications with the page closed are set up when the server is reached.");
    $("notify-btn").hidden = "Notification" in window && Notification.permission === "granted";
  }
  async function start() {
    state.session = await loadSession();
    state.key = (await OP.store.getMeta("e2eeKey")) || null;
    $("key-state").textContent = state.key ? "A key is set on this browser." : "No key is set on this browser.";
    if (!state.session || !state.session.secret) { show("login-view"); return; }
    if (!state.session.device_id) { show("register-view"); return; }
    show("messages-view");
    $("api-url").textContent = `${location.origin}/1/messages.json`;
    $("device-line").textContent = `Registered as the device “${state.session.device_name || state.session.device_id}”.`;
    $("sound-banner").hidden = !OP.sound.blocked();
    await render();
    if (localStorage.elsewhere) showElsewhere();
    else if (!OP.tabs.isLeader()) setStatus("Waiting for the other tab…");
    OP.tabs.lead(onLead);
    OP.tabs.post({ type: "hello" });
    refreshPush();
  }
  OP.client = { start, render, logOut, saveSession, reconnect, state, setStatus };
})(self.OP = self.OP || {});
