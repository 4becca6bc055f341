// The inbox's state: conversations, messages per conversation, users, and a tiny event bus.

export const bus = new EventTarget();
export const emit = (name, detail) => bus.dispatchEvent(new CustomEvent(name, { detail }));
export const on = (name, fn) => bus.addEventListener(name, (e) => fn(e.detail));

export const store = {
  me: null,            // the signed-in user
  company: null,       // the company with its settings
  userSettings: null,  // theme, notifications, privacy
  users: new Map(),    // id -> user (agents for assignment and names)
  conversations: new Map(),
  messages: new Map(), // conversation id -> array of messages in thread order
  currentId: null,
};

const time = (iso) => (iso ? Date.parse(iso) : 0) || 0;

export function upsertConversation(c) {
  if (!c || !c.id) return null;
  const old = store.conversations.get(c.id);
  const merged = old ? { ...old, ...c } : c;
  store.conversations.set(c.id, merged);
  emit('conversation', merged);
  return merged;
}

/** Conversations sorted by last activity, newest first. */
export function sortedConversations() {
  return [...store.conversations.values()].sort(
    (a, b) => time(b.lastActivity) - time(a.lastActivity) || (a.id < b.id ? 1 : -1));
}

function compareMessages(a, b) {
  return time(a.timestamp) - time(b.timestamp) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Insert or update a message; keeps (timestamp, id) order as the API gives it. */
export function upsertMessage(m) {
  const convId = m.conversationId || m.sessionId;
  if (!convId || !store.messages.has(convId)) {
    emit('message', { message: m, conversationId: convId, isNew: true });
    return;
  }
  const list = store.messages.get(convId);
  const i = list.findIndex((x) => x.id === m.id);
  let isNew = false;
  if (i >= 0) {
    list[i] = { ...list[i], ...m };
  } else {
    isNew = true;
    let at = list.length;
    while (at > 0 && compareMessages(list[at - 1], m) > 0) at -= 1;
    list.splice(at, 0, m);
  }
  emit('message', { message: i >= 0 ? list[i] : m, conversationId: convId, isNew });
}

/**
 * A message this client just created, from the API's answer: added unless already known. The
 * answer carries the message as it was created (status queued); the live events for it can
 * arrive first (a fast delivery, a permanent failure) and are newer, so the answer must not
 * overwrite them.
 */
export function addCreatedMessage(m) {
  const convId = m.conversationId || m.sessionId;
  const list = store.messages.get(convId);
  if (list && list.some((x) => x.id === m.id)) return;
  upsertMessage(m);
}

export function setMessages(convId, list) {
  store.messages.set(convId, list);
}

export function userName(id) {
  if (!id) return '';
  const u = store.users.get(id);
  return u ? u.name || u.email : '';
}
