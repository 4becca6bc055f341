// Boot for the admin and dashboard pages: session, header, then the page's own renderer.

import { loadSession, isAdmin } from './session.js';
import { initHeader } from './header.js';
import { h, clear, $, toast } from './dom.js';
import { errorText } from './api.js';
import { startLive } from './live.js';

/** Run `render(root)` once signed in; `adminOnly` pages tell other roles they cannot see them. */
export async function bootPage(render, { adminOnly = true } = {}) {
  try {
    await loadSession();
  } catch (err) {
    return;
  }
  await initHeader();
  startLive(() => {});
  const root = $('#page-root');
  if (adminOnly && !isAdmin()) {
    root.appendChild(h('p', { class: 'muted', text: 'Only administrators can see this page.' }));
    return;
  }
  try {
    await render(root);
  } catch (err) {
    root.appendChild(h('p', { class: 'form-error', role: 'alert', text: errorText(err) }));
  }
  document.body.dataset.ready = 'true';
}

/** A table from rows and column specs [{label, value: row => text|Node}]. */
export function table(rows, columns, empty = 'Nothing here.') {
  if (!rows.length) return h('p', { class: 'muted', text: empty });
  return h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c.label })))),
    h('tbody', {}, rows.map((r) => h('tr', { dataset: { id: r.id || '' } },
      columns.map((c) => {
        const v = c.value(r);
        return h('td', { class: c.wrap ? 'wrap' : null }, v instanceof Node ? v : (v === null || v === undefined ? '' : String(v)));
      })))));
}

/** A labelled input for forms. */
export function input(label, name, attrs = {}) {
  const id = `in-${name}`;
  const control = attrs.options
    ? h('select', { id, name, class: 'select' }, attrs.options.map(([v, t]) => h('option', { value: v, text: t, selected: v === attrs.value ? true : null })))
    : h('input', { id, name, type: attrs.type || 'text', value: attrs.value ?? '', required: attrs.required ? true : null, placeholder: attrs.placeholder || null, autocomplete: 'off' });
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
}

/** Re-render a section after an action, reporting errors as toasts. */
export async function act(fn, okText) {
  try {
    const out = await fn();
    if (okText) toast(okText);
    return out;
  } catch (err) {
    toast(errorText(err), 'error');
    return undefined;
  }
}

export { h, clear, $ };
