// Admin: website chat widgets — list, create, edit with a live preview, embed code, domains, stats.

import { api } from '../api.js';
import { bootPage, act, h, clear } from '../page.js';
import { toast } from '../dom.js';

const TYPES = ['floating', 'embedded', 'popup'];
const FIELD_TYPES = ['name', 'email', 'phone', 'text', 'textarea', 'select'];
// `fresh`: the secret of a widget just created, which the API returns in full only that once.
const state = { widgets: [], current: null, draft: null, stats: null, fresh: null };

bootPage(async (root) => {
  root.append(h('div', { class: 'widgets-admin' },
    h('nav', { class: 'card widgets-admin__list', 'aria-label': 'Widgets', id: 'widget-list' }),
    h('section', { class: 'card', id: 'widget-editor', 'aria-label': 'Widget settings' }),
    h('aside', { class: 'card widgets-admin__preview', 'aria-label': 'Live preview' },
      h('h2', { text: 'Live preview' }), h('div', { id: 'preview-slot' }))));
  await load();
});

async function load(selectId) {
  state.widgets = await api('/api/widgets');
  const wanted = selectId || (state.current && state.current.id);
  await select(state.widgets.find((w) => w.id === wanted) || state.widgets[0] || null);
}

async function select(widget) {
  state.current = widget;
  state.draft = widget ? structuredClone({ name: widget.name, type: widget.type, status: widget.status,
    settings: widget.settings, preChatFields: widget.preChatFields || [], allowLocalhost: Boolean(widget.allowLocalhost) }) : null;
  state.stats = null;
  render();
  if (widget) {
    state.stats = await api(`/api/widgets/${widget.id}/stats`).catch(() => null);
    renderStats();
  }
}

function render() { renderList(); renderEditor(); renderPreview(); }

function renderList() {
  const nav = clear(document.getElementById('widget-list'));
  nav.append(h('h2', { text: 'Widgets' }), h('ul', { class: 'widgets-admin__items' }, state.widgets.map((w) => h('li', {},
    h('button', { type: 'button', class: 'link-btn', 'aria-current': state.current && w.id === state.current.id ? 'true' : null,
      onclick: () => select(w), text: `${w.name} · ${w.type}${w.status === 'active' ? '' : ' (off)'}` })))));
  const form = h('form', { class: 'field', 'aria-label': 'Create a widget' },
    h('label', { for: 'w-new-name', text: 'New widget' }),
    h('input', { id: 'w-new-name', name: 'name', placeholder: 'Website chat', required: true, autocomplete: 'off' }),
    h('button', { type: 'submit', class: 'btn btn--primary', text: 'Create widget' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const w = await act(() => api('/api/widgets', { method: 'POST', body: { name: form.elements.name.value } }), 'Widget created');
    if (w) { state.fresh = { id: w.id, secret: w.secret }; await load(w.id); }
  });
  nav.append(form);
}

function control(label, id, el) {
  el.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), el);
}

