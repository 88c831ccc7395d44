// The optimizer explorer: indexes and draws the runs that experiments/explorer.py computed with
// jaxopt_lectures.minimize. No optimizer or surface is evaluated here: every number comes from data.js.
"use strict";

const COLORS = ["#d62728", "#111111", "#c03cc0"];
const RUN_NAMES = ["run1", "run2", "run3"];
const DEFAULT_RUNS = ["adam", "adam_nobc", "none"];
const ex = {state: null, drawn: [], blocks: {}, ready: false, errors: [], refreshes: 0, equationsKey: ""};
window.explorer = ex;

const $ = (id) => document.getElementById(id);

function showMessage(text) {
  const box = $("message");
  box.hidden = false;
  box.textContent = text;
  ex.errors.push(text);
  for (const id of ["contour", "loss"]) {
    const ctx = $(id).getContext("2d");
    ctx.fillStyle = "#fff3f3";
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    ctx.fillStyle = "#a00";
    ctx.font = "15px sans-serif";
    text.split("\n").forEach((line, i) => ctx.fillText(line.slice(0, 70), 12, 30 + 20 * i));
  }
}

// ---- data: validation, decompression, decoding (the layout of explorer.encode) ----

function checkMeta(data) {
  const fail = (why) => { throw new Error("data.js is malformed: " + why); };
  if (!data || typeof data !== "object") fail("window.EXPLORER_DATA is missing (data.js not loaded or not valid JavaScript)");
  const meta = data.meta;
  if (!meta || !Array.isArray(meta.surfaces) || !Array.isArray(meta.methods) || !meta.surfaces.length || !meta.methods.length)
    fail("meta.surfaces / meta.methods missing or empty");
  if (!Number.isInteger(meta.steps) || meta.steps < 1) fail("meta.steps is not a positive integer");
  for (const s of meta.surfaces) {
    if (!Array.isArray(s.starts) || !s.starts.length || !Array.isArray(s.variants) || !Array.isArray(s.fields)
        || s.fields.length !== s.variants.length || !Array.isArray(s.bounds) || s.bounds.length !== 2)
      fail(`surface ${s.key}: starts, variants, fields or bounds invalid`);
  }
  for (const m of meta.methods) {
    if (!Array.isArray(m.hypers) || m.hypers.some((h) => !Array.isArray(h.values) || !h.values.length))
      fail(`method ${m.key}: hyperparameter grid invalid`);
  }
  if (!data.blocks || typeof data.blocks !== "object") fail("blocks missing");
  return meta;
}

function runCount(surface, method) {
  return surface.variants.length * method.hypers.reduce((n, h) => n * h.values.length, 1) * surface.starts.length;
}

function base64Bytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function unshuffle(raw, offset, n) {  // inverse of explorer._shuffle: 2 byte planes -> little-endian u16
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = raw[offset + i] | (raw[offset + n + i] << 8);
  return out;
}

