// The auditor's visual replay (frames computed by the server) and the breach-rate diagrams of the report.
// Needs window.SopflowViewer (dist/viewer.js) loaded first. Renders only: every figure comes from the page.

function readJson(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

const TIME = new Intl.DateTimeFormat("id-ID", {
  timeZone: "Asia/Jakarta", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
});

function text(tag, value, className) {
  const element = document.createElement(tag);
  element.textContent = value;
  if (className) element.className = className;
  return element;
}

function frameTitle(frame, labels) {
  const p = frame.payload || {};
  const what = labels.types[frame.type] || frame.type;
  const subject = p.name || p.timer_name || p.gateway_name || "";
  return subject ? `${what}: ${subject}` : what;
}

function renderPanel(frame, index, total, labels) {
  document.getElementById("replay-title").textContent = frameTitle(frame, labels);
  document.getElementById("replay-time").textContent = TIME.format(new Date(frame.at));
  document.getElementById("replay-actor").textContent = frame.actor_name || frame.actor || "";
  document.getElementById("replay-position").textContent = `${index + 1} ${labels.of} ${total}`;
  const values = document.getElementById(`replay-values-${frame.index}`);  // worded by the server
  document.getElementById("replay-data").replaceChildren(values ? values.content.cloneNode(true) : "");
  const files = document.getElementById("replay-attachments");
  files.replaceChildren();
  if (frame.attachments.length) {
    files.append(text("h3", labels.attachments));
    const ul = document.createElement("ul");
    for (const file of frame.attachments) {
      ul.append(text("li", `${file.filename} (${file.size} B, sha256 ${file.sha256.slice(0, 12)}…, ${file.uploaded_by})`));
    }
    files.append(ul);
  }
  const overdue = document.getElementById("replay-overdue");
  overdue.hidden = frame.overdue.length === 0;
  overdue.textContent = frame.overdue.length ? `${labels.overdue}: ${frame.overdue.join(", ")}` : "";
  const panel = document.getElementById("replay-panel");
  panel.dataset.index = String(index);
  panel.dataset.type = frame.type;
}

async function startReplay() {
  const frames = readJson("replay-frames");
  if (!frames) return;
  const labels = readJson("replay-labels");
  const slider = document.getElementById("replay-slider");
  const play = document.getElementById("replay-play");
  const viewer = await window.SopflowViewer.show(document.getElementById("replay-diagram"), readJson("replay-xml"), {});
  let index = 0;
  let timer = null;

  function go(target) {
    index = Math.max(0, Math.min(frames.length - 1, target));
    slider.value = String(index);
    window.SopflowViewer.setMarks(viewer, frames[index].marks);
    renderPanel(frames[index], index, frames.length, labels);
  }
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = play.dataset.play;
  }
  document.getElementById("replay-first").addEventListener("click", () => { stop(); go(0); });
  document.getElementById("replay-last").addEventListener("click", () => { stop(); go(frames.length - 1); });
  document.getElementById("replay-back").addEventListener("click", () => { stop(); go(index - 1); });
  document.getElementById("replay-forward").addEventListener("click", () => { stop(); go(index + 1); });
  slider.addEventListener("input", () => { stop(); go(Number(slider.value)); });
  play.addEventListener("click", () => {
    if (timer !== null) { stop(); return; }
    if (index >= frames.length - 1) go(0);
    play.textContent = play.dataset.pause;
    timer = setInterval(() => {
      if (index >= frames.length - 1) { stop(); return; }
      go(index + 1);
    }, 900);
  });
  go(0);
  document.body.dataset.replayReady = "1";
}

async function startHeat() {
  const diagrams = readJson("heat-data");
  if (!diagrams) return;
  for (const diagram of diagrams) {
    await window.SopflowViewer.show(document.getElementById(`heat-${diagram.process_id}`), diagram.xml, diagram.marks);
  }
  document.body.dataset.heatReady = "1";
}

startReplay();
startHeat();
