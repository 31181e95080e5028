// AutoCut Studio's page: every action is one call of the JSON API (see docs/studio.md).
const $ = (selector) => document.querySelector(selector);
const state = { project: null, board: null, events: null, autoRun: new Set(), options: null };

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error((data && (data.error || JSON.stringify(data.detail))) || response.statusText);
  return data;
}

function status(text) { $("#status").textContent = text; }
function message(text) {
  const item = document.createElement("li");
  item.textContent = text;
  $("#messages").append(item);
}
async function attempt(work) {
  try { return await work(); } catch (error) { message(error.message); status("error"); }
}
function el(tag, props = {}, ...children) {
  const { dataset, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  for (const [key, value] of Object.entries(dataset || {})) node.dataset[key] = value;
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}
function fillSelect(select, values, chosen) {
  select.replaceChildren(...values.map(([value, label]) =>
    el("option", { value, textContent: label, selected: value === chosen })));
}

// -- projects ------------------------------------------------------------------------------

async function loadOptions() {
  state.options = await api("GET", "/api/options");
  const backbones = state.options.backbones.map((name) => [name, name]);
  fillSelect($("#backbone-choice"), backbones, "similarity");
  fillSelect($("#run-backbone"), backbones, "similarity");
  fillSelect($("#aspect"), state.options.aspects.map((a) => [a, a]), "9:16");
  fillSelect($("#subtitle-position"), state.options.subtitle_positions.map((p) => [p, p]), "bottom");
  $("#example").hidden = !state.options.example;
  $("#media-roots").textContent = state.options.media_roots.length
    ? `Server folders under: ${state.options.media_roots.join(", ")}`
    : "This studio names no server media folders (--media): upload the files.";
}

async function loadProjects(select) {
  const projects = await api("GET", "/api/projects");
  fillSelect($("#project-select"), [["", "—"], ...projects.map((p) => [p.id, p.spec.name])], select);
}

async function openProject(id) {
  if (state.events) state.events.close();
  state.project = id;
  state.board = null;
  $("#bars").replaceChildren();
  $("#failures").replaceChildren();
  $("#messages").replaceChildren();
  $("#output").hidden = true;
  if (!id) { $("#board-section").hidden = true; return; }
  $("#project-select").value = id;
  const info = await api("GET", `/api/projects/${id}`);
  $("#run-pipeline").value = info.spec.pipeline;
  $("#run-backbone").value = info.spec.backbone;
  showFailures(info.index);
  $("#board-section").hidden = false;
  state.events = new EventSource(`/api/projects/${id}/events`);
  state.events.addEventListener("stage", (event) => showStage(JSON.parse(event.data)));
  state.events.addEventListener("job", (event) => onJob(JSON.parse(event.data)));
  if (info.head) await loadBoard(); else $("#board").replaceChildren();
  status(info.head ? `version ${info.head}` : "not run yet");
}

function showFailures(index) {
  $("#failures").replaceChildren(...(index ? index.failed : []).map((failure) =>
    el("li", { textContent: `${failure.path}: ${failure.reason}` })));
}

function lines(text) { return text.split("\n").map((line) => line.trim()).filter(Boolean); }

async function createProject(form) {
  const data = new FormData(form);
  const spec = {
    name: data.get("name"),
    product: {
      name: data.get("product_name"), brand: data.get("brand"), category: data.get("category"),
      selling_points: lines(data.get("selling_points")), description: data.get("description"),
    },
    script: lines(data.get("script")),
    footage: lines(data.get("footage")),
    music: lines(data.get("music")),
    pipeline: data.get("pipeline"),
    backbone: data.get("backbone"),
    render: { long_side: Number(data.get("long_side")) },
  };
  const uploads = [
    ...form.elements.script_file.files.length ? [["script", form.elements.script_file.files[0]]] : [],
    ...[...form.elements.footage_files.files].map((file) => ["footage", file]),
    ...[...form.elements.music_files.files].map((file) => ["music", file]),
  ];
  status("creating the project");
  const project = await api("POST", `/api/projects?index=${uploads.length ? "false" : "true"}`, spec);
  await loadProjects(project.id);
  await openProject(project.id);
  for (const [kind, file] of uploads) {
    status(`uploading ${file.name}`);
    const body = new FormData();
    body.append("file", file);
    await api("POST", `/api/projects/${project.id}/uploads/${kind}`, body);
  }
  if (uploads.length) await api("POST", `/api/projects/${project.id}/index`);
  $("#new").hidden = true;
  status("indexing");
}

// -- progress ------------------------------------------------------------------------------

function bar(key, label) {
  let node = document.getElementById(`bar-${key}`);
  if (!node) {
    node = el("div", { className: "bar", id: `bar-${key}` },
      el("div", { className: "label" }, el("span", { className: "name" }), el("span", { className: "count" })),
      el("progress", { max: 1, value: 0 }));
    $("#bars").append(node);
  }
  node.querySelector(".name").textContent = label;
  return node;
}

function showStage(event) {
  const node = bar(`${event.job}-${event.label.replace(/[^a-z0-9]+/gi, "-")}`, `${event.job}: ${event.label}`);
  const progress = node.querySelector("progress");
  const count = node.querySelector(".count");
  if (event.state === "end") {
    progress.max = 1; progress.value = 1; count.textContent = "done";
  } else if (event.total) {
    progress.max = event.total; progress.value = event.done;
    const unit = event.label === "render" ? " s" : "";
    count.textContent = `${Number(event.done).toFixed(unit ? 1 : 0)}${unit} / ${Number(event.total).toFixed(unit ? 1 : 0)}${unit} ${event.current || ""}`;
  } else {
    progress.removeAttribute("value"); count.textContent = event.current || "";
  }
}

async function onJob(event) {
  status(`${event.job_kind} ${event.state}`);
  if (event.state === "running") $("#bars").replaceChildren(); // the bars of the work under way
  document.body.dataset[`${event.job_kind}State`] = event.state;
  if (event.state === "failed") message(`${event.job_kind} failed: ${event.error}`);
  if (event.state !== "done") return;
  if (event.job_kind === "index") {
    showFailures(event.result);
    if (state.autoRun.has(state.project)) {
      state.autoRun.delete(state.project);
      await attempt(() => api("POST", `/api/projects/${state.project}/run`));
    }
  }
  if (event.job_kind === "run") await loadBoard();
  if (event.job_kind === "render") { await loadBoard(); showRender(event.result); }
}

// -- the storyboard ------------------------------------------------------------------------

async function loadBoard(data) {
  state.board = data || await api("GET", `/api/projects/${state.project}/storyboard`);
  drawBoard();
}

function drawBoard() {
  const board = state.board;
  const history = board.history;
  $("#undo").disabled = !history.can_undo;
  $("#redo").disabled = !history.can_redo;
  fillSelect($("#history"), history.versions.map((v) =>
    [String(v.number), `v${v.number}${v.number === history.head ? " (current)" : ""}: ${v.note}`]), String(history.head));
  const music = board.music.options.map((option, rank) =>
    [option.track_id, `${board.music.ranked ? `${rank + 1}. ` : ""}${option.title}${option.score != null ? ` (${option.score.toFixed(2)})` : ""}`]);
  fillSelect($("#music"), [["", "no music"], ...music], board.music.current || "");
  $("#aspect").value = board.render.aspect;
  $("#subtitles").checked = board.render.subtitles;
  $("#subtitle-position").value = board.render.subtitle_position;
  $("#board-summary").textContent =
    `${board.project.name}: ${board.slots.length} slots, ${board.duration.toFixed(2)} s, ${board.size[0]}x${board.size[1]}, ` +
    `backbone ${board.project.backbone}, version ${board.version.number}`;
  $("#warnings").replaceChildren(...[...board.notes, ...board.warnings].map((text) => el("li", { textContent: text })));
  $("#board").replaceChildren(...board.slots.map(card));
  const last = board.renders[board.renders.length - 1];
  if (last) showRender(last);
  status(`version ${board.version.number}`);
}

function card(slot) {
  const number = slot.index + 1;
  const sentence = el("textarea", { rows: 2, value: slot.sentence, dataset: { testid: `sentence-${number}` } });
  const save = el("button", { type: "button", textContent: "Save line", dataset: { testid: `save-sentence-${number}` } });
  save.addEventListener("click", () => edit({ op: "sentence", slot: slot.index, text: sentence.value }));
  const alternatives = el("ul", { className: "alts" }, ...slot.alternatives.map((alt, rank) => {
    const use = el("button", { type: "button", textContent: alt.current ? "in use" : "Use", disabled: alt.current,
      dataset: { testid: `swap-${number}-${rank + 1}` } });
    use.addEventListener("click", () => edit({ op: "swap", slot: slot.index, alternative: rank }));
    return el("li", { className: alt.current ? "current" : "", title: `${alt.source} ${alt.start.toFixed(2)}-${alt.end.toFixed(2)} s` },
      el("img", { src: alt.thumb, alt: alt.caption, loading: "lazy" }),
      el("span", { textContent: `${alt.rank}. ${alt.caption || alt.clip_id}${alt.score != null ? ` · ${alt.score.toFixed(3)}` : ""}` }),
      use);
  }));
  const left = el("button", { type: "button", textContent: "◀", title: "move earlier", disabled: slot.index === 0,
    dataset: { testid: `left-${number}` } });
  left.addEventListener("click", () => edit({ op: "move", slot: slot.index, to: slot.index - 1 }));
  const right = el("button", { type: "button", textContent: "▶", title: "move later",
    disabled: slot.index === state.board.slots.length - 1, dataset: { testid: `right-${number}` } });
  right.addEventListener("click", () => edit({ op: "move", slot: slot.index, to: slot.index + 1 }));
  const node = el("li", { className: "card", draggable: true, dataset: { testid: `card-${number}`, clip: slot.clip_id } },
    el("div", { className: "head" }, el("span", { textContent: `#${number}  ${slot.start.toFixed(2)}–${slot.end.toFixed(2)} s` }),
      el("span", { className: `score${slot.edited ? " edited" : ""}`, textContent: slot.score_label, dataset: { testid: `score-${number}` } })),
    el("img", { className: "thumb", src: slot.thumb, alt: slot.evidence }),
    el("div", { className: "meta", textContent:
      `${slot.source} ${slot.in.toFixed(2)}–${slot.out.toFixed(2)} s${slot.hold ? ` +${slot.hold.toFixed(2)} s held` : ""}${slot.revoice ? " · re-voiced on render" : ""}` }),
    sentence,
    el("div", {}, save, " ", left, right),
    el("div", { className: "evidence", textContent: `shows: ${slot.evidence || "(no caption)"}` }),
    el("details", { open: true }, el("summary", { textContent: `alternatives (ranked by ${state.board.project.backbone})` }), alternatives));
  node.addEventListener("dragstart", (event) => { event.dataTransfer.setData("text/plain", String(slot.index)); node.classList.add("dragging"); });
  node.addEventListener("dragend", () => node.classList.remove("dragging"));
  node.addEventListener("dragover", (event) => { event.preventDefault(); node.classList.add("over"); });
  node.addEventListener("dragleave", () => node.classList.remove("over"));
  node.addEventListener("drop", (event) => {
    event.preventDefault();
    node.classList.remove("over");
    const from = Number(event.dataTransfer.getData("text/plain"));
    if (from !== slot.index) edit({ op: "move", slot: from, to: slot.index });
  });
  return node;
}

async function edit(change) {
  await attempt(async () => loadBoard(await api("POST", `/api/projects/${state.project}/edits`, change)));
}

function look() {
  return edit({ op: "look", render: { ...state.board.render, aspect: $("#aspect").value,
    subtitles: $("#subtitles").checked, subtitle_position: $("#subtitle-position").value } });
}

function showRender(record) {
  const urls = record.urls || Object.fromEntries(Object.entries(record.files).map(
    ([key, path]) => [key, `/api/projects/${state.project}/files/${path}`]));
  $("#output").hidden = false;
  const player = $("#player");
  if (player.dataset.src !== urls.video) {
    player.dataset.src = urls.video;
    player.dataset.version = record.version;
    player.src = `${urls.video}?v=${record.version}`;
  }
  const names = { video: "MP4", srt: "SRT", otio: "OTIO", edl: "EDL", fcpxml: "FCPXML", plan: "plan.json", contact_sheet: "contact sheet" };
  $("#downloads").replaceChildren(...Object.entries(urls).map(([key, url]) =>
    el("li", {}, el("a", { href: `${url}?download=true`, textContent: `${names[key] || key} (v${record.version})`,
      dataset: { testid: `download-${key}` } }))));
}

// -- wiring --------------------------------------------------------------------------------

$("#show-new").addEventListener("click", () => { $("#new").hidden = !$("#new").hidden; });
$("#new-form").addEventListener("submit", (event) => { event.preventDefault(); attempt(() => createProject(event.target)); });
$("#project-select").addEventListener("change", (event) => attempt(() => openProject(event.target.value)));
$("#example").addEventListener("click", () => attempt(async () => {
  status("making the example's footage");
  const project = await api("POST", "/api/projects/example");
  state.autoRun.add(project.id);
  await loadProjects(project.id);
  await openProject(project.id);
}));
$("#run").addEventListener("click", () => attempt(async () => {
  await api("PATCH", `/api/projects/${state.project}`, { pipeline: $("#run-pipeline").value, backbone: $("#run-backbone").value });
  await api("POST", `/api/projects/${state.project}/run`);
}));
$("#undo").addEventListener("click", () => attempt(async () => loadBoard(await api("POST", `/api/projects/${state.project}/undo`))));
$("#redo").addEventListener("click", () => attempt(async () => loadBoard(await api("POST", `/api/projects/${state.project}/redo`))));
$("#history").addEventListener("change", (event) => attempt(async () =>
  loadBoard(await api("POST", `/api/projects/${state.project}/versions/${event.target.value}/checkout`))));
$("#music").addEventListener("change", (event) => edit({ op: "music", track_id: event.target.value || null }));
for (const id of ["#aspect", "#subtitles", "#subtitle-position"]) $(id).addEventListener("change", look);
$("#render").addEventListener("click", () => attempt(() => api("POST", `/api/projects/${state.project}/render`)));

attempt(async () => {
  await loadOptions();
  await loadProjects(new URLSearchParams(location.search).get("project") || "");
  const chosen = $("#project-select").value;
  if (chosen) await openProject(chosen);
  document.body.dataset.ready = "true";
});
