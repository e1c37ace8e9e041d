// Text rules shared by the page and the service worker (which has no DOM): the plain text of
// an html=1 message for a notification banner, safe link schemes, and how a message's
// notification looks.
"use strict";
(function (OP) {
  const SCHEMES = new Set(["http:", "https:"]);  // the same schemes the server keeps
  const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: "\u00a0" };

  // A URL whose scheme is safe to open, or null.
  function safeUrl(text) {
    try {
      const url = new URL(String(text).trim());
      return SCHEMES.has(url.protocol) ? url.href : null;
    } catch (e) { return null; }
  }

  // The text of Pushover's HTML subset, tags dropped, for a notification banner (the OS shows
  // it as text: nothing here is ever parsed as HTML).
  function plainText(html) {
    return String(html)
      .replace(/<br\s*\/?>/gi, "\n")
      .replace(/<[^>]*>/g, "")
      .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, name) => {
        if (name[0] === "#") {
          const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
          return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : "";
        }
        return ENTITIES[name.toLowerCase()] ?? all;
      });
  }

  function expired(m, now) {
    return Boolean(m.receipt_expires_at) && now / 1000 > m.receipt_expires_at;
  }

  // What a notification shows for message `m` (already decrypted where it could be); `by`
  // says who showed it ("page" or "worker"), kept in its data.
  function notification(m, now, by) {
    const locked = m.e2ee === "nokey" || m.e2ee === "failed";
    const title = locked ? (m.app || "Overpush") : (m.title || m.app || "Overpush");
    let body = locked ? "Encrypted message: it can be read only on a device with its key."
      : m.html ? plainText(m.message || "") : (m.message || "");
    if (body.length > 1000) body = body.slice(0, 999) + "…";
    const options = {
      body, tag: `m-${m.umid}`, renotify: true, timestamp: (m.date || 0) * 1000,
      icon: m.icon ? `/icons/${m.icon}.png` : "/static/icons/icon-192.png",
      badge: "/static/icons/icon-192.png",
      requireInteraction: m.priority >= 1, silent: m.priority < 0,
      data: { umid: m.umid, receipt: m.receipt || null, priority: m.priority, by },
    };
    if (m.imageUrl) options.image = m.imageUrl;
    if (m.priority >= 2 && m.receipt && !Number(m.acked) && !expired(m, now)) {
      options.actions = [{ action: "acknowledge", title: "Acknowledge" }];
    }
    return { title, options };
  }

  OP.text = { safeUrl, plainText, notification, expired };
})(self.OP = self.OP || {});
