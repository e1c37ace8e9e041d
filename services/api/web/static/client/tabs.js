// Several tabs of /client in one browser are one device: the tab holding a Web Lock is the
// leader and holds the only WebSocket (a second socket for the same device would log the first
// out); the others follow through a BroadcastChannel. When the leader closes, the lock passes
// to another tab, which connects. The service worker posts on the same channel.
"use strict";
(function (OP) {
  const channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel("overpush") : null;
  const handlers = [];
  if (channel) channel.onmessage = (ev) => handlers.forEach((f) => f(ev.data || {}));

  let requested = false, release = null;
  // Calls onLead() once this tab becomes the leader; the lock is held until resign() or the
  // tab closes.
  function lead(onLead) {
    if (requested) return;
    requested = true;
    if (!(self.navigator && navigator.locks)) { onLead(); return; }  // no locks: every tab leads
    navigator.locks.request("overpush-socket", () => new Promise((resolve) => {
      release = resolve;
      onLead();
    }));
  }
  function resign() {
    requested = false;
    if (release) { release(); release = null; }
  }

  OP.tabs = {
    lead, resign,
    post: (msg) => { if (channel) channel.postMessage(msg); },
    on: (f) => handlers.push(f),
    isLeader: () => requested && (release !== null || !(self.navigator && navigator.locks)),
  };
})(self.OP = self.OP || {});
