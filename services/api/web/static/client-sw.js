// The service worker of /client (served at /client-sw.js, scope /client): it keeps the app's
// files for offline use, shows Web Push notifications, and acknowledges emergencies from them.
// It shows nothing while a /client page of this browser is visible: that page shows the
// message itself (the device's WebSocket nudged it), so nobody sees a message twice.
"use strict";
importScripts("/static/client/store.js", "/static/client/text.js", "/static/client/e2ee.js",
              "/static/client/sync.js");

const SHELL = "overpush-shell-v1";
const FILES = [
  "/client", "/client.webmanifest", "/static/style.css", "/static/client.css",
  "/static/vendor/pico/pico.min.css", "/static/vendor/dompurify/purify.min.js",
  ...["store", "text", "e2ee", "sync", "sound", "tabs", "push", "view", "main", "controls"]
    .map((f) => `/static/client/${f}.js`),
  "/static/icons/favicon.svg", "/static/icons/icon-192.png", "/static/icons/apple-touch-icon.png",
];
const channel = new BroadcastChannel("overpush");

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== SHELL) await caches.delete(name);
    await self.clients.claim();
  })());
});

// The app's files and application icons: the network first (so an update shows at once),
// the kept copy when offline. The API is never cached.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const page = url.pathname === "/client" || url.pathname === "/client.webmanifest";
  if (!page && !url.pathname.startsWith("/static/") && !url.pathname.startsWith("/icons/")) return;
  event.respondWith((async () => {
    const cache = await caches.open(SHELL);
    const key = page ? url.pathname : event.request;
    try {
      const fresh = await fetch(event.request);
      if (fresh.ok) await cache.put(key, fresh.clone());
      return fresh;
    } catch (e) {
      const kept = await cache.match(key);
      if (kept) return kept;
      throw e;
    }
  })());
});

async function visiblePage() {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  return windows.some((w) => w.visibilityState === "visible" && new URL(w.url).pathname === "/client");
}
function dataUrl(blob) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => resolve(null);
    reader.readAsDataURL(blob);
  });
}
// A push carries the message as the Open Client API writes it (or, when it did not fit, only
// its umid): either way the worker first syncs, so the image is downloaded while the server
// still has it and the page finds the message when it opens.
function parse(data) {
  if (!data) return {};
  const text = data.text();
  try {
    const p = JSON.parse(text);
    const m = p && typeof p.message === "object" && p.message ? p.message : p;
    return typeof m === "object" && m ? m : { message: String(m) };
  } catch (e) { return { message: text }; }
}

async function onPush(data) {
  const pushed = parse(data);
  if (await visiblePage()) return;
  const umid = Number(pushed.umid || pushed.umid_str || 0);
  const session = await OP.store.getMeta("session");
  let fresh = [];
  if (session && session.device_id) {
    try {
      fresh = (await OP.sync(session)).fresh;
      if (fresh.length) channel.postMessage({ type: "changed" });
    } catch (e) { /* offline: show what the push carried */ }
  }
  let shown = umid ? await OP.store.get(umid) : null;
  if (shown && pushed.acked !== undefined && Number(pushed.acked)) shown.acked = 1;
  const list = shown ? [shown] : (!umid && fresh.length ? fresh : [pushed]);
  const key = await OP.store.getMeta("e2eeKey");
  for (const raw of list) {
    if (raw.priority <= -2) continue;
    const m = await OP.e2ee.open(raw, key);
    if (!m.title && !m.message && !m.app) m.message = "New message";
    if (m.image instanceof Blob) m.imageUrl = await dataUrl(m.image);
    const { title, options } = OP.text.notification(m, Date.now(), "worker");
    await self.registration.showNotification(title, options);
  }
}
self.addEventListener("push", (event) => { event.waitUntil(onPush(event.data)); });

async function acknowledge(data) {
  const session = await OP.store.getMeta("session");
  if (!session || !data.receipt) return openAt(data.umid);
  const { status, body } = await OP.api("POST", `/1/receipts/${data.receipt}/acknowledge.json`,
    { secret: session.secret, device_id: session.device_id }).catch(() => ({ status: 0, body: {} }));
  if (status !== 200) {
    await self.registration.showNotification("Not acknowledged", {
      body: `${OP.errorText(body)}. Open Overpush to try again.`, tag: `ack-${data.umid}`,
      icon: "/static/icons/icon-192.png", data: { umid: data.umid } });
    return;
  }
  const stored = await OP.store.get(data.umid);
  if (stored) await OP.store.put([{ ...stored, acked: 1, unread: false }]);
  channel.postMessage({ type: "changed" });
}
// Opens /client at the message (a page already open is focused and scrolled to it).
async function openAt(umid) {
  const url = `/client#m-${umid}`;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const page = windows.find((w) => new URL(w.url).pathname === "/client");
  if (page) {
    page.postMessage({ type: "open", umid });
    return page.focus().catch(() => null);  // allowed only from a real click
  }
  return self.clients.openWindow(url);
}
// A click on the notification opens the message; its "Acknowledge" button acknowledges it
// without opening anything (platforms without buttons, as iOS, open the message, which has
// its own Acknowledge button).
function handleClick(notification, action) {
  const data = notification.data || {};
  notification.close();
  return action === "acknowledge" ? acknowledge(data) : openAt(data.umid);
}
self.addEventListener("notificationclick", (event) => {
  event.waitUntil(handleClick(event.notification, event.action));
});
