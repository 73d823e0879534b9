// The app: the shell (navigation, badge, sign-in state) and the routes of its deep links.
// The first screen of the feed costs one API request (the feed page); everything else
// (refreshing the signed-in user, the unread count and its stream) starts after it.

import { session, get } from './api.js';
import { route, start, refresh, navigate, match } from './router.js';
import { h, clear, icon } from './dom.js';
import { feed, apiFeed, loginPrompt } from './feed.js';
import { profileView } from './profile.js';
import { searchView, tagView, soundView } from './search.js';
import { uploadView } from './upload.js';
import { notificationsView, startInbox, stopInbox, bindBadge } from './notifications.js';
import { settingsView } from './settings.js';
import { adminView } from './admin.js';
import { authDialog, refreshMe } from './auth.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');

// Background work that must not compete with the first screen.
let booted = false;
function boot() {
  if (booted) return;
  booted = true;
  refreshMe();
  startInbox();
}

const FEEDS = {
  foryou: { label: 'For You', path: '/api/videos/for-you' },
  following: { label: 'Following', path: '/api/videos/following' },
  latest: { label: 'Latest', path: '/api/videos' },
};

function homeView(main, _params, query) {
  const which = FEEDS[query.get('feed')] ? query.get('feed') : 'foryou';
  document.title = which === 'foryou' ? 'gotok' : `${FEEDS[which].label} · gotok`;
  const tabs = h('nav.feed-tabs', { 'aria-label': 'Feeds' }, Object.entries(FEEDS).map(([key, f]) => h('a.feed-tab', {
    href: key === 'foryou' ? '/' : `/?feed=${key}`, 'aria-current': key === which ? 'page' : false,
  }, f.label)));
  const host = h('div.feed-host');
  clear(main, h('section.home', h('h1.visually-hidden', `${FEEDS[which].label} feed`), tabs, host));
  if (which === 'following' && !session.signedIn) {
    host.append(loginPrompt('Log in to see videos from the accounts you follow.'));
    boot();
    return null;
  }
  const empty = which === 'following'
    ? h('div.state.state-empty', h('p', 'Videos from accounts you follow show up here.'), h('a.btn.primary', { href: '/' }, 'Find creators in For You'))
    : h('div.state.state-empty', h('p', 'No videos yet.'), h('a.btn.primary', { href: '/upload' }, 'Upload the first one'));
  return feed(host, { load: apiFeed(FEEDS[which].path), label: `${FEEDS[which].label} videos`, empty, onFirstScreen: boot });
}

function videoView(main, { id }) {
  const back = h('button.icon-btn.back-btn', {
    type: 'button', 'aria-label': 'Back',
    onclick: () => (history.length > 1 && document.referrer.startsWith(location.origin) ? history.back() : navigate('/')),
  }, icon('back'));
  const host = h('div.feed-host');
  clear(main, h('section.home.single', h('h1.visually-hidden', 'Video'), back, host));
  return feed(host, {
    label: 'Video',
    single: true,
    load: async () => {
      const v = await get(`/api/videos/${id}`);
      document.title = `${v.caption ? v.caption.slice(0, 60) : 'Video'} · @${v.user.username} · gotok`;
      return { videos: [v], nextCursor: null };
    },
    onFirstScreen: boot,
  });
}

route('/', homeView);
route('/@:username', profileView);
route('/video/:id', videoView);
route('/tag/:name', tagView);
route('/sound/:id', soundView);
route('/search', searchView);
route('/notifications', notificationsView);
route('/upload', uploadView);
route('/settings', settingsView);
route('/admin', adminView);

let first = true;
function render(path, query) {
  const m = match(path);
  markNav(path);
  if (!m) {
    clear(main, h('section.page', h('h1.page-title', 'Page not found'), h('a.btn', { href: '/' }, 'Go to the feed')));
    return null;
  }
  const out = m.view(main, m.params, query);
  if (!first) {
    const heading = main.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    } else main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  first = false;
  // Feeds start the background work after their first screen; other pages (and a feed that
  // failed to load) right away or soon.
  setTimeout(boot, path === '/' || path.startsWith('/video/') ? 10000 : 0);
  return out;
}

// The navigation bar, rebuilt only when what it shows changes.
let navKey = '';
function buildNav() {
  const key = JSON.stringify([session.signedIn, session.user?.username, session.isModerator]);
  if (key === navKey) return;
  navKey = key;
  const link = (href, label, name, extra) => h('a.nav-link', { href, dataset: { path: href } }, icon(name), h('span.nav-label', label), extra || null);
  const badge = h('span.badge', { hidden: true });
  const inboxLink = link('/notifications', 'Inbox', 'inbox', badge);
  const me = session.user;
  const profile = session.signedIn
    ? link(me?.username ? `/@${me.username}` : '/settings', 'Profile', 'user')
    : h('button.nav-link', { type: 'button', id: 'nav-login', onclick: () => authDialog('login') }, icon('user'), h('span.nav-label', 'Log in'));
  clear(nav,
    h('a.brand', { href: '/', 'aria-label': 'gotok home' }, 'gotok'),
    link('/', 'Home', 'home'),
    link('/search', 'Discover', 'search'),
    link('/upload', 'Upload', 'plus'),
    inboxLink,
    profile,
    session.signedIn ? link('/settings', 'Settings', 'gear') : null,
    session.isModerator ? link('/admin', 'Moderation', 'shield') : null,
    session.signedIn ? null : h('button.nav-link.nav-signup', { type: 'button', id: 'nav-signup', onclick: () => authDialog('signup') }, h('span.nav-label', 'Sign up')));
  bindBadge(badge, inboxLink);
  markNav(location.pathname);
}

function markNav(path) {
  for (const a of nav.querySelectorAll('a.nav-link')) {
    const p = a.dataset.path;
    const on = p === '/' ? path === '/' : path === p || (p.startsWith('/@') && path.toLowerCase() === p.toLowerCase());
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

session.addEventListener('change', () => {
  buildNav();
  stopInbox();
  booted = false;
  refresh();
  if (session.signedIn) setTimeout(boot, 0);
});
session.addEventListener('user', buildNav);

buildNav();
start(render);
