// The REST client: bearer token in localStorage, JSON in and out, 401 sends to the login page.

const TOKEN_KEY = 'hub.token';

export const getToken = () => localStorage.getItem(TOKEN_KEY);
export const setToken = (t) => localStorage.setItem(TOKEN_KEY, t);
export const clearToken = () => localStorage.removeItem(TOKEN_KEY);

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function goToLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, v);
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

/** Call the API. opts: method, body (JSON), form (FormData), query. Returns parsed JSON or null. */
export async function api(path, opts = {}) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(withQuery(path, opts.query), { method: opts.method || 'GET', headers, body });
  } catch (err) {
    throw new ApiError(0, 'network', 'The hub cannot be reached; check your connection.');
  }
  if (res.status === 401 && !opts.noRedirect) {
    clearToken();
    goToLogin();
    throw new ApiError(401, 'unauthorized', 'Your session has ended; please sign in again.');
  }
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code, e.message || res.statusText, e.details);
  }
  return data;
}

/** Like api(), but an endpoint not (yet) served answers null instead of throwing. */
export async function optional(path, opts = {}) {
  try {
    return await api(path, opts);
  } catch (err) {
    if (err.status === 404 || err.status === 405 || err.status === 501) return null;
    throw err;
  }
}

const blobCache = new Map();

/** An object URL for a protected file (images cannot send the Authorization header). */
export function blobUrl(path) {
  if (!blobCache.has(path)) {
    const p = fetch(path, { headers: { Authorization: `Bearer ${getToken()}` } }).then((res) => {
      if (!res.ok) throw new ApiError(res.status, 'file', `file not available (${res.status})`);
      return res.blob();
    }).then((b) => URL.createObjectURL(b));
    p.catch(() => blobCache.delete(path));
    blobCache.set(path, p);
  }
  return blobCache.get(path);
}

/** Download a protected file under its name. */
export async function download(path, name) {
  const url = await blobUrl(path);
  const a = document.createElement('a');
  a.href = url;
  a.download = name || 'file';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** A readable sentence for an error. */
export function errorText(err) {
  if (err instanceof ApiError) {
    const fields = err.details && typeof err.details === 'object'
      ? Object.entries(err.details).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : (typeof v === 'object' ? JSON.stringify(v) : v)}`).join('; ')
      : '';
    return fields ? `${err.message} (${fields})` : err.message;
  }
  return String(err && err.message ? err.message : err);
}
