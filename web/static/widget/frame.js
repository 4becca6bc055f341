// The widget's UI inside its iframe: pre-chat form, thread, composer, live socket.
// Every text a visitor or agent wrote is set with textContent, never as HTML.
import { api, hostOrigin, storage } from './frame-api.js';
import { el, formatTime } from './frame-dom.js';

const widgetId = document.body.dataset.widgetId;
const params = new URLSearchParams(location.search);
const state = {
  config: null, token: storage.get('token'), visitorId: null, messages: new Map(),
  open: false, typingTimer: null, agentTyping: false, socket: null, retry: 0,
  identity: null, pendingFiles: [], error: null,
};
const root = document.getElementById('root');
const embedded = () => state.config && state.config.type === 'embedded';

function post(type) { if (window.parent !== window) window.parent.postMessage({ type }, hostOrigin()); }

function applyTheme(settings) {
  const s = document.documentElement.style;
  s.setProperty('--primary', settings.colors.primary);
  s.setProperty('--bg', settings.colors.background);
  s.setProperty('--fg', settings.colors.text);
  document.documentElement.dataset.theme = settings.theme;
  document.documentElement.dataset.position = settings.position;
}

function setOpen(open) {
  state.open = open || embedded();
  post(state.open ? 'hub-widget:open' : 'hub-widget:close');
  render();
  if (state.open) markRead();
}

// The panel is built once per view (launcher, form, thread). While the thread stays on screen,
// events only refresh its parts: rebuilding the composer under a visitor's fingers would drop the
// keys typed between the old box leaving the page and the new one taking the focus.
const thread = { list: null, typing: null, error: null, pending: null };

function viewKey() {
  if (state.error && !state.config) return 'fatal';
  if (!state.config) return 'none';
  if (!state.open) return 'launcher';
  return state.token ? 'thread' : 'form';
}

function render() {
  const key = viewKey();
  if (key === 'thread' && thread.list && root.contains(thread.list)) { refreshThread(); return; }
  const active = document.activeElement;
  state.composerFocused = !active || active === document.body || (active.name === 'text' && active.closest('.composer'));
  root.replaceChildren();
  thread.list = null;
  if (key === 'fatal') { root.append(el('div', { class: 'fatal' }, state.error)); return; }
  if (key === 'none') return;
  if (key === 'launcher') {
    root.append(el('button', { class: 'launcher', 'aria-label': 'Open chat', onclick: () => setOpen(true) },
      el('span', { class: 'launcher-icon', 'aria-hidden': 'true' })));
    return;
  }
  const s = state.config.settings;
  const header = el('header', { class: 'header' }, el('div', { class: 'title' }, s.title));
  if (!embedded()) header.append(el('button', { class: 'close', 'aria-label': 'Close chat', onclick: () => setOpen(false) }, '×'));
  const panel = el('section', { class: 'panel', role: 'dialog', 'aria-label': s.title }, header);
  // Nobody online: say so, but keep the form and composer; an agent answers later.
  if (state.config.online === false && state.config.offlineMessage) panel.append(el('p', { class: 'offline', role: 'status' }, state.config.offlineMessage));
  const error = el('div', { class: 'error', role: 'alert', hidden: !state.error }, state.error || '');
  panel.append(error);
  if (key === 'form') panel.append(formView());
  else { thread.error = error; panel.append(threadView()); }
  root.append(panel);
  if (key === 'thread') refreshThread();
}

function refreshThread() {
  thread.error.hidden = !state.error;
  thread.error.textContent = state.error || '';
  const list = thread.list;
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren();
  if (state.messages.size === 0) list.append(el('li', { class: 'system' }, state.config.settings.greeting));
  for (const m of sortedMessages()) list.append(messageView(m));
  thread.typing.hidden = !state.agentTyping;
  thread.pending.hidden = !state.pendingFiles.length;
  thread.pending.textContent = state.pendingFiles.map((f) => f.name).join(', ');
  // Follow new messages unless the visitor scrolled up to read older ones.
  if (stick || !list.dataset.shown) { list.scrollTop = list.scrollHeight; list.dataset.shown = '1'; }
}

function formView() {
  const s = state.config.settings;
  const form = el('form', { class: 'prechat', novalidate: true, onsubmit: startSession });
  form.append(el('p', { class: 'greeting' }, s.greeting));
  for (const f of state.config.preChatFields) {
    const id = `f-${f.key}`;
    const attrs = { id, name: f.key, required: !!f.required, placeholder: f.placeholder || '' };
    let input;
    if (f.type === 'textarea') input = el('textarea', attrs);
    else if (f.type === 'select') input = el('select', attrs, el('option', { value: '' }, '—'), ...(f.options || []).map((o) => el('option', { value: o }, o)));
    else input = el('input', { ...attrs, type: { email: 'email', phone: 'tel' }[f.type] || 'text', autocomplete: { name: 'name', email: 'email', phone: 'tel' }[f.type] || 'off' });
    form.append(el('label', { for: id }, f.label + (f.required ? ' *' : '')), input, el('div', { class: 'field-error', 'data-for': f.key }));
  }
  form.append(el('button', { type: 'submit', class: 'primary' }, 'Start chat'));
  return form;
}

