// Centre panel: one conversation's header actions, its messages, typing, read marking.

import { api, optional, errorText } from './api.js';
import { h, clear, $, toast } from './dom.js';
import { store, on, upsertConversation, upsertMessage, setMessages, userName } from './store.js';
import { channelIcon, channelLabel } from './icons.js';
import { messageNode } from './messages-view.js';
import { setReplyTo, setConversationOpen } from './composer.js';
import { setTemplateChannel } from './templates.js';
import { listOf } from './session.js';

const PAGE = 50;
const TYPING_TTL_MS = 6000;
const typers = new Map(); // who -> expiry
let hasMore = false;
let loadingOlder = false;

const actions = {
  reply: (m) => setReplyTo(m),
  find: (id) => (store.messages.get(store.currentId) || []).find((m) => m.id === id),
};

export function initThread() {
  $('#assign-select').addEventListener('change', assign);
  $('#bot-toggle').addEventListener('change', toggleBot);
  $('#close-button').addEventListener('click', () => lifecycle('close'));
  $('#reopen-button').addEventListener('click', () => lifecycle('reopen'));
  $('#messages').addEventListener('scroll', () => {
    if ($('#messages').scrollTop < 80) loadOlder();
  });
  on('conversation', (c) => { if (c.id === store.currentId) renderHeader(c); });
  on('message', ({ message, conversationId, isNew }) => {
    if (conversationId !== store.currentId) return;
    renderMessage(message, isNew);
    if (isNew && message.direction === 'in') {
      clearTyping();
      if (!document.hidden) markRead([message]);
    }
  });
  on('users', () => { const c = store.conversations.get(store.currentId); if (c) renderHeader(c); });
  on('typing', onTyping);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && store.currentId) markRead(store.messages.get(store.currentId) || []);
  });
}

/** Show one conversation (null shows the empty state). */
export async function openThread(id) {
  store.currentId = id;
  clearTyping();
  $('#thread-empty').hidden = Boolean(id);
  $('#thread').hidden = !id;
  $('#thread-error').hidden = true;
  if (!id) return;
  const box = clear($('#messages'));
  box.appendChild(h('p', { class: 'muted center', text: 'Loading…' }));
  try {
    const [conv, page] = await Promise.all([
      api(`/api/chat/sessions/${encodeURIComponent(id)}`),
      api(`/api/chat/sessions/${encodeURIComponent(id)}/messages`, { query: { limit: PAGE } }),
    ]);
    if (store.currentId !== id) return;
    const list = listOf(page, 'messages');
    hasMore = Boolean(page && page.hasMore);
    setMessages(id, list);
    upsertConversation(conv);
    renderHeader(store.conversations.get(id));
    renderAll();
    markRead(list);
  } catch (err) {
    if (store.currentId !== id) return;
    clear(box);
    const text = err.status === 404 ? 'This conversation does not exist or you cannot see it.' : errorText(err);
    showError(text);
    $('#thread-name').textContent = 'Conversation unavailable';
  }
}

function showError(text) {
  const el = $('#thread-error');
  el.textContent = text;
  el.hidden = false;
}

function renderHeader(c) {
  const name = (c.contact && (c.contact.name || c.contact.phone)) || c.subject || 'Conversation';
  const kind = c.platform || (c.channel && c.channel.kind) || 'internal';
  $('#thread-name').textContent = name;
  clear($('#thread-channel-icon')).appendChild(channelIcon(kind, 22));
  const sub = [channelLabel(kind), c.channel && c.channel.name, c.status === 'active' ? 'open' : c.status]
    .filter(Boolean).join(' · ');
  $('#thread-sub').textContent = sub;
  const closed = c.status !== 'active';
  $('#close-button').hidden = closed;
  $('#reopen-button').hidden = !closed;
  $('#bot-toggle').checked = Boolean(c.botEnabled);
  const select = clear($('#assign-select'));
  // Assignment is an admin action and always names an agent; "Unassigned" only shows the state.
  select.appendChild(h('option', { value: '', text: 'Unassigned', disabled: Boolean(c.agentId) }));
  select.disabled = !store.me || store.me.role !== 'admin';
  select.title = select.disabled ? 'Only admins assign conversations' : 'Assign to an agent';
  const agents = [...store.users.values()].filter((u) => u.role !== 'user' && u.isActive !== false);
  if (c.agentId && !store.users.has(c.agentId)) agents.push({ id: c.agentId, name: 'Another agent' });
  for (const u of agents) {
    const label = u.id === store.me.id ? `${u.name || u.email} (me)` : (u.name || u.email);
    select.appendChild(h('option', { value: u.id, text: u.status ? `${label} · ${u.status}` : label }));
  }
  select.value = c.agentId || '';
  setConversationOpen(!closed);
  setTemplateChannel(closed ? null : c);
}

