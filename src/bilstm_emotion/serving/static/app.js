// bilstm-emotion's web app: the camera and a shared call over a WebSocket, photos over
// the REST API.
// No libraries and no CDN: everything this page needs is served by the package.
"use strict";

const COLORS = {
  angry: "#dc2626", disgust: "#65a30d", fear: "#7c3aed", happy: "#f59e0b",
  neutral: "#94a3b8", sad: "#2563eb", surprise: "#ec4899",
};
const WINDOW_S = 60;        // the camera's chart shows the last minute
const CALL_WINDOW_S = 300;  // a participant's timeline shows the last five minutes
const PRESENT_S = 3;        // a participant unseen this long is shown as gone
const MAX_IN_FLIGHT = 2;    // frames sent and not yet answered

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ tabs
for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => {
    for (const other of document.querySelectorAll("[role=tab]")) {
      const on = other === tab;
      other.setAttribute("aria-selected", String(on));
      $(other.dataset.panel).hidden = !on;
    }
  });
}

fetch("/api/health").then((r) => r.json()).then((h) => {
  $("model").textContent = `model ${h.model ?? "custom"} · ${h.engine} · v${h.version}`;
}).catch(() => {});

// ------------------------------------------------------------------ streams
// One stream of frames to the server's WebSocket: the camera, or a shared call. Frames
// are sent at the chosen rate, at most MAX_IN_FLIGHT unanswered (the server is behind:
// a frame is skipped, not queued); every answer's rows are kept for the CSV.
class FrameStream {
  constructor({ source, prefix, noun, stopLabel, offText, maxWidth, open, show }) {
    Object.assign(this, { source, prefix, noun, stopLabel, offText, maxWidth, open, show });
    Object.assign(this, {
      socket: null, stream: null, ticker: null, columns: [], classes: [],
      sent: 0, answered: 0, dropped: 0, inFlight: 0, sentAt: new Map(), latencies: [],
      faces: [], rows: [], started: null, frameSize: null, ended: null,
      shift: { time: 0, frame: 0, face: 0 }, framesBefore: 0, lastFace: 0,
    });
    this.video = $(`${prefix}video`);
    this.view = $(`${prefix}view`);
    this.grab = document.createElement("canvas");
    this.button = $(`${prefix}start`);
    this.button.addEventListener("click", () => (this.stream ? this.stop() : this.start()));
    $(`${prefix}rate`).addEventListener("change", () => this.stream && this.schedule());
    $(`${prefix}download`).addEventListener("click", () => this.download());
    this.startLabel = this.button.textContent;
  }

  async start() {
    this.status(`Asking for the ${this.noun}…`);
    this.button.disabled = true;  // one picker at a time
    let stream;
    try {
      stream = await this.open();
    } catch (err) {
      this.status(`${this.noun[0].toUpperCase()}${this.noun.slice(1)} not available: ` +
        `${err.name}: ${err.message}`, true);
      return;
    } finally {
      this.button.disabled = false;
    }
    this.stream = stream;
    // the browser's own "Stop sharing" (or a camera unplugged) ends the track
    for (const track of stream.getVideoTracks()) {
      track.addEventListener("ended", () => this.stop(`${this.offText} by the browser`));
    }
    this.video.srcObject = stream;
    try {
      await this.video.play();
    } catch (err) {
      if (this.stream === stream) this.stop(`The ${this.noun} could not play: ${err.message}`, true);
      return;
    }
    if (this.stream !== stream) return;  // stopped while the video started
    Object.assign(this, {
      sent: 0, answered: 0, dropped: 0, inFlight: 0, faces: [], ended: null, serverSaid: null,
    });
    this.sentAt.clear();
    const now = Date.now();
    this.started = this.started ?? now;
    // Started again after a stop, the server's new stream counts time, frames and ids from
    // zero: shift them, so that the page's timeline (and its CSV) goes on, ids unique.
    this.shift = { time: (now - this.started) / 1000, frame: this.framesBefore, face: this.lastFace };
    this.connect();
    $(`${this.prefix}start`).textContent = this.stopLabel;
    const run = (this.painting = {});  // one drawing loop: a loop of an earlier start ends
    requestAnimationFrame(() => this.paint(run));
  }

