// The gateway's admin endpoints, with the session cookie (sent by the browser) and the
// session's CSRF token on every change. A 401 means the session ended: back to sign-in.
let csrf = null;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function session() {
  if (csrf === null) {
    const response = await fetch("/ui/session", { credentials: "same-origin" });
    if (response.status === 401) return signIn();
    csrf = (await response.json()).csrf;
  }
  return csrf;
}

function signIn() {
  window.location.assign("/ui/signin");
  return new Promise(() => {}); // never settles: the page is going away
}

async function parse(response) {
  if (response.status === 401) return signIn();
  if (response.status === 204) return null;
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body?.error?.message ?? `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return body;
}

export async function get(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null));
  const url = query.size ? `${path}?${query}` : path;
  return parse(await fetch(url, { credentials: "same-origin" }));
}

export async function send(method, path, body) {
  const headers = { "x-csrf-token": await session() };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return parse(await fetch(path, init));
}

export async function signOut() {
  await send("POST", "/ui/signout");
  window.location.assign("/ui/signin");
}
