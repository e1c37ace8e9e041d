// The forms and buttons of /client: log in, register, search, mark read, clear (after asking),
// sound, notifications, the encryption key, install, log out.
"use strict";
(function (OP) {
  const $ = (id) => document.getElementById(id);
  const C = OP.client;

  $("login-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const params = { email: $("email").value, password: $("password").value };
    if ($("twofa").value) params.twofa = $("twofa").value;
    const { status, body } = await OP.api("POST", "/1/users/login.json", params);
    if (status === 412) { $("twofa-row").hidden = false; $("twofa").focus(); return; }
    if (status !== 200) { $("login-error").hidden = false; $("login-error").textContent = OP.errorText(body); return; }
    $("login-error").hidden = true;
    await C.saveSession({ secret: body.secret, user_key: body.id });
    OP.tabs.post({ type: "session" });
    C.start();
  };
  $("register-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const s = C.state.session;
    const { status, body } = await OP.api("POST", "/1/devices.json", { secret: s.secret, name: $("device-name").value, os: "O" });
    if (status !== 200) { $("register-error").hidden = false; $("register-error").textContent = OP.errorText(body); return; }
    await C.saveSession({ ...s, device_id: body.id, device_name: $("device-name").value });
    OP.tabs.post({ type: "session" });
    C.start();
  };

  $("search").oninput = () => { C.state.query = $("search").value; C.render(); };
  $("read-btn").onclick = async () => {
    const unread = (await OP.store.all()).filter((m) => m.unread);
    await OP.store.put(unread.map((m) => ({ ...m, unread: false })));
    OP.tabs.post({ type: "changed" }); C.render();
  };

  // "Clear" asks first, and says how many messages it deletes.
  const dialog = $("clear-dialog");
  $("clear-btn").onclick = () => {
    const n = (C.state.shown || []).length;
    $("clear-text").textContent = `Delete the ${n} message${n === 1 ? "" : "s"} shown from this browser? This cannot be undone.`;
    dialog.showModal();
    $("clear-cancel").focus();
  };
  $("clear-cancel").onclick = () => dialog.close();
  $("clear-confirm").onclick = async () => {
    const umids = (C.state.shown || []).map((m) => m.umid);
    await OP.store.remove(umids); OP.view.forget(umids);
    dialog.close();
    C.state.app = "all";
    OP.tabs.post({ type: "changed" }); C.render();
  };

  // Sound: browsers keep audio off until a click; say so, and any click turns it on.
  const soundState = (blocked) => { $("sound-banner").hidden = !blocked || $("messages-view").hidden; };
  OP.sound.onChange(soundState);
  $("sound-btn").onclick = async () => { soundState(!(await OP.sound.enable())); OP.sound.play("pushover"); };
  document.addEventListener("pointerdown", () => { if (OP.sound.blocked()) OP.sound.enable(); }, { capture: true });

  $("notify-btn").onclick = async () => {
    if (!("Notification" in window)) { $("push-state").textContent = "This browser cannot show notifications."; return; }
    const answer = await Notification.requestPermission();
    $("notify-btn").textContent = `Notifications: ${answer}`;
    if (answer === "granted") $("push-state").textContent = await OP.push.subscribe(C.state.session).catch((e) => e.message);
  };

  $("key-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const key = $("e2ee-key").value.trim();
    if (!OP.e2ee.validKey(key)) { $("key-state").textContent = "A key is 64 hexadecimal characters (0-9, a-f)."; return; }
    await OP.store.setMeta("e2eeKey", key.toLowerCase());
    C.state.key = key.toLowerCase(); $("e2ee-key").value = "";
    $("key-state").textContent = "Key saved on this browser only.";
    OP.tabs.post({ type: "key" }); C.render();
  };
  $("key-remove").onclick = async () => {
    await OP.store.deleteMeta("e2eeKey");
    C.state.key = null;
    $("key-state").textContent = "No key is set on this browser.";
    OP.tabs.post({ type: "key" }); C.render();
  };
  OP.tabs.on(async (msg) => {
    if (msg.type !== "key") return;
    C.state.key = (await OP.store.getMeta("e2eeKey")) || null;
    C.render();
  });

  let installPrompt = null;  // Chromium's install prompt, offered from a button
  window.addEventListener("beforeinstallprompt", (ev) => { ev.preventDefault(); installPrompt = ev; $("install-btn").hidden = false; });
  $("install-btn").onclick = async () => { if (installPrompt) { installPrompt.prompt(); installPrompt = null; $("install-btn").hidden = true; } };

  $("reconnect-btn").onclick = () => { OP.tabs.post({ type: "reconnect" }); C.reconnect(); };
  $("logout-btn").onclick = () => C.logOut("Logged out");

  OP.push.register();
  C.start();
})(self.OP = self.OP || {});