function float16(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

async function loadBlock(surface, method) {
  const key = `${surface.key}/${method.key}`;
  if (ex.blocks[key]) return ex.blocks[key];
  const entry = window.EXPLORER_DATA.blocks[key];
  if (!entry || typeof entry.zlib !== "string") throw new Error(`data.js has no block ${key}`);
  const runs = runCount(surface, method), points = ex.meta.steps + 1, n = runs * points;
  let raw;
  try { raw = await inflate(base64Bytes(entry.zlib)); } catch (err) {
    throw new Error(`data.js block ${key} is corrupt (${err.message || err}): rebuild with python -m experiments.explorer`);
  }
  if (raw.length !== 6 * n + 2 * runs || raw.length !== entry.bytes)
    throw new Error(`data.js block ${key} has ${raw.length} bytes, expected ${6 * n + 2 * runs} for ${runs} runs`);
  const lossBits = unshuffle(raw, 0, n), pathBits = unshuffle(raw, 2 * n, 2 * n), kept = unshuffle(raw, 6 * n, runs);
  const lossWords = new Uint32Array(n);
  for (let i = 0; i < n; i++) lossWords[i] = lossBits[i] << 16;  // bfloat16 -> float32
  const loss = new Float32Array(lossWords.buffer);
  const path = typeof Float16Array === "function" ? new Float32Array(new Float16Array(pathBits.buffer)) : Float32Array.from(pathBits, float16);
  if (kept.some((k) => k > points)) throw new Error(`data.js block ${key}: a run keeps more than ${points} points`);
  return (ex.blocks[key] = {loss, path, kept, points});
}

// ---- state: defaults, query string, controls ----

function sliderKeys(methods) {
  const keys = [];
  for (const m of methods) for (const h of m.hypers) if (!keys.includes(h.slider)) keys.push(h.slider);
  return keys;
}

function parseQuery(meta) {
  const state = {surface: 0, variant: 0, start: 0, runs: DEFAULT_RUNS.slice(), sliders: {}, step: meta.steps, playing: false};
  const allSliders = sliderKeys(meta.methods);
  for (const key of allSliders) state.sliders[key] = Number.isInteger((meta.sliders || {})[key]) ? meta.sliders[key] : 0;
  if (!meta.methods.some((m) => m.key === "adam")) state.runs = [meta.methods[0].key, "none", "none"];
  const known = ["surface", "variant", "start", "step", ...RUN_NAMES, ...allSliders];
  const problems = [];
  const params = new URLSearchParams(location.search);
  const index = (name, value, n) => {
    const i = Number(value);
    if (!Number.isInteger(i) || i < 0 || i >= n) { problems.push(`${name}=${value}: an index from 0 to ${n - 1} is expected`); return 0; }
    return i;
  };
  for (const [name, value] of params) {
    if (!known.includes(name)) { problems.push(`unknown query parameter "${name}" (known: ${known.join(", ")})`); continue; }
    if (name === "surface") {
      const i = meta.surfaces.findIndex((s) => s.key === value);
      if (i < 0) problems.push(`surface=${value}: unknown (known: ${meta.surfaces.map((s) => s.key).join(", ")})`);
      else state.surface = i;
    } else if (RUN_NAMES.includes(name)) {
      if (value !== "none" && !meta.methods.some((m) => m.key === value)) problems.push(`${name}=${value}: unknown optimizer`);
      else state.runs[RUN_NAMES.indexOf(name)] = value;
    } else if (name === "step") state.step = index(name, value, meta.steps + 1);
    else if (name === "variant") state.variant = index(name, value, meta.surfaces[state.surface].variants.length);
    else if (name === "start") state.start = index(name, value, meta.surfaces[state.surface].starts.length);
    else state.sliders[name] = index(name, value, 1 + Math.max(...meta.methods.flatMap((m) => m.hypers.filter((h) => h.slider === name).map((h) => h.values.length - 1))));
  }
  return {state, problems};
}

const fmt = (v) => (v === 0 ? "0" : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(+v.toPrecision(3)) : v.toExponential(2));
const method = (key) => ex.meta.methods.find((m) => m.key === key);
const activeRuns = () => ex.state.runs.map((key, slot) => ({slot, m: key === "none" ? null : method(key)})).filter((r) => r.m);

function hyperValue(m, h) { return h.values[Math.min(ex.state.sliders[h.slider], h.values.length - 1)]; }

function runIndex(surface, m) {
  let i = ex.state.variant;
  for (const h of m.hypers) i = i * h.values.length + Math.min(ex.state.sliders[h.slider], h.values.length - 1);
  return i * surface.starts.length + ex.state.start;
}

function buildControls() {
  const meta = ex.meta, st = ex.state;
  const fill = (select, items) => { select.innerHTML = ""; items.forEach(([v, t]) => select.add(new Option(t, v))); };
  fill($("surface"), meta.surfaces.map((s, i) => [i, s.label]));
  $("surface").value = st.surface;
  const pickers = $("run-pickers");
  pickers.innerHTML = "";
  RUN_NAMES.forEach((name, slot) => {
    const label = document.createElement("label");
    label.className = "picker";
    label.style.setProperty("--c", COLORS[slot]);
    label.textContent = `run ${slot + 1} `;
    const select = document.createElement("select");
    select.id = name;
    fill(select, [["none", "(none)"], ...meta.methods.map((m) => [m.key, m.label])]);
    select.value = st.runs[slot];
    select.addEventListener("change", () => { st.runs[slot] = select.value; refresh(); });
    label.appendChild(select);
    pickers.appendChild(label);
  });
  $("surface").onchange = () => { st.surface = +$("surface").value; st.variant = 0; st.start = 0; refresh(); };
  $("variant").onchange = () => { st.variant = +$("variant").value; refresh(); };
  $("start").onchange = () => { st.start = +$("start").value; refresh(); };
  $("scrub").oninput = () => { st.playing = false; st.step = +$("scrub").value; draw(); };
  $("play").onclick = () => togglePlay();
  $("contour").addEventListener("click", pickStart);
}

function updateSurfaceControls() {
  const s = ex.meta.surfaces[ex.state.surface];
  $("variant-box").hidden = s.variants.length < 2;
  $("variant-box").firstChild.textContent = (s.variant_label || "variant") + " ";
  $("variant").innerHTML = "";
  s.variants.forEach((v, i) => $("variant").add(new Option(v === null ? "-" : fmt(v), i)));
  $("variant").value = ex.state.variant;
  $("start").innerHTML = "";
  s.starts.forEach((p, i) => $("start").add(new Option(`(${fmt(p[0])}, ${fmt(p[1])})`, i)));
  $("start").value = ex.state.start;
}

function updateSliders() {
  const box = $("sliders"), runs = activeRuns();
  box.innerHTML = "";
  for (const key of sliderKeys(runs.map((r) => r.m))) {
    const users = runs.filter((r) => r.m.hypers.some((h) => h.slider === key));
    const first = users[0].m.hypers.find((h) => h.slider === key);
    const n = Math.max(...users.map((r) => r.m.hypers.find((h) => h.slider === key).values.length));
    const name = document.createElement("label");
    name.textContent = first.label;
    name.htmlFor = "slider-" + key;
    const input = document.createElement("input");
    Object.assign(input, {type: "range", id: "slider-" + key, min: 0, max: n - 1, step: 1, value: ex.state.sliders[key]});
    input.addEventListener("input", () => { ex.state.sliders[key] = +input.value; refresh(); });
    const values = document.createElement("span");
    values.className = "values";
    values.id = "values-" + key;
    values.textContent = users.map((r) => {
      const h = r.m.hypers.find((x) => x.slider === key);
      return `run ${r.slot + 1}: ${h.kwarg} = ${fmt(hyperValue(r.m, h))}`;
    }).join(" · ");
    box.append(name, input, values);
  }
}

// ---- drawing ----

function plotBox(canvas) { return {x: 50, y: 24, w: canvas.width - 64, h: canvas.height - 60}; }

const PALETTE = (() => {  // a light viridis: low values dark enough to read, paths stay visible
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  return (t) => {
    const x = t * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
    return stops[i].map((c, k) => Math.round(0.55 * (c + f * (stops[i + 1][k] - c)) + 0.45 * 255));
  };
})();

function drawContour(surface, runs) {
  const canvas = $("contour"), ctx = canvas.getContext("2d"), box = plotBox(canvas);
  const size = ex.meta.field, levels = ex.meta.levels, bands = base64Bytes(surface.fields[ex.state.variant]);
  if (bands.length !== size * size) throw new Error(`data.js: field of ${surface.key} has ${bands.length} cells, expected ${size * size}`);
  const img = new ImageData(size, size);
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) {
    const rgb = PALETTE(bands[r * size + c] / (levels - 1)), o = ((size - 1 - r) * size + c) * 4;
    img.data.set([...rgb, 255], o);
  }
  const off = new OffscreenCanvas(size, size);
  off.getContext("2d").putImageData(img, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, box.x, box.y, box.w, box.h);
  const [[x0, x1], [y0, y1]] = surface.bounds;
  const X = (x) => box.x + ((x - x0) / (x1 - x0)) * box.w, Y = (y) => box.y + box.h - ((y - y0) / (y1 - y0)) * box.h;
  ex.toData = (px, py) => [x0 + ((px - box.x) / box.w) * (x1 - x0), y0 + ((box.y + box.h - py) / box.h) * (y1 - y0)];
  axes(ctx, box, [x0, x1], [y0, y1], "x", "y", false);
  ctx.save();
  ctx.beginPath(); ctx.rect(box.x, box.y, box.w, box.h); ctx.clip();
  ctx.fillStyle = "#fff"; ctx.strokeStyle = "#000";
  for (const m of surface.minimizers) star(ctx, X(m[0]), Y(m[1]));
  surface.starts.forEach((p, i) => {
    ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), i === ex.state.start ? 6 : 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = i === ex.state.start ? "#fff" : "rgba(255,255,255,.7)"; ctx.fill(); ctx.stroke();
  });
  ex.drawn = [];
  for (const run of runs) {
    const {block, index, slot} = run, P = block.points, last = Math.min(ex.state.step, block.kept[index] - 1);
    const points = [];
    for (let t = 0; t <= last; t++) points.push([block.path[(index * P + t) * 2], block.path[(index * P + t) * 2 + 1]]);
    ex.drawn.push({slot, method: run.m.key, index, points});
    ctx.strokeStyle = COLORS[slot]; ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach(([x, y], t) => (t ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    if (points.length) {
      const [x, y] = points[points.length - 1];
      ctx.fillStyle = COLORS[slot]; ctx.beginPath(); ctx.arc(X(x), Y(y), 5, 0, 2 * Math.PI); ctx.fill();
      if (block.kept[index] < P && ex.state.step >= block.kept[index] - 1) {
        ctx.font = "bold 15px sans-serif"; ctx.fillText(`✕ diverged at step ${block.kept[index]}`, X(x) + 8, Y(y) - 8);
      }
    }
  }
  ctx.restore();
}

function star(ctx, x, y) {
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const r = k % 2 ? 3.5 : 8, a = (k * Math.PI) / 5 - Math.PI / 2;
    ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
  }
  ctx.closePath(); ctx.fill(); ctx.stroke();
}