function renderEditor() {
  const box = clear(document.getElementById('widget-editor'));
  const d = state.draft; const w = state.current;
  if (!d) { box.append(h('p', { class: 'muted', text: 'Create a widget to put a chat on your website.' })); return; }
  const bind = (path, value) => {
    let o = d; const keys = path.split('.');
    keys.slice(0, -1).forEach((k) => { o[k] = o[k] || {}; o = o[k]; });
    o[keys.at(-1)] = value;
    renderPreview();
  };
  const text = (path, value, attrs = {}) => h('input', { type: attrs.type || 'text', value: value ?? '', autocomplete: 'off',
    oninput: (e) => bind(path, e.target.value) });
  const choice = (path, value, options) => h('select', { class: 'select', onchange: (e) => bind(path, e.target.value) },
    options.map((o) => h('option', { value: o, text: o, selected: o === value ? true : null })));
  const s = d.settings; const colors = s.colors || {};
  const form = h('form', { 'aria-label': `Edit ${w.name}` },
    h('h2', { text: w.name }),
    h('div', { class: 'grid-form' },
      control('Name', 'w-name', text('name', d.name)),
      control('Type', 'w-type', choice('type', d.type, TYPES)),
      control('Status', 'w-status', choice('status', d.status, ['active', 'inactive'])),
      control('Theme', 'w-theme', choice('settings.theme', s.theme, ['light', 'dark', 'auto'])),
      control('Position', 'w-position', choice('settings.position', s.position, ['bottom-right', 'bottom-left'])),
      ['primary', 'background', 'text'].map((c) => control(`${c[0].toUpperCase()}${c.slice(1)} colour`, `w-color-${c}`,
        text(`settings.colors.${c}`, colors[c], { type: 'color' }))),
      control('Title', 'w-title', text('settings.title', s.title)),
      control('Greeting', 'w-greeting', text('settings.greeting', s.greeting)),
      control('Offline message', 'w-offline', text('settings.offlineMessage', s.offlineMessage))),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: d.allowLocalhost,
      onchange: (e) => { d.allowLocalhost = e.target.checked; } }), ' Allow localhost (development)'),
    h('h3', { text: 'Pre-chat form' }), preChatFields(d),
    h('div', { class: 'row-actions' },
      h('button', { type: 'submit', class: 'btn btn--primary', text: 'Save widget' }),
      h('button', { type: 'button', class: 'btn btn--danger', text: 'Delete widget', onclick: remove })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const saved = await act(() => api(`/api/widgets/${w.id}`, { method: 'PATCH', body: d }), 'Widget saved');
    if (saved) await load(saved.id);
  });
  box.append(form,
    h('h3', { text: 'Embed code' }),
    h('p', { class: 'muted', text: 'Paste this before </body> on the pages of your verified domains.' }),
    h('pre', { class: 'code code--block', id: 'embed-code', text: w.embedCode || '' }),
    secretBlock(w),
    domains(w), h('div', { id: 'widget-stats' }));
  renderStats();
}

function secretBlock(w) {
  const fresh = state.fresh && state.fresh.id === w.id ? state.fresh.secret : null;
  return h('div', {}, h('h3', { text: 'Identity verification secret' }),
    h('pre', { class: 'code code--block', id: 'widget-secret', text: fresh || w.secret || '' }),
    h('p', { class: 'muted', text: fresh ? 'Copy it now: it is shown in full only once.'
      : 'Shown in full only when the widget is created.' }),
    h('p', { class: 'muted', text: 'Host sites pass userId and userHash = HMAC-SHA256(secret, userId) in hex.' }));
}

function preChatFields(d) {
  const rows = d.preChatFields.map((f, i) => h('div', { class: 'prechat-row' },
    h('input', { value: f.label, 'aria-label': `Field ${i + 1} label`, oninput: (e) => { f.label = e.target.value; renderPreview(); } }),
    h('input', { value: f.key, 'aria-label': `Field ${i + 1} key`, oninput: (e) => { f.key = e.target.value; } }),
    h('select', { class: 'select', 'aria-label': `Field ${i + 1} type`, onchange: (e) => { f.type = e.target.value; } },
      FIELD_TYPES.map((t) => h('option', { value: t, text: t, selected: t === f.type ? true : null }))),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: Boolean(f.required),
      onchange: (e) => { f.required = e.target.checked; renderPreview(); } }), ' required'),
    h('button', { type: 'button', class: 'btn btn--small btn--danger', text: 'Remove', 'aria-label': `Remove field ${f.label}`,
      onclick: () => { d.preChatFields.splice(i, 1); renderEditor(); renderPreview(); } })));
  return h('div', { class: 'prechat-fields' }, rows,
    h('button', { type: 'button', class: 'btn btn--small', text: 'Add field', onclick: () => {
      d.preChatFields.push({ key: `field_${d.preChatFields.length + 1}`, label: 'Question', type: 'text', required: false });
      renderEditor(); renderPreview();
    } }));
}

