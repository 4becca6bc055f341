// The composer: text, files (multipart attachments[n]), /shortcut canned responses,
// private notes, replies, typing notifications.

import { api, errorText } from './api.js';
import { h, clear, $, humanSize, debounce } from './dom.js';
import { store, addCreatedMessage, upsertConversation } from './store.js';
import { listOf } from './session.js';

const TYPING_EVERY_MS = 3000;
let files = [];
let replyTo = null;
let lastTypingAt = 0;
let canned = [];
let cannedIndex = -1;

export function initComposer() {
  const form = $('#composer');
  const input = $('#composer-input');
  form.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  input.addEventListener('keydown', onKey);
  input.addEventListener('input', () => {
    autosize();
    typing();
    lookupCanned();
  });
  $('#file-input').addEventListener('change', (e) => {
    files = files.concat([...e.target.files]);
    e.target.value = '';
    renderFiles();
  });
  $('#reply-cancel').addEventListener('click', () => setReplyTo(null));
  $('#private-toggle').addEventListener('change', () => {
    form.classList.toggle('is-private', $('#private-toggle').checked);
    input.placeholder = $('#private-toggle').checked ? 'Private note, only agents see it' : 'Type a reply, / for canned responses';
  });
}

export function setReplyTo(m) {
  replyTo = m;
  $('#reply-preview').hidden = !m;
  $('#reply-text').textContent = m ? `Replying to: ${m.content || 'attachment'}` : '';
  if (m) $('#composer-input').focus();
}

/** Enable or disable replying (closed conversations cannot be answered until reopened). */
export function setConversationOpen(open) {
  const input = $('#composer-input');
  input.disabled = !open;
  $('#send-button').disabled = !open;
  input.placeholder = open ? 'Type a reply, / for canned responses' : 'This conversation is closed. Reopen it to reply.';
}

function autosize() {
  const input = $('#composer-input');
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 180)}px`;
}

function onKey(e) {
  const list = $('#canned-list');
  if (!list.hidden && canned.length) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      cannedIndex = (cannedIndex + (e.key === 'ArrowDown' ? 1 : -1) + canned.length) % canned.length;
      renderCanned();
      return;
    }
    if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      pickCanned(canned[Math.max(cannedIndex, 0)]);
      return;
    }
    if (e.key === 'Escape') { hideCanned(); return; }
  }
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
}

function typing() {
  const now = Date.now();
  if (!store.currentId || now - lastTypingAt < TYPING_EVERY_MS || $('#private-toggle').checked) return;
  lastTypingAt = now;
  api(`/api/chat/sessions/${encodeURIComponent(store.currentId)}/typing`, { method: 'POST', body: { isTyping: true } })
    .catch(() => {});
}

const lookupCanned = debounce(async () => {
  const value = $('#composer-input').value;
  const m = /^\/(\S*)$/.exec(value);
  if (!m) { hideCanned(); return; }
  try {
    const data = await api('/api/canned-responses', { query: { q: m[1] } });
    if ($('#composer-input').value !== value) return;
    canned = listOf(data, 'cannedResponses').slice(0, 8); // the API answers a plain list
    cannedIndex = canned.length ? 0 : -1;
    renderCanned();
  } catch (err) {
    hideCanned();
  }
}, 150);

function renderCanned() {
  const list = clear($('#canned-list'));
  list.hidden = canned.length === 0;
  $('#composer-input').setAttribute('aria-expanded', String(!list.hidden));
  canned.forEach((c, i) => {
    list.appendChild(h('li', {
      role: 'option', id: `canned-${i}`, 'aria-selected': String(i === cannedIndex),
      class: i === cannedIndex ? 'is-active' : '',
      onmousedown: (e) => { e.preventDefault(); pickCanned(c); },
    }, h('strong', { text: `/${c.shortcut}` }), h('span', { text: ` ${c.title || ''} — ${c.content}` })));
  });
}

function hideCanned() {
  canned = [];
  cannedIndex = -1;
  $('#canned-list').hidden = true;
  $('#composer-input').setAttribute('aria-expanded', 'false');
}

function pickCanned(c) {
  if (!c) return;
  const input = $('#composer-input');
  input.value = c.content;
  hideCanned();
  autosize();
  input.focus();
}

function renderFiles() {
  const list = clear($('#composer-files'));
  files.forEach((f, i) => {
    list.appendChild(h('li', { class: 'chip' },
      h('span', { text: `${f.name} (${humanSize(f.size)})` }),
      h('button', {
        type: 'button', class: 'chip__x', text: '×', 'aria-label': `Remove ${f.name}`,
        onclick: () => { files.splice(i, 1); renderFiles(); },
      })));
  });
}

/** The idempotency key of one send: a retried POST adds no second message. */
export function newClientId() {
  return (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).replace(/-/g, '');
}

async function send() {
  const id = store.currentId;
  const input = $('#composer-input');
  const content = input.value.trim();
  if (!id || (!content && !files.length) || input.disabled) return;
  const isPrivate = $('#private-toggle').checked;
  const err = $('#composer-error');
  err.hidden = true;
  const button = $('#send-button');
  button.disabled = true;
  const fields = { content, isPrivate, clientMessageId: newClientId() };
  if (replyTo) fields.replyTo = replyTo.id;
  let opts;
  if (files.length) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
    files.forEach((f, i) => form.append(`attachments[${i}]`, f, f.name));
    opts = { method: 'POST', form };
  } else {
    opts = { method: 'POST', body: fields };
  }
  try {
    const m = await api(`/api/chat/sessions/${encodeURIComponent(id)}/messages`, opts);
    input.value = '';
    files = [];
    renderFiles();
    setReplyTo(null);
    autosize();
    if (m && m.id) {
      addCreatedMessage({ conversationId: id, ...m });
      const c = store.conversations.get(id);
      if (c && !isPrivate) upsertConversation({ id, lastMessage: m.content || c.lastMessage, lastActivity: m.timestamp || c.lastActivity });
    }
  } catch (e) {
    err.textContent = errorText(e);
    err.hidden = false;
  } finally {
    button.disabled = input.disabled;
    input.focus();
  }
}