function axes(ctx, box, [x0, x1], [y0, y1], xlabel, ylabel, logY) {
  ctx.strokeStyle = "#333"; ctx.fillStyle = "#222"; ctx.lineWidth = 1; ctx.font = "12px sans-serif";
  ctx.strokeRect(box.x, box.y, box.w, box.h);
  for (let k = 0; k <= 4; k++) {
    const x = x0 + (k / 4) * (x1 - x0), px = box.x + (k / 4) * box.w;
    ctx.fillText(fmt(x), px - 10, box.y + box.h + 16);
  }
  const ticks = logY ? decades(y0, y1) : [0, 1, 2, 3, 4].map((k) => y0 + (k / 4) * (y1 - y0));
  for (const y of ticks) {
    const py = box.y + box.h - ((y - y0) / (y1 - y0)) * box.h;
    ctx.fillText(logY ? `1e${y}` : fmt(y), 4, py + 4);
    if (logY) { ctx.strokeStyle = "#eee"; ctx.beginPath(); ctx.moveTo(box.x + 1, py); ctx.lineTo(box.x + box.w - 1, py); ctx.stroke(); }
  }
  ctx.fillText(xlabel, box.x + box.w / 2, box.y + box.h + 34);
  ctx.fillText(ylabel, box.x, box.y - 6);
}

