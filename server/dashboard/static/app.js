// The dashboard page: hash-routed views over /metrics/summary and the admin API.
import { get, signOut } from "./api.js";
import { refreshKeys, setupKeys } from "./keys.js";
import { renderOverview } from "./overview.js";
import { renderTables } from "./tables.js";
import { setupTail, startTail, stopTail } from "./tail.js";

const VIEWS = ["overview", "usage", "limits", "targets", "tail", "keys"];
const SUMMARY_VIEWS = new Set(["overview", "usage", "limits", "targets"]);
const REFRESH_MS = 15000;
let windowName = localStorage.getItem("window") ?? "1h";
let timer = null;

function report(message) {
  const banner = document.getElementById("error");
  banner.textContent = message ?? "";
  banner.hidden = !message;
}

async function loadSummary() {
  try {
    const summary = await get("/metrics/summary", { window: windowName });
    renderOverview(summary);
    renderTables(summary);
    document.getElementById("generated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = "summary";
    report(null);
  } catch (error) {
    report(`Could not load the summary: ${error.message}`);
  }
}

function current() {
  const name = window.location.hash.slice(1);
  return VIEWS.includes(name) ? name : "overview";
}

async function show() {
  const view = current();
  for (const name of VIEWS) document.getElementById(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll("#tabs a")) {
    link.classList.toggle("active", link.dataset.view === view);
    if (link.dataset.view === view) link.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  document.getElementById("window-bar").hidden = !SUMMARY_VIEWS.has(view);
  clearInterval(timer);
  if (view === "tail") return startTail();
  stopTail();
  if (view === "keys") return refreshKeys(report).catch((error) => report(error.message));
  await loadSummary();
  timer = setInterval(loadSummary, REFRESH_MS);
}

function setupWindows() {
  for (const button of document.querySelectorAll("[data-window]")) {
    button.classList.toggle("active", button.dataset.window === windowName);
    button.addEventListener("click", () => {
      windowName = button.dataset.window;
      localStorage.setItem("window", windowName);
      for (const b of document.querySelectorAll("[data-window]")) b.classList.toggle("active", b === button);
      loadSummary();
    });
  }
}

setupWindows();
setupTail();
setupKeys(report);
document.getElementById("signout").addEventListener("click", () => signOut().catch((e) => report(e.message)));
window.addEventListener("hashchange", show);
show();