function domains(w) {
  const input = h('input', { id: 'w-new-domain', placeholder: 'shop.example.com', autocomplete: 'off' });
  const call = async (path, method, body, ok) => { if (await act(() => api(path, { method, body }), ok) !== undefined) await load(w.id); };
  return h('div', { class: 'domains' }, h('h3', { text: 'Authorized domains' }),
    h('ul', { class: 'domains__list' }, (w.domains || []).map((d) => h('li', { dataset: { id: d.id } },
      h('strong', { text: d.domain }), ' ',
      h('span', { class: `pill pill--${d.verified ? 'active' : 'failed'}`, text: d.verified ? `verified (${d.method})` : 'not verified' }), ' ',
      h('button', { type: 'button', class: 'btn btn--small', text: 'Verify now', 'aria-label': `Verify ${d.domain}`,
        onclick: () => call(`/api/widgets/${w.id}/domains/${d.id}/verify`, 'POST', undefined, null) }), ' ',
      h('button', { type: 'button', class: 'btn btn--small btn--danger', text: 'Remove', 'aria-label': `Remove ${d.domain}`,
        onclick: () => call(`/api/widgets/${w.id}/domains/${d.id}`, 'DELETE', undefined, 'Domain removed') }),
      d.verified || !d.instructions ? null : h('pre', { class: 'code code--block',
        text: `TXT ${d.instructions.dns.name} = "${d.instructions.dns.value}"\nor serve ${d.instructions.file.url} containing ${d.instructions.file.content}` }),
      d.lastError ? h('p', { class: 'form-error', text: d.lastError }) : null))),
    h('div', { class: 'field' }, h('label', { for: 'w-new-domain', text: 'Add a domain' }),
      h('div', { class: 'row-actions' }, input, h('button', { type: 'button', class: 'btn btn--primary', text: 'Add domain',
        onclick: () => (input.value.trim() ? call(`/api/widgets/${w.id}/domains`, 'POST', { domain: input.value.trim() }, 'Domain added') : toast('Type a domain first', 'error')) }))));
}

function renderStats() {
  const box = document.getElementById('widget-stats');
  if (!box) return;
  clear(box).append(h('h3', { text: 'Last 30 days' }));
  const s = state.stats;
  if (!s) { box.append(h('p', { class: 'muted', text: 'Loading stats…' })); return; }
  const keys = ['loads', 'conversations', 'messages', 'refused'];
  box.append(h('div', { class: 'stats' }, keys.map((k) => h('div', { class: 'stat', dataset: { key: k } },
    h('div', { class: 'stat__value', text: String((s.totals || {})[k] ?? 0) }), h('div', { class: 'stat__label', text: k })))));
}

function renderPreview() {
  const slot = clear(document.getElementById('preview-slot'));
  const d = state.draft;
  if (!d) return;
  const s = d.settings; const colors = s.colors || {};
  const side = s.position === 'bottom-left' ? 'left' : 'right';
  const dark = s.theme === 'dark';
  const header = h('div', { class: 'pv-header', text: s.title || '' });
  header.style.background = colors.primary;
  const panel = h('div', { class: `pv-panel${d.type === 'embedded' ? ' pv-panel--embedded' : ''}` }, header,
    h('div', { class: 'pv-body' }, h('div', { text: s.greeting || '' }),
      d.preChatFields.map((f) => h('div', { class: 'pv-field', text: f.label + (f.required ? ' *' : '') })),
      h('div', { class: 'pv-button', text: 'Start chat' })));
  panel.style.background = dark ? '#111827' : colors.background;
  panel.style.color = dark ? '#f3f4f6' : colors.text;
  panel.lastChild.lastChild.style.background = colors.primary;
  if (d.type !== 'embedded') panel.style[side] = '16px';
  const stage = h('div', { class: 'preview-stage', id: 'preview', dataset: { type: d.type, position: s.position } }, panel);
  if (d.type !== 'embedded') {
    const launcher = h('div', { class: 'pv-launcher', 'aria-hidden': 'true', text: '…' });
    launcher.style.background = colors.primary;
    launcher.style[side] = '16px';
    stage.append(launcher);
  }
  slot.append(stage);
}

async function remove() {
  if (!confirm('Delete this widget? Its conversations stay in the inbox.')) return;
  if (await act(() => api(`/api/widgets/${state.current.id}`, { method: 'DELETE' }), 'Widget deleted') !== undefined) {
    state.current = null;
    await load();
  }
}
