// Widgets admin: list, create, edit (with a live preview), embed code, domains, stats.
// Everything typed by people is rendered with textContent (see el()).
import { el } from './frame-dom.js';

const TOKEN_KEY = 'hub.token';
const app = document.getElementById('app');
const state = { widgets: [], current: null, draft: null, stats: null, message: '', error: '' };

async function api(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${localStorage.getItem(TOKEN_KEY) || ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (r.status === 401) { localStorage.removeItem(TOKEN_KEY); renderLogin(); throw new Error('log in again'); }
  if (!r.ok) {
    const e = (data && data.error) || {};
    throw new Error(e.details ? `${e.message}: ${JSON.stringify(e.details)}` : e.message || `HTTP ${r.status}`);
  }
  return data;
}

function renderLogin() {
  const form = el('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const r = await fetch('/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: f.get('email'), password: f.get('password') }) });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { form.querySelector('.error').textContent = (data.error && data.error.message) || 'login failed'; return; }
    localStorage.setItem(TOKEN_KEY, data.accessToken);
    load();
  } },
  el('h2', {}, 'Log in'), el('label', { for: 'email' }, 'Email'), el('input', { id: 'email', name: 'email', type: 'email', required: true }),
  el('label', { for: 'password' }, 'Password'), el('input', { id: 'password', name: 'password', type: 'password', required: true }),
  el('p', {}, el('button', { class: 'primary', type: 'submit' }, 'Log in')), el('div', { class: 'error' }));
  app.replaceChildren(form);
}

async function load(selectId) {
  if (!localStorage.getItem(TOKEN_KEY)) { renderLogin(); return; }
  try { state.widgets = await api('/widgets'); } catch (e) { state.error = e.message; }
  const pick = state.widgets.find((w) => w.id === (selectId || (state.current && state.current.id))) || state.widgets[0] || null;
  select(pick);
}

async function select(widget) {
  state.current = widget;
  state.draft = widget ? structuredClone({ name: widget.name, type: widget.type, status: widget.status,
    settings: widget.settings, preChatFields: widget.preChatFields, allowLocalhost: widget.allowLocalhost }) : null;
  state.stats = null;
  render();
  if (widget) { try { state.stats = await api(`/widgets/${widget.id}/stats`); render(); } catch { /* stats are optional */ } }
}

function render() {
  const list = el('nav', { class: 'card list' }, el('h3', {}, 'Widgets'),
    ...state.widgets.map((w) => el('button', { class: state.current && w.id === state.current.id ? 'active' : '', onclick: () => select(w) }, `${w.name} · ${w.type}${w.status === 'active' ? '' : ' (off)'}`)),
    el('form', { onsubmit: create }, el('label', { for: 'new-name' }, 'New widget'), el('input', { id: 'new-name', name: 'name', placeholder: 'Website chat', required: true }),
      el('p', {}, el('button', { class: 'primary', type: 'submit' }, 'Create'))));
  const status = el('div', {}, state.error ? el('p', { class: 'error', role: 'alert' }, state.error) : null, state.message ? el('p', { class: 'ok' }, state.message) : null);
  app.replaceChildren(list, el('section', { class: 'card' }, status, state.current ? editor() : el('p', {}, 'Create a widget to start.')),
    el('aside', { class: 'card' }, el('h3', {}, 'Live preview'), preview()));
}

function field(label, input) { return [el('label', { for: input.id }, label), input]; }

function editor() {
  const d = state.draft, w = state.current;
  const bind = (path, value) => { let o = d; const keys = path.split('.'); keys.slice(0, -1).forEach((k) => { o = o[k]; }); o[keys.at(-1)] = value; renderPreviewOnly(); };
  const input = (id, path, value, attrs = {}) => el('input', { id, value: value ?? '', ...attrs, oninput: (e) => bind(path, attrs.type === 'checkbox' ? e.target.checked : e.target.value) });
  const select = (id, path, value, options) => el('select', { id, onchange: (e) => bind(path, e.target.value) }, ...options.map((o) => el('option', { value: o, selected: o === value }, o)));
  const fields = el('div', {}, ...d.preChatFields.map((f, i) => el('div', { class: 'row' },
    el('input', { value: f.label, 'aria-label': 'Label', oninput: (e) => { f.label = e.target.value; renderPreviewOnly(); } }),
    el('input', { value: f.key, 'aria-label': 'Key', oninput: (e) => { f.key = e.target.value; } }),
    el('select', { 'aria-label': 'Type', onchange: (e) => { f.type = e.target.value; } }, ...['name', 'email', 'phone', 'text', 'textarea', 'select'].map((t) => el('option', { value: t, selected: t === f.type }, t))),
    el('label', { class: 'row' }, el('input', { type: 'checkbox', checked: !!f.required, onchange: (e) => { f.required = e.target.checked; renderPreviewOnly(); } }), 'required'),
    el('button', { type: 'button', class: 'danger small', onclick: () => { d.preChatFields.splice(i, 1); render(); } }, '×'))));
  return el('form', { onsubmit: save },
    el('h3', {}, w.name),
    ...field('Name', input('name', 'name', d.name)),
    el('div', { class: 'row' }, el('div', {}, ...field('Type', select('type', 'type', d.type, ['floating', 'embedded', 'popup']))),
      el('div', {}, ...field('Status', select('status', 'status', d.status, ['active', 'inactive']))),
      el('div', {}, ...field('Theme', select('theme', 'settings.theme', d.settings.theme, ['light', 'dark', 'auto']))),
      el('div', {}, ...field('Position', select('position', 'settings.position', d.settings.position, ['bottom-right', 'bottom-left'])))),
    el('div', { class: 'row' }, ...['primary', 'background', 'text'].map((c) => el('div', {}, ...field(`${c} colour`, input(`color-${c}`, `settings.colors.${c}`, d.settings.colors[c], { type: 'color' }))))),
    ...field('Title', input('title', 'settings.title', d.settings.title)),
    ...field('Greeting', input('greeting', 'settings.greeting', d.settings.greeting)),
    ...field('Offline message', input('offline', 'settings.offlineMessage', d.settings.offlineMessage)),
    el('label', { class: 'row' }, input('localhost', 'allowLocalhost', undefined, { type: 'checkbox', checked: d.allowLocalhost }), 'Allow localhost (development)'),
    el('h4', {}, 'Pre-chat form'), fields,
    el('button', { type: 'button', class: 'small', onclick: () => { d.preChatFields.push({ key: `field_${d.preChatFields.length + 1}`, label: 'Question', type: 'text', required: false }); render(); } }, 'Add field'),
    el('p', { class: 'row' }, el('button', { class: 'primary', type: 'submit' }, 'Save'),
      el('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete widget')),
    el('h4', {}, 'Embed code'), el('code', {}, w.embedCode),
    el('h4', {}, 'Identity verification secret'), el('code', {}, w.secret),
    el('p', {}, 'Host sites pass userId and userHash = HMAC-SHA256(secret, userId) in hex.'),
    domains(), stats());
}

