// The built-in sounds, synthesised with Web Audio (no audio files to ship), and the state of
// audio: browsers start it suspended until the person interacts with the page, and /client
// says so with a visible "click to enable sound" button rather than failing silently.
"use strict";
(function (OP) {
  const TONES = {  // [frequency Hz, seconds] steps; 0 Hz is a pause
    pushover: [[880, .12], [1320, .18]], bike: [[1500, .05], [0, .05], [1500, .05]],
    bugle: [[523, .15], [659, .15], [784, .3]], cashregister: [[1200, .08], [1800, .2]],
    classical: [[659, .2], [587, .2], [523, .4]], cosmic: [[300, .3], [600, .3]],
    falling: [[900, .15], [700, .15], [500, .25]], gamelan: [[700, .25], [933, .35]],
    incoming: [[600, .1], [800, .1], [1000, .2]], intermission: [[440, .3], [554, .3]],
    magic: [[1046, .1], [1318, .1], [1568, .2]], mechanical: [[200, .05], [0, .05], [200, .05]],
    pianobar: [[392, .2], [494, .2], [587, .3]], siren: [[700, .3], [1000, .3], [700, .3], [1000, .3]],
    spacealarm: [[1000, .1], [0, .05], [1000, .1], [0, .05], [1000, .1]], tugboat: [[150, .6]],
    alien: [[400, .2], [800, .2], [400, .2], [800, .2], [400, .2]], climb: [[300, .2], [450, .2], [600, .2], [750, .2]],
    persistent: [[880, .2], [0, .1], [880, .2], [0, .1], [880, .2]], echo: [[880, .15], [440, .15], [880, .15]],
    updown: [[500, .2], [900, .2], [500, .2]], vibrate: [], none: [],
  };
  let ctx = null;
  const listeners = [];

  function context() {
    if (!ctx && typeof AudioContext !== "undefined") {
      ctx = new AudioContext();
      ctx.onstatechange = () => listeners.forEach((f) => f(blocked()));
    }
    return ctx;
  }
  function blocked() { const c = context(); return Boolean(c) && c.state !== "running"; }
  // Called from a click: browsers let audio start only from a person's gesture.
  async function enable() { const c = context(); if (c) await c.resume().catch(() => {}); return !blocked(); }

  function play(name) {
    const c = context();
    const steps = TONES[name] || TONES.pushover;
    if (!c || !steps.length || c.state !== "running") return false;
    let t = c.currentTime;
    for (const [freq, dur] of steps) {
      if (freq > 0) {
        const osc = c.createOscillator(), gain = c.createGain();
        osc.frequency.value = freq; gain.gain.value = 0.15;
        osc.connect(gain).connect(c.destination); osc.start(t); osc.stop(t + dur);
      }
      t += dur;
    }
    return true;
  }

  // Each message's own sound; an emergency's (each re-alert too) defaults to "persistent".
  // `log` keeps what was asked for (name, and whether it sounded): the page shows nothing of it,
  // it is there to be read from the developer tools (and by the browser tests).
  const log = [];
  function forMessage(m) {
    if (m.priority < 0) return false;
    const name = m.priority >= 2 ? (m.sound || "persistent") : (m.sound || "pushover");
    const sounded = play(name);
    log.push({ umid: m.umid, name, sounded });
    if (log.length > 100) log.shift();
    return sounded;
  }

  OP.sound = { play, forMessage, blocked, enable, log, onChange: (f) => listeners.push(f) };
})(self.OP = self.OP || {});
