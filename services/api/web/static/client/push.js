// The installable app's side in the page: the service worker (offline copy, Web Push), and the
// push subscription it hands the server (POST /1/devices/{id}/webpush.json), made after log-in
// and registration once notifications are allowed, and removed on log-out.
"use strict";
(function (OP) {
  const SW = "/client-sw.js";

  function bytesOfBase64Url(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }
  function sameKey(buffer, text) {
    if (!buffer) return false;
    const a = new Uint8Array(buffer), b = bytesOfBase64Url(text);
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  async function register() {
    if (!("serviceWorker" in navigator)) return null;
    try { return await navigator.serviceWorker.register(SW, { scope: "/client" }); }
    catch (e) { console.warn("service worker not registered:", e.message); return null; }
  }

  // Returns a sentence for the settings panel: what the state of Web Push is on this browser.
  async function subscribe(session) {
    if (!("serviceWorker" in navigator) || !("PushManager" in self)) {
      return "This browser cannot receive notifications with the page closed (on iPhone and iPad: add this page to the home screen first).";
    }
    if (Notification.permission !== "granted") return "Allow notifications to receive them with the page closed.";
    const { status, body } = await OP.api("GET", "/1/webpush/key.json", {});
    if (status !== 200 || !body.public_key) return "This server does not send Web Push; notifications arrive while a page is open.";
    try {
      const reg = await navigator.serviceWorker.ready;
      let sub = await reg.pushManager.getSubscription();
      if (sub && !sameKey(sub.options.applicationServerKey, body.public_key)) { await sub.unsubscribe(); sub = null; }
      sub = sub || await reg.pushManager.subscribe({ userVisibleOnly: true,
                                                     applicationServerKey: bytesOfBase64Url(body.public_key) });
      const j = sub.toJSON();
      const r = await OP.api("POST", `/1/devices/${session.device_id}/webpush.json`,
        { secret: session.secret, endpoint: j.endpoint, p256dh: j.keys.p256dh, auth: j.keys.auth });
      if (r.status !== 200) return `The server refused this browser's push subscription: ${OP.errorText(r.body)}`;
      await OP.store.setMeta("push", { endpoint: j.endpoint });
      return "Notifications arrive with the page closed too.";
    } catch (e) {
      return `The browser's push service could not be reached (${e.message}); notifications arrive while a page is open.`;
    }
  }

  async function unsubscribe(session) {
    if (!(await OP.store.getMeta("push"))) return;
    await OP.store.deleteMeta("push");
    await OP.api("POST", `/1/devices/${session.device_id}/webpush.json`,
      { secret: session.secret, endpoint: "" }).catch(() => null);
    try {
      const reg = await navigator.serviceWorker.getRegistration("/client");
      const sub = reg && await reg.pushManager.getSubscription();
      if (sub) await sub.unsubscribe();
    } catch (e) { /* the subscription dies with the server's copy anyway */ }
  }

  OP.push = { register, subscribe, unsubscribe };
})(self.OP = self.OP || {});