  stop(reason, isError = false) {
    if (!this.stream) return;
    this.ticker?.postMessage(0);
    if (this.socket) this.socket.close();
    this.socket = null;
    for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.framesBefore += this.sent;
    this.ended = reason ?? this.offText;
    $(`${this.prefix}start`).textContent = this.startLabel;
    this.status(`${this.ended} · ${this.rows.length} timeline rows, kept in this page ` +
      "until you download them", isError);
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/stream?source=${this.source}`);
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onclose = () => {
      // the server is gone: stop reading the camera or the call rather than show it unread
      if (this.socket === socket && this.stream) {
        this.stop(this.serverSaid ?? "Connection to the server lost", true);
      }
    };
    this.socket = socket;
    socket.onopen = () => this.schedule();
  }

  // Frames are timed by a worker: a page in a background tab (the call's tab in front)
  // gets its own timers slowed to once a second, or once a minute after five minutes.
  schedule() {
    this.ticker = this.ticker ?? new Worker("/static/ticker.js");
    this.ticker.onmessage = () => this.sendFrame();
    this.ticker.postMessage(1000 / Number($(`${this.prefix}rate`).value));
  }

  sendFrame() {
    const { socket, video, grab } = this;
    if (!socket || socket.readyState !== WebSocket.OPEN || !video.videoWidth) return;
    if (this.inFlight >= MAX_IN_FLIGHT) return;  // the server is behind: skip, don't queue
    // a shared window may be resized at any time: every frame takes the video's size now
    const scale = Math.min(1, this.maxWidth / video.videoWidth);
    grab.width = Math.round(video.videoWidth * scale);
    grab.height = Math.round(video.videoHeight * scale);
    grab.getContext("2d").drawImage(video, 0, 0, grab.width, grab.height);
    this.frameSize = [grab.width, grab.height];
    this.inFlight += 1;
    const index = this.sent++;
    grab.toBlob((blob) => {
      this.sentAt.set(index, performance.now());
      socket.send(blob);
    }, "image/jpeg", 0.85);
  }

  receive(message) {
    if (message.type === "hello") {
      this.columns = message.columns;
      this.classes = message.classes;
      this.show.hello(this);
      return;
    }
    if (message.type === "error" && message.frame === undefined) {
      this.serverSaid = message.detail;  // said again if the server then closes
      this.status(message.detail, true);
      return;
    }
    this.inFlight = Math.max(0, this.inFlight - 1);
    const sentAt = this.sentAt.get(message.frame);
    this.sentAt.delete(message.frame);
    if (message.type === "dropped") {
      this.dropped += 1;
    } else if (message.type === "result") {
      this.answered += 1;
      if (sentAt !== undefined) this.latencies.push(performance.now() - sentAt);
      if (this.latencies.length > 50) this.latencies.shift();
      this.shifted(message);
      this.faces = message.faces;
      this.rows.push(...message.rows);
      this.show.result(this, message);
      $(`${this.prefix}download`).disabled = this.rows.length === 0;
    }
    if (!this.stream) return;
    const ms = this.latencies.length
      ? Math.round(this.latencies.reduce((a, b) => a + b, 0) / this.latencies.length) : "–";
    this.status(`${this.answered} frames analysed · ${this.dropped} dropped · ${ms} ms`);
  }

  // The result's times, frames and ids on the page's timeline (see start).
  shifted(message) {
    const { time, frame, face } = this.shift;
    const at = (t) => Math.round(1000 * (t + time)) / 1000;
    message.time = at(message.time);
    for (const f of message.faces) {
      Object.assign(f, { time: at(f.time), frame: f.frame + frame, face: f.face + face });
      this.lastFace = Math.max(this.lastFace, f.face);
    }
    const [t, i, id] = ["time", "frame", "face"].map((c) => this.columns.indexOf(c));
    for (const row of message.rows) {
      row[t] = at(row[t]);
      row[i] += frame;
      if (typeof row[id] === "number") row[id] += face;
    }
  }

  paint(run) {
    if (!this.stream || run !== this.painting) return;
    const { video, view, grab } = this;
    if (video.videoWidth) {
      view.width = grab.width || video.videoWidth;
      view.height = grab.height || video.videoHeight;
      const ctx = view.getContext("2d");
      ctx.drawImage(video, 0, 0, view.width, view.height);
      drawBoxes(ctx, this.faces, 1);
    }
    requestAnimationFrame(() => this.paint(run));
  }

  download() {
    const stamp = new Date(this.started ?? Date.now()).toISOString().slice(0, 19)
      .replaceAll(":", "").replace("T", "-");
    downloadCsv(this.columns, this.rows, `${this.prefix}timeline-${stamp}.csv`);
  }

  status(text, isError = false) {
    const status = $(`${this.prefix}status`);
    status.textContent = text;
    status.classList.toggle("error", isError);
  }
}

function drawBoxes(ctx, faces, scale) {
  const line = Math.max(2, Math.round(ctx.canvas.width / 320));
  ctx.font = `${Math.max(12, 6 * line)}px system-ui, sans-serif`;
  for (const face of faces) {
    if (!face.label) continue;
    const color = COLORS[face.label] ?? "#fbbf24";
    const [x, y, w, h] = [face.col, face.row, face.width, face.height].map((v) => v * scale);
    ctx.lineWidth = line;
    ctx.strokeStyle = color;
    ctx.strokeRect(x, y, w, h);
    const tag = `${face.face} ${face.label} ${Number(face.score).toFixed(2)}`;
    const height = Math.max(14, 7 * line);
    ctx.fillStyle = color;
    ctx.fillRect(x, Math.max(0, y - height), ctx.measureText(tag).width + 8, height);
    ctx.fillStyle = "#000";
    ctx.fillText(tag, x + 4, Math.max(0, y - height) + height - 4);
  }
}

function item(text, cls) {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  return li;
}

function labelSpan(label) {
  const span = document.createElement("span");
  span.className = "label";
  span.style.color = COLORS[label] ?? "inherit";
  span.textContent = label;
  return span;
}

function legend(list, classes, shares) {
  list.replaceChildren(...classes.map((name) => {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.style.background = COLORS[name] ?? "#999";
    li.append(swatch, shares ? `${name} ${(100 * (shares[name] ?? 0)).toFixed(0)} %` : name);
    return li;
  }));
}

function downloadCsv(columns, rows, name) {
  const quote = (value) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [columns, ...rows].map((row) => row.map(quote).join(","));
  const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// ------------------------------------------------------------------ camera
const camera = new FrameStream({
  source: "camera", prefix: "", noun: "camera", stopLabel: "Stop camera", offText: "Camera off",
  maxWidth: 640,
  open: () => navigator.mediaDevices.getUserMedia({ video: true, audio: false }),
  show: {
    hello: (s) => legend($("legend"), s.classes),
    result(s, message) {
      const now = Date.now();
      s.history.push({ t: now, labels: message.faces.map((f) => f.label) });
      while (s.history.length && s.history[0].t < now - WINDOW_S * 1000) s.history.shift();
      showFaces(message);
      drawChart(s);
    },
  },
});
camera.history = [];
window.emotionApp = camera;  // for whoever wants to look (tests do)

function showFaces(message) {
  const list = $("faces");
  list.replaceChildren();
  if (message.error) {
    list.append(item(`frame ${message.frame}: ${message.error}`, "error"));
  } else if (!message.faces.length) {
    list.append(item("no face in view", "muted"));
  }
  for (const face of message.faces) {
    const li = item("");
    li.dataset.label = face.label;
    li.append(`face ${face.face}: `, labelSpan(face.label), ` ${(100 * face.score).toFixed(0)} %`);
    list.append(li);
  }
}

// One stacked bar per second of the last minute: the share of each emotion among the
// faces seen in that second.
function drawChart(s) {
  const chart = $("chart");
  const ctx = chart.getContext("2d");
  const { width, height } = chart;
  ctx.clearRect(0, 0, width, height);
  ctx.strokeStyle = "#d9dee7";
  ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
  const now = Date.now();
  const bins = Array.from({ length: WINDOW_S }, () => ({}));
  for (const point of s.history) {
    const age = Math.floor((now - point.t) / 1000);
    if (age < 0 || age >= WINDOW_S) continue;
    for (const label of point.labels) {
      const bin = bins[WINDOW_S - 1 - age];
      bin[label] = (bin[label] ?? 0) + 1;
    }
  }
  const barWidth = width / WINDOW_S;
  let drawn = 0;
  bins.forEach((bin, i) => {
    const total = Object.values(bin).reduce((a, b) => a + b, 0);
    if (!total) return;
    drawn += 1;
    let top = height;
    for (const name of s.classes) {
      const share = (bin[name] ?? 0) / total;
      if (!share) continue;
      ctx.fillStyle = COLORS[name] ?? "#999";
      ctx.fillRect(i * barWidth, top - share * height, Math.max(1, barWidth - 1), share * height);
      top -= share * height;
    }
  });
  chart.dataset.bars = String(drawn);
}

// ------------------------------------------------------------------ call
// A shared tab, window or screen (a video call): every participant's face, the id the
// server's tracker gives it, their emotion now and over the last minutes, the call's mix.
const call = new FrameStream({
  source: "call", prefix: "call-", noun: "share", stopLabel: "Stop sharing",
  offText: "Sharing stopped", maxWidth: 1280,
  open: shareCall,
  show: {
    hello: (s) => showMix(s),
    result(s, message) {
      for (const face of message.faces) {
        if (!face.label) continue;
        const p = s.participants.get(face.face) ?? { id: face.face, first: message.time, timeline: [] };
        Object.assign(p, { label: face.label, score: face.score, last: message.time });
        p.timeline.push([message.time, face.label]);
        while (p.timeline.length && p.timeline[0][0] < message.time - CALL_WINDOW_S) p.timeline.shift();
        s.participants.set(face.face, p);
        s.counts[face.label] = (s.counts[face.label] ?? 0) + 1;
      }
      s.now = message.time;
      showParticipants(s, message);
      showMix(s);
    },
  },
});
Object.assign(call, { participants: new Map(), counts: {}, now: 0 });
window.emotionCall = call;

// The call's tab, window or screen, as the user picks it. Where the browser allows
// (CaptureController, Chrome 109+), this page stays in front instead of the shared tab.
function shareCall() {
  const options = { video: { frameRate: { ideal: 5 } }, audio: false, selfBrowserSurface: "exclude" };
  if (window.CaptureController) {
    const controller = new CaptureController();
    options.controller = controller;
    const shared = navigator.mediaDevices.getDisplayMedia(options);
    shared.then(() => {
      try {
        controller.setFocusBehavior("no-focus-change");
      } catch (err) {
        // a window or a screen, or too late: the browser's own choice stands
      }
    }, () => {});
    return shared;
  }
  return navigator.mediaDevices.getDisplayMedia(options);
}

// Where the frames go, in the privacy note: this computer, or the server's address.
const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];
$("call-server").textContent = LOOPBACK.includes(location.hostname)
  ? `on this computer (${location.host})` : `at ${location.host}`;

function showParticipants(s, message) {
  const list = $("participants");
  list.replaceChildren();
  if (message.error) list.append(item(`frame ${message.frame}: ${message.error}`, "error"));
  if (!s.participants.size) list.append(item("no one in view yet", "muted"));
  for (const p of [...s.participants.values()].sort((a, b) => a.id - b.id)) {
    const present = s.now - p.last <= PRESENT_S;
    const li = item("", present ? "participant" : "participant gone");
    Object.assign(li.dataset, { id: String(p.id), label: p.label, present: String(present) });
    const head = document.createElement("div");
    head.append(`participant ${p.id}: `, labelSpan(p.label), ` ${(100 * p.score).toFixed(0)} %`);
    if (!present) head.append(` · not seen for ${Math.round(s.now - p.last)} s`);
    const strip = document.createElement("canvas");
    strip.width = 300;
    strip.height = 14;
    strip.setAttribute("aria-label", `participant ${p.id}'s emotions, last five minutes`);
    drawStrip(strip, p.timeline, s.now);
    li.append(head, strip);
    list.append(li);
  }
}