function domains() {
  const w = state.current;
  return el('div', {}, el('h4', {}, 'Authorized domains'),
    el('ul', { class: 'domains' }, ...w.domains.map((d) => el('li', {},
      el('strong', {}, d.domain), ' ', d.verified ? el('span', { class: 'ok' }, `verified (${d.method})`) : el('span', { class: 'error' }, 'not verified'),
      ' ', el('button', { type: 'button', class: 'small', onclick: () => act(`/widgets/${w.id}/domains/${d.id}/verify`, 'POST') }, 'Verify now'),
      ' ', el('button', { type: 'button', class: 'danger small', onclick: () => act(`/widgets/${w.id}/domains/${d.id}`, 'DELETE') }, 'Remove'),
      d.verified ? null : el('pre', {}, `TXT ${d.instructions.dns.name} = "${d.instructions.dns.value}"\nor serve ${d.instructions.file.url} containing ${d.instructions.file.content}`),
      d.lastError ? el('div', { class: 'error' }, d.lastError) : null))),
    el('div', { class: 'row' }, el('input', { id: 'new-domain', placeholder: 'shop.example.com', 'aria-label': 'Domain' }),
      el('button', { type: 'button', class: 'primary', onclick: () => act(`/widgets/${w.id}/domains`, 'POST', { domain: document.getElementById('new-domain').value }) }, 'Add domain')));
}

function stats() {
  const s = state.stats;
  if (!s) return el('p', {}, 'Loading stats…');
  return el('div', {}, el('h4', {}, 'Last 30 days'),
    el('table', { class: 'stats' }, el('tr', {}, ...['loads', 'conversations', 'messages', 'refused'].map((k) => el('th', {}, k))),
      el('tr', {}, ...['loads', 'conversations', 'messages', 'refused'].map((k) => el('td', {}, String(s.totals[k]))))));
}

function preview() {
  const d = state.draft;
  if (!d) return el('div');
  const s = d.settings, side = s.position === 'bottom-left' ? 'left' : 'right';
  const dark = s.theme === 'dark';
  const panel = el('div', { class: `pv-panel ${d.type === 'embedded' ? 'embedded' : ''}` },
    el('div', { class: 'pv-header' }, s.title),
    el('div', { class: 'pv-body' }, el('div', {}, s.greeting), ...d.preChatFields.map((f) => el('div', { class: 'pv-field' }, f.label + (f.required ? ' *' : '')))));
  panel.style.background = dark ? '#111827' : s.colors.background;
  panel.style.color = dark ? '#f3f4f6' : s.colors.text;
  panel.style[side] = '16px';
  panel.firstChild.style.background = s.colors.primary;
  const stage = el('div', { class: 'preview-stage', id: 'preview' }, panel);
  if (d.type !== 'embedded') {
    const launcher = el('div', { class: 'pv-launcher', 'aria-hidden': 'true' }, '…');
    launcher.style.background = s.colors.primary; launcher.style[side] = '16px';
    stage.append(launcher);
  }
  return stage;
}

function renderPreviewOnly() { const old = document.getElementById('preview'); if (old) old.replaceWith(preview()); }

async function create(e) {
  e.preventDefault();
  const name = new FormData(e.target).get('name');
  try {
    const w = await api('/widgets', { method: 'POST', body: { name } });
    state.message = `Created. Secret (shown once): ${w.secret}`; state.error = '';
    await load(w.id);
  } catch (err) { state.error = err.message; render(); }
}

async function save(e) {
  e.preventDefault();
  try {
    const w = await api(`/widgets/${state.current.id}`, { method: 'PATCH', body: state.draft });
    state.message = 'Saved.'; state.error = ''; await load(w.id);
  } catch (err) { state.error = err.message; render(); }
}

async function remove() {
  if (!confirm('Delete this widget? Its conversations stay in the inbox.')) return;
  try { await api(`/widgets/${state.current.id}`, { method: 'DELETE' }); state.current = null; state.message = 'Deleted.'; await load(); } catch (err) { state.error = err.message; render(); }
}

async function act(path, method, body) {
  try { await api(path, { method, body }); state.error = ''; state.message = ''; await load(state.current.id); } catch (err) { state.error = err.message; render(); }
}

load();
