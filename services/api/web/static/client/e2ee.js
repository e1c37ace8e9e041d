// End-to-end encryption as Pushover defines it and apprise sends it (encrypted=1): each of
// message, title, url and url_title is base64(IV(16) ‖ AES-256-CBC(gzip(UTF-8 text)) ‖
// HMAC-SHA256(key, IV ‖ ciphertext)), the key being 32 bytes written as 64 hex characters.
// The key is typed in on this device and kept here; the server only ever sees ciphertext.
// Everything is the browser's own WebCrypto and DecompressionStream: no hand-written crypto.
"use strict";
(function (OP) {
  const FIELDS = ["message", "title", "url", "url_title"];
  const KEY = /^[0-9a-fA-F]{64}$/;

  function bytesOfHex(hex) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function bytesOfBase64(text) {
    const clean = String(text).trim().replace(/-/g, "+").replace(/_/g, "/");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) return null;
    try { return Uint8Array.from(atob(clean), (c) => c.charCodeAt(0)); } catch (e) { return null; }
  }
  async function gunzip(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new TextDecoder("utf-8", { fatal: true }).decode(await new Response(stream).arrayBuffer());
  }

  // One field: its text, or null when it is not ours (not base64, wrong length, wrong key).
  async function decryptField(keyHex, value) {
    const raw = bytesOfBase64(value);
    if (!raw || raw.length < 16 + 16 + 32 || (raw.length - 48) % 16 !== 0) return null;
    const key = bytesOfHex(keyHex);
    const iv = raw.slice(0, 16), sealed = raw.slice(0, raw.length - 32), mac = raw.slice(raw.length - 32);
    const hmac = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    if (!(await crypto.subtle.verify("HMAC", hmac, mac, sealed))) return null;
    const aes = await crypto.subtle.importKey("raw", key, "AES-CBC", false, ["decrypt"]);
    try {
      const plain = await crypto.subtle.decrypt({ name: "AES-CBC", iv }, aes, raw.slice(16, raw.length - 32));
      return await gunzip(new Uint8Array(plain));
    } catch (e) { return null; }
  }

  // The message as it reads: `e2ee` is "ok" (decrypted), "nokey" or "failed"; untouched when
  // it was not encrypted. A message the server did not mark is tried too when a key is set:
  // the HMAC makes sure only our own ciphertext ever decrypts.
  async function open(m, keyHex) {
    const marked = Number(m.encrypted) === 1;
    if (!marked && !keyHex) return m;
    if (!keyHex || !KEY.test(keyHex)) return { ...m, e2ee: "nokey" };
    const out = { ...m };
    let opened = 0, tried = 0;
    for (const f of FIELDS) {
      if (!m[f]) continue;
      tried++;
      const text = await decryptField(keyHex, m[f]);
      if (text !== null) { out[f] = text; opened++; }
    }
    if (!marked && opened === 0) return m;
    if (opened < tried) return { ...m, e2ee: "failed" };
    out.e2ee = "ok";
    return out;
  }

  OP.e2ee = { open, decryptField, validKey: (k) => KEY.test(k) };
})(self.OP = self.OP || {});