// A participant's last five minutes, left to right: each frame's emotion as a coloured
// stroke at its time (gaps where they were not seen).
function drawStrip(canvas, timeline, now) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.fillStyle = "#eef0f4";
  ctx.fillRect(0, 0, width, height);
  const step = Math.max(2, width / CALL_WINDOW_S);
  for (const [t, label] of timeline) {
    const x = width - ((now - t) / CALL_WINDOW_S) * width;
    ctx.fillStyle = COLORS[label] ?? "#999";
    ctx.fillRect(x - step, 0, step, height);
  }
}

// The whole call: the share of each emotion over every participant's frames.
function showMix(s) {
  const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
  const shares = Object.fromEntries(s.classes.map((c) => [c, total ? (s.counts[c] ?? 0) / total : 0]));
  const bar = $("call-mix");
  bar.replaceChildren(...s.classes.filter((c) => shares[c] > 0).map((c) => {
    const part = document.createElement("span");
    part.style.background = COLORS[c] ?? "#999";
    part.style.width = `${100 * shares[c]}%`;
    part.title = `${c} ${(100 * shares[c]).toFixed(0)} %`;
    return part;
  }));
  bar.dataset.total = String(total);
  legend($("call-legend"), s.classes, shares);
}

// ------------------------------------------------------------------ photos
const drop = $("drop");
$("files").addEventListener("change", (event) => upload([...event.target.files]));
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  upload([...event.dataTransfer.files]);
});

