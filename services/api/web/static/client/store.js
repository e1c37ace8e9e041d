// What /client keeps in this browser, in IndexedDB, shared by the page and its service worker
// (a worker cannot read localStorage): the messages (keyed by umid, with their downloaded
// image), and a few settings under "meta": the session (secret, device id), the end-to-end
// encryption key (it never leaves this browser), and whether Web Push is set up.
"use strict";
(function (OP) {
  const NAME = "overpush", VERSION = 2;

  function open() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains("messages")) {
          db.createObjectStore("messages", { keyPath: "umid" }).createIndex("aid", "aid");
        }
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  async function tx(name, mode, fn) {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const t = db.transaction(name, mode);
        const req = fn(t.objectStore(name));
        t.oncomplete = () => resolve(req && "result" in req ? req.result : undefined);
        t.onerror = () => reject(t.error);
        t.onabort = () => reject(t.error);
      });
    } finally { db.close(); }
  }

  OP.store = {
    all: () => tx("messages", "readonly", (s) => s.getAll()),
    get: (umid) => tx("messages", "readonly", (s) => s.get(umid)),
    put: (ms) => tx("messages", "readwrite", (s) => { ms.forEach((m) => s.put(m)); }),
    remove: (umids) => tx("messages", "readwrite", (s) => { umids.forEach((u) => s.delete(u)); }),
    clear: () => tx("messages", "readwrite", (s) => s.clear()),
    getMeta: (key) => tx("meta", "readonly", (s) => s.get(key)),
    setMeta: (key, value) => tx("meta", "readwrite", (s) => s.put(value, key)),
    deleteMeta: (key) => tx("meta", "readwrite", (s) => s.delete(key)),
  };
})(self.OP = self.OP || {});