async function startSession(event) {
  event.preventDefault();
  const form = event.target;
  const answers = Object.fromEntries(new FormData(form).entries());
  form.querySelectorAll('.field-error').forEach((n) => { n.textContent = ''; });
  try {
    const body = { form: answers, previousToken: storage.get('token') || undefined };
    if (state.identity) Object.assign(body, state.identity);
    const data = await api(widgetId, 'session', { method: 'POST', body });
    state.token = data.token; state.visitorId = data.visitorId; state.error = null;
    storage.set('token', data.token);
    mergeMessages(data.messages);
    connect();
    render();
  } catch (err) {
    if (err.details) {
      for (const [key, text] of Object.entries(err.details)) {
        const slot = form.querySelector(`.field-error[data-for="${CSS.escape(key)}"]`);
        if (slot) slot.textContent = String(text);
      }
    } else { state.error = err.message; render(); }
  }
}

function threadView() {
  const wrap = el('div', { class: 'thread' });
  thread.list = el('ol', { class: 'messages', 'aria-live': 'polite' });
  thread.typing = el('div', { class: 'typing', hidden: true }, 'Agent is typing…');
  wrap.append(thread.list, thread.typing, composer());
  return wrap;
}

function sortedMessages() {
  return [...state.messages.values()].sort((a, b) => (a.timestamp || '').localeCompare(b.timestamp || ''));
}

function messageView(m) {
  const li = el('li', { class: `msg ${m.from}`, 'data-id': m.id || m.clientMessageId });
  if (m.senderName && m.from === 'agent') li.append(el('div', { class: 'who' }, m.senderName));
  if (m.text) li.append(el('div', { class: 'text' }, m.text));
  for (const a of m.attachments || []) {
    const link = el('a', { href: a.url, target: '_blank', rel: 'noopener', class: 'file' });
    if (a.thumbnailUrl) link.append(el('img', { src: a.thumbnailUrl, alt: a.name }));
    else link.append(document.createTextNode(a.name));
    li.append(link);
  }
  const status = m.from === 'visitor' ? ({ sending: 'Sending…', failed: 'Not sent', sent: 'Sent', delivered: 'Sent', read: 'Seen' }[m.status] || '') : '';
  li.append(el('div', { class: 'meta' }, [formatTime(m.timestamp), status].filter(Boolean).join(' · ')));
  if (m.status === 'failed') li.append(el('button', { class: 'retry', onclick: () => sendMessage(m) }, 'Retry'));
  return li;
}

function composer() {
  const form = el('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); submitText(form); } });
  const text = el('textarea', { name: 'text', rows: 1, placeholder: 'Write a message…', 'aria-label': 'Message',
    onkeydown: (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); submitText(form); } },
    oninput: () => { state.draftText = text.value; typing(true); } });
  // The box outlives re-renders, but not closing the panel: keep the draft for the next opening.
  text.value = state.draftText || '';
  form.append(text);
  if (state.config.fileSharing) {
    const file = el('input', { type: 'file', name: 'file', class: 'file-input', 'aria-label': 'Attach a file', onchange: () => uploadFile(file) });
    form.append(el('label', { class: 'attach', title: 'Attach a file' }, '+', file));
  }
  thread.pending = el('div', { class: 'pending', hidden: true });
  form.append(thread.pending);
  form.append(el('button', { type: 'submit', class: 'send', 'aria-label': 'Send' }, 'Send'));
  if (state.composerFocused !== false) setTimeout(() => text.focus(), 0);
  return form;
}

async function uploadFile(input) {
  if (!input.files.length) return;
  const data = new FormData();
  data.append('file', input.files[0]);
  try {
    const a = await api(widgetId, 'attachments', { method: 'POST', form: data, token: state.token });
    state.pendingFiles.push(a);
  } catch (err) { state.error = err.message; }
  input.value = '';
  render();
}

function submitText(form) {
  const text = form.elements.text.value.trim();
  if (!text && !state.pendingFiles.length) return;
  state.draftText = '';
  form.elements.text.value = '';
  const m = { clientMessageId: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2),
    from: 'visitor', text, timestamp: new Date().toISOString(), status: 'sending',
    attachmentIds: state.pendingFiles.map((f) => f.id), attachments: [] };
  state.pendingFiles = [];
  state.messages.set(m.clientMessageId, m);
  typing(false);
  sendMessage(m);
}