function decades(lo, hi) {
  const step = Math.max(1, Math.ceil((hi - lo) / 8)), out = [];
  for (let d = Math.ceil(lo); d <= hi; d += step) out.push(d);
  return out;
}

function gap(surface, block, index, t) {  // f - f_min on the log axis (|f| where f is unbounded below)
  const f = block.loss[index * block.points + t], fmin = surface.min_value[ex.state.variant];
  return Number.isFinite(fmin) ? Math.max(f - fmin, 1e-30) : Math.max(Math.abs(f), 1e-30);
}

function drawLoss(surface, runs) {
  const canvas = $("loss"), ctx = canvas.getContext("2d"), box = plotBox(canvas), T = ex.meta.steps;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  let lo = Infinity, hi = -Infinity;
  for (const {block, index} of runs) for (let t = 0; t < block.kept[index]; t++) {
    const v = Math.log10(gap(surface, block, index, t));
    lo = Math.min(lo, v); hi = Math.max(hi, v);
  }
  if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
  lo = Math.floor(Math.max(lo, hi - 30)); hi = Math.ceil(hi + 1e-9); if (hi === lo) hi = lo + 1;
  const unbounded = !Number.isFinite(surface.min_value[ex.state.variant]);
  axes(ctx, box, [0, T], [lo, hi], "step", unbounded ? "|f(x)|" : "f(x) − f_min", true);
  const X = (t) => box.x + (t / T) * box.w, Y = (v) => box.y + box.h - ((Math.max(v, lo) - lo) / (hi - lo)) * box.h;
  for (const {block, index, slot, m} of runs) {
    ctx.strokeStyle = COLORS[slot]; ctx.lineWidth = 1.8; ctx.beginPath();
    for (let t = 0; t < block.kept[index]; t++) {
      const y = Y(Math.log10(gap(surface, block, index, t)));
      t ? ctx.lineTo(X(t), y) : ctx.moveTo(X(t), y);
    }
    ctx.stroke();
    ctx.fillStyle = COLORS[slot]; ctx.font = "13px sans-serif";
    ctx.fillText(`run ${slot + 1}: ${m.label}`, box.x + box.w - 260, box.y + 18 + 17 * slot);
  }
  ctx.strokeStyle = "#888"; ctx.setLineDash([4, 4]); ctx.beginPath();
  ctx.moveTo(X(ex.state.step), box.y); ctx.lineTo(X(ex.state.step), box.y + box.h); ctx.stroke(); ctx.setLineDash([]);
}