async function upload(files) {
  for (const file of files) {
    const card = document.createElement("figure");
    card.className = "photo";
    card.append(Object.assign(document.createElement("figcaption"), { textContent: file.name }));
    $("results").prepend(card);
    const form = new FormData();
    form.append("files", file, file.name);
    let response, body;
    try {
      response = await fetch("/api/predict", { method: "POST", body: form });
      body = await response.json();
    } catch (err) {
      card.append(item(`request failed: ${err.message}`, "error"));
      continue;
    }
    if (!response.ok) {
      const detail = Array.isArray(body.detail) ? body.detail.join("; ") : body.detail;
      card.append(Object.assign(document.createElement("p"),
        { className: "error", textContent: `${response.status}: ${detail}` }));
      continue;
    }
    await showPhoto(card, file, body);
  }
}

async function showPhoto(card, file, records) {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement("canvas");
  const scale = Math.min(1, 400 / bitmap.width);
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  drawBoxes(ctx, records, scale);
  const table = document.createElement("table");
  table.innerHTML = "<tr><th>face</th><th>emotion</th><th>score</th><th>status</th></tr>";
  for (const r of records) {
    const row = table.insertRow();
    for (const value of [r.face, r.label, r.score == null ? "" : Number(r.score).toFixed(2), r.status]) {
      row.insertCell().textContent = value;
    }
  }
  card.append(canvas, table);
  if (records[0]?.warning) {
    card.append(Object.assign(document.createElement("p"), { textContent: records[0].warning }));
  }
}
