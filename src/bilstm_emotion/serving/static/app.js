// bilstm-emotion's web app: the camera over a WebSocket, photos over the REST API.
// No libraries and no CDN: everything this page needs is served by the package.
"use strict";

const COLORS = {
  angry: "#dc2626", disgust: "#65a30d", fear: "#7c3aed", happy: "#f59e0b",
  neutral: "#94a3b8", sad: "#2563eb", surprise: "#ec4899",
};
const WINDOW_S = 60;        // the chart shows the last minute
const MAX_IN_FLIGHT = 2;    // frames sent and not yet answered
const MAX_WIDTH = 640;      // frames are sent at most this wide

// Everything the page knows, on window for whoever wants to look (tests do).
const state = {
  socket: null, stream: null, timer: null, columns: [], classes: [],
  sent: 0, answered: 0, dropped: 0, inFlight: 0, sentAt: new Map(), latencies: [],
  faces: [], rows: [], history: [], started: null,
};
window.emotionApp = state;

const $ = (id) => document.getElementById(id);
const video = $("video"), view = $("view"), chart = $("chart");
const grab = document.createElement("canvas");

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

// ------------------------------------------------------------------ camera
$("start").addEventListener("click", () => (state.stream ? stop() : start()));
$("rate").addEventListener("change", () => state.stream && schedule());
$("download").addEventListener("click", downloadCsv);

async function start() {
  setStatus("Asking for the camera…");
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (err) {
    setStatus(`Camera not available: ${err.name}: ${err.message}`, true);
    state.stream = null;
    return;
  }
  video.srcObject = state.stream;
  await video.play();
  Object.assign(state, { sent: 0, answered: 0, dropped: 0, inFlight: 0, faces: [] });
  state.sentAt.clear();
  state.started = state.started ?? Date.now();
  connect();
  $("start").textContent = "Stop camera";
  requestAnimationFrame(paint);
}

function stop() {
  clearInterval(state.timer);
  state.timer = null;
  if (state.socket) state.socket.close();
  state.socket = null;
  for (const track of state.stream?.getTracks() ?? []) track.stop();
  state.stream = null;
  $("start").textContent = "Start camera";
  setStatus(`Camera off · ${state.rows.length} timeline rows`);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/stream`);
  socket.onmessage = (event) => receive(JSON.parse(event.data));
  socket.onclose = () => {
    if (state.socket === socket && state.stream) setStatus("Connection to the server lost", true);
  };
  state.socket = socket;
  socket.onopen = schedule;
}

function schedule() {
  clearInterval(state.timer);
  state.timer = setInterval(sendFrame, 1000 / Number($("rate").value));
}

function sendFrame() {
  const socket = state.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN || !video.videoWidth) return;
  if (state.inFlight >= MAX_IN_FLIGHT) return;  // the server is behind: skip, don't queue
  const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
  grab.width = Math.round(video.videoWidth * scale);
  grab.height = Math.round(video.videoHeight * scale);
  grab.getContext("2d").drawImage(video, 0, 0, grab.width, grab.height);
  state.inFlight += 1;
  const index = state.sent++;
  grab.toBlob((blob) => {
    state.sentAt.set(index, performance.now());
    socket.send(blob);
  }, "image/jpeg", 0.85);
}

function receive(message) {
  if (message.type === "hello") {
    state.columns = message.columns;
    state.classes = message.classes;
    legend();
    return;
  }
  if (message.type === "error" && message.frame === undefined) {
    setStatus(message.detail, true);
    return;
  }
  state.inFlight = Math.max(0, state.inFlight - 1);
  const sentAt = state.sentAt.get(message.frame);
  state.sentAt.delete(message.frame);
  if (message.type === "dropped") {
    state.dropped += 1;
  } else if (message.type === "result") {
    state.answered += 1;
    if (sentAt !== undefined) state.latencies.push(performance.now() - sentAt);
    if (state.latencies.length > 50) state.latencies.shift();
    state.faces = message.faces;
    state.rows.push(...message.rows);
    const now = Date.now();
    state.history.push({ t: now, labels: message.faces.map((f) => f.label) });
    while (state.history.length && state.history[0].t < now - WINDOW_S * 1000) {
      state.history.shift();
    }
    showFaces(message);
    drawChart();
    $("download").disabled = state.rows.length === 0;
  }
  const ms = state.latencies.length
    ? Math.round(state.latencies.reduce((a, b) => a + b, 0) / state.latencies.length) : "–";
  setStatus(`${state.answered} frames analysed · ${state.dropped} dropped · ${ms} ms`);
}

function paint() {
  if (!state.stream) return;
  if (video.videoWidth) {
    view.width = grab.width || video.videoWidth;
    view.height = grab.height || video.videoHeight;
    const ctx = view.getContext("2d");
    ctx.drawImage(video, 0, 0, view.width, view.height);
    drawBoxes(ctx, state.faces, 1);
  }
  requestAnimationFrame(paint);
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
    const label = document.createElement("span");
    label.className = "label";
    label.style.color = COLORS[face.label] ?? "inherit";
    label.textContent = face.label;
    li.append(`face ${face.face}: `, label, ` ${(100 * face.score).toFixed(0)} %`);
    list.append(li);
  }
}

function item(text, cls) {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  return li;
}

function legend() {
  $("legend").replaceChildren(...state.classes.map((name) => {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.style.background = COLORS[name] ?? "#999";
    li.append(swatch, name);
    return li;
  }));
}

// One stacked bar per second of the last minute: the share of each emotion among the
// faces seen in that second.
function drawChart() {
  const ctx = chart.getContext("2d");
  const { width, height } = chart;
  ctx.clearRect(0, 0, width, height);
  ctx.strokeStyle = "#d9dee7";
  ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
  const now = Date.now();
  const bins = Array.from({ length: WINDOW_S }, () => ({}));
  for (const point of state.history) {
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
    for (const name of state.classes) {
      const share = (bin[name] ?? 0) / total;
      if (!share) continue;
      ctx.fillStyle = COLORS[name] ?? "#999";
      ctx.fillRect(i * barWidth, top - share * height, Math.max(1, barWidth - 1), share * height);
      top -= share * height;
    }
  });
  chart.dataset.bars = String(drawn);
}

function downloadCsv() {
  const quote = (value) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [state.columns, ...state.rows].map((row) => row.map(quote).join(","));
  const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" });
  const stamp = new Date(state.started ?? Date.now()).toISOString().slice(0, 19)
    .replaceAll(":", "").replace("T", "-");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `timeline-${stamp}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
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
