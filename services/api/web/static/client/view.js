// How one message looks in /client: title, app, relative and absolute time, unread mark, the
// text (Pushover's HTML subset through DOMPurify, or plain text with its web addresses made
// into links), the image, the supplementary link, and its buttons.
"use strict";
(function (OP) {
  const TAGS = ["b", "i", "u", "font", "a", "br"];
  const COLOR = /^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{1,20})$/;
  const URLS = /\bhttps?:\/\/[^\s<>"']+/gi;
  const images = new Map();  // umid -> object URL of its stored image, made once

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }
  function link(href, text) {
    return el("a", { href, textContent: text, target: "_blank", rel: "noopener noreferrer" });
  }

  if (self.DOMPurify) {
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A") {
        const href = OP.text.safeUrl(node.getAttribute("href") || "");
        if (href) { node.setAttribute("href", href); node.setAttribute("target", "_blank");
                    node.setAttribute("rel", "noopener noreferrer"); }
        else node.removeAttribute("href");
      }
      if (node.tagName === "FONT" && !COLOR.test(node.getAttribute("color") || "")) node.removeAttribute("color");
    });
  }
  // Pushover's HTML subset: the same allow-list the server applies to plaintext, applied here
  // too (an encrypted message reaches the server as ciphertext, so only this side can).
  function html(text) {
    const p = el("p");
    p.append(DOMPurify.sanitize(text, { ALLOWED_TAGS: TAGS, ALLOWED_ATTR: ["href", "color"],
                                        RETURN_DOM_FRAGMENT: true }));
    return p;
  }
  // Plain text, with http(s) addresses as links (a trailing full stop or bracket stays text).
  function linkified(text, tag) {
    const out = el(tag);
    let last = 0;
    for (const match of text.matchAll(URLS)) {
      let url = match[0];
      const trail = /[.,;:!?)\]]+$/.exec(url);
      if (trail && !(trail[0].startsWith(")") && url.includes("("))) url = url.slice(0, -trail[0].length);
      const safe = OP.text.safeUrl(url);
      if (!safe) continue;
      out.append(text.slice(last, match.index), link(safe, url));
      last = match.index + url.length;
    }
    out.append(text.slice(last));
    return out;
  }

  function ago(seconds, now) {
    const d = Math.max(0, Math.round(now / 1000 - seconds));
    if (d < 45) return "just now";
    if (d < 3600) return `${Math.max(1, Math.round(d / 60))} min ago`;
    if (d < 86400) return `${Math.round(d / 3600)} h ago`;
    const days = Math.round(d / 86400);
    return days === 1 ? "yesterday" : `${days} days ago`;
  }
  function when(m, now) {
    const date = new Date(m.date * 1000);
    const absolute = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    const t = el("time", { dateTime: date.toISOString(), title: absolute, className: "ago" }, ago(m.date, now));
    t.dataset.date = m.date;
    return el("span", { className: "when" }, t, el("span", { className: "abs" }, ` · ${absolute}`));
  }
  function refreshTimes(root, now) {
    root.querySelectorAll("time.ago").forEach((t) => { t.textContent = ago(Number(t.dataset.date), now); });
  }

  function body(m) {
    if (m.e2ee === "nokey") {
      return el("p", { className: "locked" }, "This message is end-to-end encrypted. Enter its key under ",
        el("a", { href: "#settings", textContent: "Settings" }), " to read it on this browser.");
    }
    if (m.e2ee === "failed") {
      return el("p", { className: "locked" }, "This message could not be decrypted: the key set on this " +
        "browser is not the one it was encrypted with, or the message was damaged.");
    }
    if (m.html) return html(m.message || "");
    return linkified(m.message || "", m.monospace ? "pre" : "p");
  }
  function picture(m) {
    if (!(m.image instanceof Blob)) return null;
    if (!images.has(m.umid)) images.set(m.umid, URL.createObjectURL(m.image));
    return el("img", { src: images.get(m.umid), alt: "Image attached to the message", className: "attachment",
                       loading: "lazy" });
  }
  function forget(umids) {
    umids.forEach((u) => { if (images.has(u)) { URL.revokeObjectURL(images.get(u)); images.delete(u); } });
  }

  // `on` holds the actions: acknowledge(m), remove(m), read(m).
  function item(m, now, on) {
    const kind = m.priority >= 2 ? " emergency" : m.priority === 1 ? " high" : m.priority < 0 ? " low" : "";
    const li = el("li", { className: "msg" + kind + (m.unread ? " unread" : ""), id: `m-${m.umid}`, tabIndex: -1 });
    li.dataset.umid = m.umid;
    const icon = el("img", { src: `/icons/${m.icon}.png`, alt: "", width: 32, height: 32, className: "icon" });
    const title = el("strong", { className: "title" }, m.e2ee === "nokey" || m.e2ee === "failed" ? "Encrypted message" : (m.title || m.app));
    const unread = m.unread ? el("span", { className: "dot", title: "Unread" }, el("span", { className: "sr" }, "Unread")) : null;
    const meta = el("span", { className: "meta" }, el("span", { className: "app" }, m.app), " · ", when(m, now));
    li.append(el("header", null, icon, el("div", { className: "head" }, el("div", null, unread, title), meta)));
    if (m.priority >= 2) li.append(el("p", { className: "tag" }, m.realert ? `Emergency priority · alerted ${m.realert + 1} times` : "Emergency priority"));
    li.append(body(m));
    const image = picture(m);
    if (image) li.append(image);
    const url = m.url && m.e2ee !== "nokey" && m.e2ee !== "failed" ? OP.text.safeUrl(m.url) : null;
    if (url) li.append(el("p", { className: "link" }, link(url, m.url_title || m.url)));
    const actions = el("div", { className: "actions" });
    if (m.priority >= 2 && m.receipt) {
      if (Number(m.acked)) actions.append(el("span", { className: "state" }, "Acknowledged"));
      else if (OP.text.expired(m, now)) actions.append(el("span", { className: "state" }, "Expired: no longer needs acknowledging"));
      else actions.append(el("button", { type: "button", textContent: "Acknowledge", className: "ack", onclick: () => on.acknowledge(m) }));
    }
    if (m.unread) actions.append(el("button", { type: "button", className: "secondary outline", textContent: "Mark read", onclick: () => on.read(m) }));
    const del = el("button", { type: "button", className: "secondary outline", textContent: "Delete", onclick: () => on.remove(m) });
    del.setAttribute("aria-label", `Delete message: ${m.title || m.app}`);
    actions.append(del);
    li.append(actions);
    return li;
  }

  OP.view = { item, refreshTimes, forget, ago };
})(self.OP = self.OP || {});