async function sendMessage(m) {
  m.status = 'sending'; render();
  try {
    await api(widgetId, 'messages', { method: 'POST', token: state.token,
      body: { clientMessageId: m.clientMessageId, text: m.text, attachmentIds: m.attachmentIds } });
    m.status = 'sent'; state.error = null;
  } catch (err) {
    m.status = 'failed'; state.error = err.message;
    if (err.status === 401) resetSession();
  }
  render();
}

function typing(on) {
  if (!state.socket || state.socket.readyState !== 1) return;
  clearTimeout(state.typingTimer);
  if (on && !state.sentTyping) { state.socket.send(JSON.stringify({ type: 'typing', typing: true })); state.sentTyping = true; }
  state.typingTimer = setTimeout(() => {
    if (state.sentTyping && state.socket && state.socket.readyState === 1) state.socket.send(JSON.stringify({ type: 'typing', typing: false }));
    state.sentTyping = false;
  }, on ? 3000 : 0);
}

function mergeMessages(list) {
  for (const m of list || []) {
    if (m.clientMessageId && state.messages.has(m.clientMessageId)) state.messages.delete(m.clientMessageId);
    state.messages.set(m.id, m);
  }
}

async function loadThread() {
  try {
    const data = await api(widgetId, 'messages', { token: state.token });
    state.visitorId = data.visitorId;
    mergeMessages(data.messages);
    ack(); render(); markRead();
  } catch (err) { if (err.status === 401) resetSession(); else { state.error = err.message; render(); } }
}

function ack() {
  const ids = sortedMessages().filter((m) => m.from === 'agent' && ['queued', 'sending', 'sent'].includes(m.status)).map((m) => m.id);
  if (ids.length && state.socket && state.socket.readyState === 1) state.socket.send(JSON.stringify({ type: 'ack', ids }));
}

function markRead() {
  if (!state.open || document.visibilityState !== 'visible' || !state.socket || state.socket.readyState !== 1) return;
  const ids = sortedMessages().filter((m) => m.from === 'agent' && m.status !== 'read').map((m) => m.id);
  if (ids.length) state.socket.send(JSON.stringify({ type: 'read', ids }));
}

function resetSession() {
  storage.remove('token'); state.token = null; state.messages.clear();
  if (state.socket) state.socket.close();
  render();
}

function connect() {
  if (!state.token) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const q = new URLSearchParams({ token: state.token, host: hostOrigin() });
  const socket = new WebSocket(`${scheme}://${location.host}/widget/ws/${widgetId}?${q}`);
  state.socket = socket;
  socket.onmessage = (event) => {
    let frame; try { frame = JSON.parse(event.data); } catch { return; }
    if (frame.type === 'hello') { state.retry = 0; loadThread(); }
    else if (frame.type === 'message' && frame.message) {
      mergeMessages([frame.message]); state.agentTyping = false;
      socket.send(JSON.stringify({ type: 'ack', ids: [frame.message.id] }));
      render(); markRead();
    } else if (frame.type === 'typing') { state.agentTyping = !!frame.typing; render(); }
    else if (frame.type === 'status') {
      for (const id of frame.ids || []) { const m = state.messages.get(id); if (m) m.status = frame.status; }
      render();
    } else if (frame.type === 'error') { state.error = frame.message; render(); }
  };
  socket.onclose = () => {
    if (state.socket !== socket || !state.token) return;
    // Reconnect with a growing delay; the thread reloads after the next hello.
    const delay = Math.min(30000, 1000 * 2 ** state.retry++);
    setTimeout(connect, delay);
  };
}

document.addEventListener('visibilitychange', markRead);
window.addEventListener('message', (event) => {
  if (event.source !== window.parent || event.origin !== hostOrigin()) return;
  const data = event.data || {};
  if (data.type === 'hub-widget:layout') document.documentElement.dataset.layout = data.layout === 'full' ? 'full' : 'float';
  if (data.type === 'hub-widget:identity') {
    if (data.user && data.user.userId) state.identity = { userId: String(data.user.userId), userHash: String(data.user.userHash || '') };
    if (state.config && state.config.type === 'popup' && !sessionStorage.getItem('hub-popup-shown')) {
      sessionStorage.setItem('hub-popup-shown', '1');
      setTimeout(() => setOpen(true), 1000 * (data.popupDelaySeconds ?? 5));
    }
  }
});

async function boot() {
  try {
    state.config = await api(widgetId, 'config');
  } catch (err) {
    state.error = err.message; render(); return;
  }
  applyTheme(state.config.settings);
  state.open = embedded() || params.get('open') === '1';
  render();
  post('hub-widget:ready');
  if (state.open) post('hub-widget:open');
  if (state.token) connect();
}

boot();
