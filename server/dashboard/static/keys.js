// Key management through the admin API: create (the secret shown once), list, revoke.
import { get, send } from "./api.js";
import { el, table, when } from "./dom.js";

function body(form) {
  const data = new FormData(form);
  const value = (name) => String(data.get(name) ?? "").trim();
  const spec = { name: value("name") };
  const models = value("models").split(",").map((m) => m.trim()).filter(Boolean);
  if (models.length) spec.models = models;
  const limits = {};
  for (const name of ["rpm", "tpm"]) if (value(name)) limits[name] = Number(value(name));
  if (Object.keys(limits).length) spec.limits = limits;
  if (value("usd")) spec.budget = { usd: Number(value("usd")), period: value("period") };
  if (value("expires_at")) spec.expires_at = `${value("expires_at")}T00:00:00Z`;
  return spec;
}

function status(key) {
  if (key.revoked_at) return `revoked ${when(key.revoked_at)}`;
  if (!key.enabled) return "disabled";
  return key.expires_at ? `until ${when(key.expires_at)}` : "active";
}

async function revoke(key, report) {
  if (!window.confirm(`Revoke ${key.name}? Clients using it get 401 from now on.`)) return;
  try {
    await send("DELETE", `/admin/keys/${encodeURIComponent(key.id)}`);
    await refreshKeys(report);
  } catch (error) {
    report(error.message);
  }
}

export async function refreshKeys(report) {
  const page = await get("/admin/keys", { limit: 500 });
  table(document.getElementById("keys"), [
    { label: "Name", cell: (k) => k.name },
    { label: "Key", cell: (k) => el("code", {}, k.display) },
    { label: "Models", cell: (k) => (k.models.length ? k.models.join(", ") : "all") },
    { label: "Status", cell: (k) => status(k) },
    { label: "Created", cell: (k) => when(k.created_at) },
    { label: "", cell: (k) => (k.revoked_at ? "" : el("button", { type: "button", class: "danger", "data-revoke": k.name, onclick: () => revoke(k, report) }, "Revoke")) },
  ], page.data, "No issued keys yet.");
}

export function setupKeys(report) {
  const form = document.getElementById("key-create");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await send("POST", "/admin/keys", body(form));
      document.getElementById("secret").textContent = created.key;
      document.getElementById("secret-box").hidden = false;
      form.reset();
      await refreshKeys(report);
    } catch (error) {
      report(error.message);
    }
  });
  document.getElementById("copy-secret").addEventListener("click", async (event) => {
    await navigator.clipboard.writeText(document.getElementById("secret").textContent);
    event.target.textContent = "Copied";
  });
}
