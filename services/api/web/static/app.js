// Small enhancements of the server-rendered pages (no inline script anywhere: the
// Content-Security-Policy allows scripts from files only). Every page works without it.
"use strict";

// Copy buttons: <button data-copy="ID"> copies the text of the element with that id.
// They stay hidden without JavaScript, where there is nothing to make them work.
async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) { /* below */ }
  }
  // Plain-http pages (no secure context) and denied clipboard access: the older way.
  const area = document.createElement("textarea");
  area.value = text; area.setAttribute("readonly", ""); area.className = "sr";
  document.body.append(area); area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  area.remove();
  return ok;
}

function setUpCopyButtons() {
  const status = document.getElementById("copy-status");
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const label = button.textContent;
    // The accessible name must keep containing the visible text ("Copy user key" shows
    // "Copy"): when the text changes, the name changes with it ("Copied user key").
    const named = button.getAttribute("aria-label");
    const show = (text) => {
      button.textContent = text;
      if (named) button.setAttribute("aria-label", named.replace(label, text));
    };
    button.hidden = false;
    button.addEventListener("click", async () => {
      const ok = await copyText(source.textContent.trim());
      show(ok ? "Copied" : "Select and copy");
      button.classList.toggle("copied", ok);
      if (status) status.textContent = ok ? "Copied to the clipboard." : "";
      if (!ok) window.getSelection().selectAllChildren(source);
      setTimeout(() => { show(label); button.classList.remove("copied"); }, 2000);
    });
  });
}

// Forms with data-confirm ask first (deleting a device, a new token that stops the old one).
function setUpConfirmations() {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
}

setUpCopyButtons();
setUpConfirmations();
