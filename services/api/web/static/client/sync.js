// Downloading messages (the Open Client API), shared by the page and the service worker:
// download, fetch each image while the server still has it, store everything in IndexedDB,
// and only then delete them on the server. One sync at a time in the whole browser (a Web
// Lock), so two tabs and the worker never both take a message for new.
"use strict";
(function (OP) {
  async function api(method, path, params) {
    const opts = { method, credentials: "omit", cache: "no-store" };
    if (method === "POST") opts.body = new URLSearchParams(params);
    else path += "?" + new URLSearchParams(params);
    const r = await fetch(path, opts);
    const body = await r.json().catch(() => ({ errors: ["unreadable answer"] }));
    return { status: r.status, body };
  }
  function errorText(body) {
    const e = body && body.errors;
    if (Array.isArray(e)) return e.join("; ");
    if (e && typeof e === "object") return Object.entries(e).map(([k, v]) => `${k} ${v}`).join("; ");
    return "something went wrong";
  }

  async function image(session, m) {
    if (!m.attachment || !String(m.attachment_type || "").startsWith("image/")) return null;
    const url = new URL(m.attachment, self.location.origin);
    if (url.origin !== self.location.origin) return null;
    url.search = new URLSearchParams({ secret: session.secret, device_id: session.device_id });
    try {
      const r = await fetch(url.href, { credentials: "omit", cache: "no-store" });
      return r.ok ? await r.blob() : null;
    } catch (e) { return null; }
  }

  // Returns { status, fresh }: fresh holds the messages that are new here, and the emergency
  // re-alerts (a message already stored that arrives again in a new queue row).
  async function run(session) {
    const { status, body } = await api("GET", "/1/messages.json",
      { secret: session.secret, device_id: session.device_id });
    if (status !== 200) return { status, fresh: [], body };
    const fresh = [];
    const incoming = body.messages || [];
    for (const m of incoming) {
      const known = await OP.store.get(m.umid);
      if (known && known.id === m.id) continue;  // seen before this queue row was deleted
      const kept = { ...m, unread: true, received: Date.now() };
      if (known) {
        kept.image = known.image || null;
        kept.realert = (known.realert || 0) + 1;
        if (Number(known.acked)) kept.acked = 1;
      } else {
        kept.image = await image(session, m);
      }
      await OP.store.put([kept]);
      fresh.push(kept);
    }
    if (incoming.length) {
      const highest = Math.max(...incoming.map((m) => m.id));
      await api("POST", `/1/devices/${session.device_id}/update_highest_message.json`,
        { secret: session.secret, message: String(highest) });
    }
    return { status, fresh, body };
  }

  function locked(fn) {
    if (self.navigator && navigator.locks) return navigator.locks.request("overpush-sync", fn);
    return fn();
  }

  OP.api = api;
  OP.errorText = errorText;
  OP.sync = (session) => locked(() => run(session));
})(self.OP = self.OP || {});