function fillResults(surface, runs) {
  const rows = ["<tr><th>run</th><th>optimizer</th><th>hyperparameters</th><th>loss at step</th><th>final loss</th><th>final point</th><th>status</th></tr>"];
  for (const {block, index, slot, m} of runs) {
    const P = block.points, k = block.kept[index], t = Math.min(ex.state.step, k - 1), end = index * P + k - 1;
    const hyper = m.hypers.map((h) => `${h.kwarg}=${fmt(hyperValue(m, h))}`).join(", ") || "-";
    const status = k < P ? `<span class="diverged">diverged at step ${k}</span>` : "finite";
    rows.push(`<tr data-slot="${slot}"><td style="color:${COLORS[slot]}">run ${slot + 1}</td><td>${m.label}</td><td>${hyper}</td>` +
      `<td class="num">${t >= 0 ? block.loss[index * P + t].toPrecision(4) : "-"}</td>` +
      `<td class="num final-loss" data-value="${k ? block.loss[end] : NaN}">${k ? block.loss[end].toPrecision(4) : "-"}</td>` +
      `<td class="num">${k ? `(${fmt(block.path[2 * end])}, ${fmt(block.path[2 * end + 1])})` : "-"}</td><td>${status}</td></tr>`);
  }
  $("results").innerHTML = rows.join("");
}

function fillEquations(runs) {  // one section per library function, naming the runs that use it
  const key = runs.map((r) => `${r.slot}:${r.m.key}`).join(",");
  if (key === ex.equationsKey) return;  // slider moves keep the typeset equations
  ex.equationsKey = key;
  const groups = new Map();
  for (const run of runs) groups.set(run.m.function, [...(groups.get(run.m.function) || []), run]);
  const parts = [...groups.values()].map((group) => {
    const names = group.map(({m, slot}) => `<span style="color:${COLORS[slot]}">run ${slot + 1}: ${m.label}</span>`).join(", ");
    return `<h3 style="--c:${COLORS[group[0].slot]}">${names} · <code>jaxopt_lectures.${group[0].m.function}</code></h3>${group[0].m.equations}`;
  });
  const box = $("equations");
  box.innerHTML = parts.join("");
  if (window.MathJax && window.MathJax.typesetPromise) window.MathJax.typesetPromise([box]).catch((e) => showMessage(String(e)));
}

