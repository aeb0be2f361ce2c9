// Talking to the gateway: GraphQL, exports and the console's own timings. The token lives in
// this tab's sessionStorage and only ever travels in the Authorization header.

const TOKEN_KEY = 'dashgate.token';

export function token() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
}

export function setToken(value) {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) { /* storage disabled: the token lasts for this page only */ }
}

/// Takes a `#token=…` fragment once and removes it from the address bar.
export function takeTokenFromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!m) return;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, '', window.location.pathname + window.location.search);
}

function headers() {
  const h = { 'content-type': 'application/json', accept: 'application/json' };
  const t = token();
  if (t) h.authorization = `Bearer ${t}`;
  return h;
}

/// A GraphQL request; resolves to `{ data, errors, extensions }` (errors of the transport
/// become one error with its code).
export async function graphql(query, variables) {
  let response;
  try {
    response = await fetch('/graphql', { method: 'POST', headers: headers(), body: JSON.stringify({ query, variables }) });
  } catch (e) {
    return { errors: [{ message: `the gateway cannot be reached (${e.message})`, extensions: { code: 'UNREACHABLE' } }] };
  }
  let body;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!body || (typeof body !== 'object')) {
    return { errors: [{ message: `HTTP ${response.status}`, extensions: { code: `HTTP_${response.status}` } }] };
  }
  if (body.error && !body.errors) {
    return { errors: [{ message: body.error.message || `HTTP ${response.status}`, extensions: { code: body.error.code } }] };
  }
  return body;
}

/// Downloads one panel through `POST /v1/export`.
export async function exportPanel(query, variables, path, format, withFilters) {
  const body = { query, variables, path, format };
  if (withFilters) body.includeFilters = true;
  const response = await fetch('/v1/export', { method: 'POST', headers: headers(), body: JSON.stringify(body) });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      const err = await response.json();
      const e = (err.errors && err.errors[0]) || err.error || {};
      message = `${(e.extensions && e.extensions.code) || e.code || response.status}: ${e.message || message}`;
    } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  const disposition = response.headers.get('content-disposition') || '';
  const name = (/filename="?([^";]+)"?/.exec(disposition) || [])[1] || `export.${format}`;
  save(await response.blob(), name);
}

export function save(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

/// Reports one of the console's own timings to `POST /v1/events` (the executive quality
/// gates read them); never fails the page.
export function reportTiming(name, durationMs, meta) {
  if (!token()) return;
  const strings = {};
  for (const [k, v] of Object.entries(meta || {})) strings[k] = String(v).slice(0, 200);
  const body = JSON.stringify({
    name, session_id: sessionId(), duration_ms: Math.max(0, Math.round(durationMs)), meta: strings,
  });
  fetch('/v1/events', { method: 'POST', headers: headers(), body, keepalive: true }).catch(() => {});
}

function sessionId() {
  const key = 'dashgate.session';
  try {
    let id = sessionStorage.getItem(key);
    if (!id) {
      id = `console-${crypto.getRandomValues(new Uint32Array(2)).join('')}`;
      sessionStorage.setItem(key, id);
    }
    return id;
  } catch (e) {
    return 'console';
  }
}