function renderAll() {
  const box = clear($('#messages'));
  const list = store.messages.get(store.currentId) || [];
  if (hasMore) box.appendChild(h('p', { class: 'muted center older', text: 'Scroll up for earlier messages' }));
  if (!list.length) box.appendChild(h('p', { class: 'muted center', text: 'No messages yet.' }));
  for (const m of list) box.appendChild(messageNode(m, actions));
  box.scrollTop = box.scrollHeight;
}

function renderMessage(m, isNew) {
  const box = $('#messages');
  const existing = box.querySelector(`[data-id="${CSS.escape(m.id)}"]`);
  const node = messageNode(m, actions);
  if (existing) {
    existing.replaceWith(node);
    return;
  }
  box.querySelectorAll('.muted.center:not(.older)').forEach((el) => el.remove());
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 160;
  const list = store.messages.get(store.currentId) || [];
  const i = list.findIndex((x) => x.id === m.id);
  const next = i >= 0 && list[i + 1] ? box.querySelector(`[data-id="${CSS.escape(list[i + 1].id)}"]`) : null;
  box.insertBefore(node, next);
  if (isNew && (nearBottom || m.direction === 'out')) box.scrollTop = box.scrollHeight;
}

async function loadOlder() {
  const id = store.currentId;
  const list = store.messages.get(id) || [];
  if (!hasMore || loadingOlder || !list.length) return;
  loadingOlder = true;
  try {
    const page = await api(`/api/chat/sessions/${encodeURIComponent(id)}/messages`,
      { query: { before: list[0].id, limit: PAGE } });
    if (store.currentId !== id) return;
    const older = listOf(page, 'messages').filter((m) => !list.some((x) => x.id === m.id));
    hasMore = Boolean(page && page.hasMore) && older.length > 0;
    const box = $('#messages');
    const fromBottom = box.scrollHeight - box.scrollTop;
    setMessages(id, [...older, ...list]);
    renderAll();
    box.scrollTop = box.scrollHeight - fromBottom;
  } catch (err) {
    toast(errorText(err), 'error');
  } finally {
    loadingOlder = false;
  }
}

async function markRead(list) {
  const id = store.currentId;
  const ids = list.filter((m) => m.direction === 'in' && !m.read).map((m) => m.id);
  const c = store.conversations.get(id);
  if (!ids.length && !(c && c.unreadCount)) return;
  try {
    await optional(`/api/chat/sessions/${encodeURIComponent(id)}/read`, { method: 'PUT', body: { messageIds: ids } });
    for (const m of list) if (ids.includes(m.id)) m.read = true;
    if (c) upsertConversation({ id, unreadCount: 0 });
  } catch (err) { /* reading is best effort; the count refreshes with the next event */ }
}

async function assign() {
  const c = store.conversations.get(store.currentId);
  const agentId = $('#assign-select').value;
  if (!agentId) return;
  try {
    const updated = await api(`/api/chat/sessions/${encodeURIComponent(c.id)}/assign`, { method: 'PUT', body: { agentId } });
    upsertConversation(updated);
    toast(agentId ? `Assigned to ${userName(agentId) || 'agent'}` : 'Unassigned');
  } catch (err) {
    toast(`Not assigned: ${errorText(err)}`, 'error');
    $('#assign-select').value = c.agentId || '';
  }
}

async function toggleBot() {
  const c = store.conversations.get(store.currentId);
  const enabled = $('#bot-toggle').checked;
  try {
    const updated = await api(`/api/chat/sessions/${encodeURIComponent(c.id)}/bot`, { method: 'PUT', body: { enabled } });
    upsertConversation(updated && updated.id ? updated : { id: c.id, botEnabled: enabled });
  } catch (err) {
    toast(`Bot not switched: ${errorText(err)}`, 'error');
    $('#bot-toggle').checked = !enabled;
  }
}

async function lifecycle(action) {
  const c = store.conversations.get(store.currentId);
  try {
    const updated = await api(`/api/chat/sessions/${encodeURIComponent(c.id)}/${action}`, { method: 'PUT' });
    upsertConversation(updated);
  } catch (err) {
    toast(`Could not ${action}: ${errorText(err)}`, 'error');
  }
}

function onTyping(t) {
  const convId = t.conversationId || t.sessionId;
  if (!t || convId !== store.currentId) return;
  if (t.userId && store.me && t.userId === store.me.id) return;
  const who = t.userName || t.name || t.senderName || (t.senderType === 'agent' || t.userId ? userName(t.userId) : '')
    || (() => { const c = store.conversations.get(convId); return c && c.contact && c.contact.name; })() || 'Customer';
  if (t.isTyping === false) typers.delete(who);
  else typers.set(who, Date.now() + TYPING_TTL_MS);
  renderTyping();
  setTimeout(renderTyping, TYPING_TTL_MS + 50);
}

function renderTyping() {
  const now = Date.now();
  for (const [who, until] of typers) if (until < now) typers.delete(who);
  const el = $('#typing');
  const names = [...typers.keys()];
  el.hidden = names.length === 0;
  el.textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '';
}

function clearTyping() {
  typers.clear();
  renderTyping();
}

export { upsertMessage };
