// Notifications: the live unread badge (GET /api/notifications/unread-count, kept current
// by the Server-Sent Events stream read with fetch so the token stays in a header) and the
// /notifications page, which marks what it showed as read.

import { session, get, post, streamEvents, knownRoute } from './api.js';
import { h, clear, avatar, ago, state, debounce, announce } from './dom.js';
import { pagedList } from './grid.js';
import { requireLogin } from './auth.js';

/** The badge's state; dispatches "change" and "event" (a stream event, detail {event, data}). */
export const inbox = Object.assign(new EventTarget(), { unread: 0, available: null, capped: false });

let stream = null;

function setUnread(n, capped = false) {
  const grew = n > inbox.unread;
  inbox.unread = n;
  inbox.capped = capped;
  inbox.dispatchEvent(new Event('change'));
  if (grew) announce(`${n}${capped ? '+' : ''} unread notification${n === 1 ? '' : 's'}`);
}

async function fetchUnread() {
  try {
    const res = await get('/api/notifications/unread-count');
    inbox.available = true;
    setUnread(res.unreadCount ?? res.count ?? 0, Boolean(res.capped));
  } catch (err) {
    if (err.missingRoute) {
      inbox.available = false;
      knownRoute('/api/notifications', false);
      inbox.dispatchEvent(new Event('change'));
    }
  }
}
const refetch = debounce(fetchUnread, 250);

/** startInbox reads the unread count and follows the stream while signed in. */
export async function startInbox() {
  stopInbox();
  if (!session.signedIn) return;
  await fetchUnread();
  if (!inbox.available || !session.signedIn) return;
  stream = streamEvents('/api/notifications/stream', {
    onEvent: (e) => {
      let data = null;
      try { data = JSON.parse(e.data); } catch { /* a hint without a body */ }
      if (e.event === 'end') return;
      if (data && typeof data.unreadCount === 'number') setUnread(data.unreadCount, Boolean(data.capped));
      else refetch();
      inbox.dispatchEvent(new CustomEvent('event', { detail: { event: e.event, data } }));
    },
    onOpen: () => refetch(),
  });
}

/** stopInbox ends the stream (signing out). */
export function stopInbox() {
  stream?.stop();
  stream = null;
  setUnread(0);
}

const VERBS = {
  video_like: 'liked your video',
  comment_like: 'liked your comment',
  comment: 'commented on your video',
  reply: 'replied to your comment',
  mention: 'mentioned you',
  follow: 'started following you',
};

const SYSTEM = {
  video_ready: 'Your video is ready: it is public now',
  video_failed: 'Your video could not be processed',
};

/** notificationText is "alice and 12 others liked your video". */
export function notificationText(n) {
  if (SYSTEM[n.kind]) return SYSTEM[n.kind];
  const actors = n.actors || [];
  const first = actors[0] ? `@${actors[0].username}` : 'Someone';
  const others = Math.max(0, (n.actorCount || actors.length) - 1);
  const who = others === 0 ? first : others === 1 && actors[1] ? `${first} and @${actors[1].username}` : `${first} and ${others} others`;
  return `${who} ${VERBS[n.kind] || 'did something'}`;
}

function notificationItem(n) {
  const target = n.video ? `/video/${n.video.id}` : n.actors?.[0] ? `/@${n.actors[0].username}` : '/notifications';
  return h(`li.notification${n.read ? '' : '.unread'}`, { dataset: { id: n.id } },
    h('a.notification-link', { href: target },
      avatar(n.actors?.[0]),
      h('span.notification-text',
        h('span', notificationText(n)),
        n.comment?.snippet ? h('span.muted.snippet', `“${n.comment.snippet}”`) : null,
        h('time.muted', { datetime: n.updatedAt || n.createdAt }, ago(n.updatedAt || n.createdAt))),
      n.video?.thumbnailUrl ? h('img.notification-thumb', { src: n.video.thumbnailUrl, alt: '', width: 40, height: 56, loading: 'lazy' }) : null,
      n.read ? null : h('span.visually-hidden', ' (unread)')));
}

/** notificationsView renders /notifications. */
export function notificationsView(main) {
  const page = h('section.page.notifications-page', h('h1.page-title', 'Notifications'));
  clear(main, page);
  document.title = 'Notifications · gotok';
  if (!session.signedIn) {
    page.append(h('div.state.state-empty', h('p', 'Log in to see who liked, commented on and followed your videos.'),
      h('button.btn.primary', { type: 'button', onclick: () => requireLogin() }, 'Log in')));
    return null;
  }
  if (inbox.available === false) {
    page.append(state('empty', 'Notifications are not available on this server yet.'));
    return null;
  }
  const body = h('div');
  page.append(body);
  let newest = 0;
  const markRead = debounce(async () => {
    if (!newest) return;
    try {
      const res = await post('/api/notifications/read', { upTo: newest });
      if (typeof res?.unreadCount === 'number') setUnread(res.unreadCount, Boolean(res.capped));
    } catch { /* they stay unread */ }
  }, 1500);
  const list = pagedList(body, {
    listClass: 'notification-list',
    label: 'Notifications',
    empty: 'No notifications yet. Likes, comments, mentions and new followers show up here.',
    load: async (cursor) => {
      let res;
      try {
        res = await get('/api/notifications', { limit: 20, cursor });
      } catch (err) {
        if (err.missingRoute) {
          inbox.available = false;
          throw new Error('Notifications are not available on this server yet.');
        }
        throw err;
      }
      for (const n of res.notifications) newest = Math.max(newest, n.eventId || 0);
      markRead();
      return { items: res.notifications, nextCursor: res.pagination?.nextCursor };
    },
    render: notificationItem,
  });
  const ul = body.querySelector('ul');
  const onEvent = (e) => {
    const { event, data } = e.detail;
    if (!data || !ul) return;
    const old = data.id ? ul.querySelector(`li[data-id="${data.id}"]`) : null;
    if (event === 'notification') {
      old?.remove();
      ul.prepend(notificationItem(data));
      body.querySelector('.list-status')?.replaceChildren();
      newest = Math.max(newest, data.eventId || 0);
      markRead();
    } else if (event === 'changed') {
      old?.replaceWith(notificationItem(data));
    } else if (event === 'removed') {
      ul.querySelector(`li[data-id="${data.id}"]`)?.remove();
    } else if (event === 'resync') {
      list.reload();
    }
  };
  inbox.addEventListener('event', onEvent);
  return {
    cleanup() {
      inbox.removeEventListener('event', onEvent);
      list.disconnect();
    },
  };
}

/** badge keeps an element showing the unread count. */
export function bindBadge(el, link) {
  const render = () => {
    const n = inbox.unread;
    el.hidden = !n;
    el.textContent = n > 99 || inbox.capped ? '99+' : String(n);
    link.setAttribute('aria-label', n ? `Inbox, ${n}${inbox.capped ? '+' : ''} unread` : 'Inbox');
  };
  inbox.addEventListener('change', render);
  render();
}