// ---- update cycle ----

let current = [];

async function refresh() {
  try {
    const surface = ex.meta.surfaces[ex.state.surface];
    updateSurfaceControls();
    updateSliders();
    const runs = activeRuns();
    for (const run of runs) {
      run.block = await loadBlock(surface, run.m);
      run.index = runIndex(surface, run.m);
    }
    current = runs;
    fillEquations(runs);
    draw();
    syncUrl();
    if (!ex.ready) ex.readyAt = performance.now();  // ms since navigation start: time to interactive
    ex.ready = true;
    ex.refreshes += 1;
  } catch (err) {
    showMessage(err.message || String(err));
  }
}

function draw() {
  try {
    const surface = ex.meta.surfaces[ex.state.surface];
    $("scrub").max = ex.meta.steps;
    $("scrub").value = ex.state.step;
    $("step-label").textContent = `step ${ex.state.step} / ${ex.meta.steps}`;
    drawContour(surface, current);
    drawLoss(surface, current);
    fillResults(surface, current);
  } catch (err) {
    showMessage(err.message || String(err));
  }
}

function syncUrl() {
  const st = ex.state, q = new URLSearchParams();
  q.set("surface", ex.meta.surfaces[st.surface].key);
  if (st.variant) q.set("variant", st.variant);
  if (st.start) q.set("start", st.start);
  RUN_NAMES.forEach((name, i) => q.set(name, st.runs[i]));
  for (const key of sliderKeys(activeRuns().map((r) => r.m))) q.set(key, st.sliders[key]);
  try { history.replaceState(null, "", "?" + q.toString()); } catch (e) { /* file:// may refuse; harmless */ }
}

function togglePlay() {
  const st = ex.state;
  st.playing = !st.playing;
  $("play").textContent = st.playing ? "❚❚ pause" : "▶ play";
  if (!st.playing) return;
  if (st.step >= ex.meta.steps) st.step = 0;
  const tick = () => {
    if (!st.playing) return;
    st.step = Math.min(st.step + Math.max(1, Math.round(ex.meta.steps / 200)), ex.meta.steps);
    draw();
    if (st.step >= ex.meta.steps) { st.playing = false; $("play").textContent = "▶ play"; return; }
    setTimeout(tick, 30);
  };
  setTimeout(tick, 30);
}

function pickStart(event) {
  if (!ex.toData) return;
  const rect = event.target.getBoundingClientRect(), canvas = $("contour");
  const px = ((event.clientX - rect.left) / rect.width) * canvas.width, py = ((event.clientY - rect.top) / rect.height) * canvas.height;
  const [x, y] = ex.toData(px, py), surface = ex.meta.surfaces[ex.state.surface];
  const [[x0, x1], [y0, y1]] = surface.bounds;
  let best = 0, bestD = Infinity;
  surface.starts.forEach((p, i) => {
    const d = ((p[0] - x) / (x1 - x0)) ** 2 + ((p[1] - y) / (y1 - y0)) ** 2;
    if (d < bestD) { bestD = d; best = i; }
  });
  ex.state.start = best;
  refresh();
}

function loadMathJax() {  // after the page is interactive: typesetting never delays the plots
  const script = document.createElement("script");
  script.src = "tex-svg-full.js";
  script.onload = () => window.MathJax.startup.promise.then(() => window.MathJax.typesetPromise([$("equations")]));
  script.onerror = () => { $("equations").insertAdjacentHTML("afterbegin", "<p><i>MathJax is not in this folder: the equations show their LaTeX source.</i></p>"); };
  document.head.appendChild(script);
}

function main() {
  try {
    ex.meta = checkMeta(window.EXPLORER_DATA);
  } catch (err) {
    showMessage(err.message);
    return;
  }
  const {state, problems} = parseQuery(ex.meta);
  ex.state = state;
  buildControls();
  if (problems.length) showMessage("Ignored in the address: " + problems.join("; "));
  refresh().then(loadMathJax);
}

document.addEventListener("DOMContentLoaded", main);
