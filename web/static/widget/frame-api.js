// The visitor API client and the widget's storage (one token per widget, in this browser).
const widgetId = document.body.dataset.widgetId;
const params = new URLSearchParams(location.search);

export function hostOrigin() {
  // The page the frame is on: the browser's own word where it gives it, else the loader's.
  if (location.ancestorOrigins && location.ancestorOrigins.length) return location.ancestorOrigins[0];
  return params.get('host') || '';
}

export class WidgetError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status; this.code = error.code; this.details = error.details;
  }
}

export async function api(id, path, { method = 'GET', body, form, token } = {}) {
  const headers = { 'X-Widget-Host': hostOrigin() };
  if (token) headers['X-Widget-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/widget/api/${encodeURIComponent(id)}/${path}`, {
    method, headers, body: form || (body !== undefined ? JSON.stringify(body) : undefined),
    credentials: 'omit',
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new WidgetError(response.status, data);
  return data;
}

const prefix = `hub.widget.${widgetId}.`;
export const storage = {
  get: (k) => { try { return localStorage.getItem(prefix + k); } catch { return null; } },
  set: (k, v) => { try { localStorage.setItem(prefix + k, v); } catch { /* storage blocked */ } },
  remove: (k) => { try { localStorage.removeItem(prefix + k); } catch { /* storage blocked */ } },
};
