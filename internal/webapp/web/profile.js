// Profiles: /@{username}. Header with counts, follow/unfollow, block and report (when the
// API has them), the video grid, follower and following lists, and for oneself the
// bookmarked (and liked, when the API lists them) tabs.

import { session, get, routeExists, ApiError } from './api.js';
import { h, clear, count, avatar, displayName, state, errorText, sheet, icon } from './dom.js';
import { follow, block, hasBlocks, hasReports, report } from './actions.js';
import { pagedList, videoCard, userRow } from './grid.js';

/** findUser resolves a username (case-insensitively) to its public profile. */
export async function findUser(username) {
  const want = username.toLowerCase();
  if (session.user?.id && session.user.username?.toLowerCase() === want) {
    return get(`/api/users/${session.user.id}`);
  }
  const users = await get('/api/users', { q: username, limit: 20 });
  const u = (users || []).find((x) => x.username.toLowerCase() === want);
  if (!u) throw new ApiError(404, { message: `No account is called @${username}.`, code: 'not_found' });
  return u;
}

/** followButton is a Follow / Following toggle that keeps user up to date. */
export function followButton(u) {
  const btn = h('button.btn.follow-btn', { type: 'button' });
  const render = () => {
    btn.textContent = u.isFollowing ? 'Following' : 'Follow';
    btn.classList.toggle('primary', !u.isFollowing);
    btn.setAttribute('aria-pressed', String(Boolean(u.isFollowing)));
    btn.setAttribute('aria-label', `${u.isFollowing ? 'Unfollow' : 'Follow'} @${u.username}`);
  };
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    await follow(u, !u.isFollowing);
    btn.disabled = false;
    render();
  });
  render();
  return btn;
}

/** profileView renders /@{username}. */
export function profileView(main, { username }) {
  const page = h('section.page.profile');
  clear(main, page);
  let alive = true;
  const onUserChanged = (e) => { if (alive && current && e.detail.id === current.id) renderHeader(); };
  document.addEventListener('user-changed', onUserChanged);
  let current = null;
  let header = null;
  let renderHeader = () => {};

  const start = async () => {
    clear(page, state('loading', `Loading @${username}…`));
    let u;
    try {
      u = await findUser(username);
    } catch (err) {
      if (!alive) return;
      clear(page, h('h1.page-title', `@${username}`), state(err.status === 404 ? 'empty' : 'error', err.status === 404 ? (err.message === 'Route not found' ? 'This account does not exist.' : errorText(err)) : errorText(err), err.status === 404 ? null : start));
      return;
    }
    if (!alive) return;
    current = u;
    document.title = `${displayName(u)} (@${u.username}) · gotok`;
    const self = session.user?.id === u.id;
    header = h('header.profile-head');
    renderHeader = () => {
      const followers = h('button.stat', { type: 'button', onclick: () => peopleSheet(u, 'followers') }, h('strong', count(u.followerCount)), ' Followers');
      const following = h('button.stat', { type: 'button', onclick: () => peopleSheet(u, 'following') }, h('strong', count(u.followingCount)), ' Following');
      const likes = h('span.stat', h('strong', count(u.likeCount)), ' Likes');
      const actions = h('div.profile-actions');
      if (self) {
        actions.append(h('a.btn', { href: '/settings' }, 'Edit profile'));
      } else if (u.isBlocked) {
        actions.append(h('button.btn', { type: 'button', onclick: async () => { if (await block(u, false)) renderHeader(); } }, 'Unblock'));
      } else {
        actions.append(followButton(u));
        const menuBtn = h('button.icon-btn.profile-more', { type: 'button', 'aria-label': `More options for @${u.username}`, onclick: () => profileMenu(u) }, icon('more'));
        actions.append(menuBtn);
      }
      clear(header,
        avatar(u, 'lg'),
        h('div.profile-names', h('h1', `@${u.username}`), u.name ? h('p.profile-name', u.name) : null),
        h('div.stats', following, followers, likes),
        actions,
        u.bio ? h('p.bio', u.bio) : null,
        u.isBlocked ? h('p.muted', `You blocked @${u.username}. Unblock to see their videos.`) : null);
    };
    renderHeader();
    const tabs = h('div.tabs', { role: 'tablist', 'aria-label': 'Profile sections' });
    const panel = h('div.tab-panel', { role: 'tabpanel', tabindex: '0' });
    page.replaceChildren(header, tabs, panel);
    const sections = [{ key: 'videos', label: 'Videos', path: `/api/users/${u.id}/videos` }];
    const addTab = (sec) => {
      sections.push(sec);
      tabs.append(tabButton(sec));
    };
    let shown = null;
    const show = (sec) => {
      shown?.list?.disconnect();
      shown = sec;
      for (const b of tabs.children) {
        const on = b.dataset.key === sec.key;
        b.setAttribute('aria-selected', String(on));
        b.tabIndex = on ? 0 : -1;
      }
      panel.setAttribute('aria-labelledby', `tab-${sec.key}`);
      panel.replaceChildren();
      if (u.isBlocked) return;
      sec.list = pagedList(panel, {
        label: sec.label,
        empty: sec.key === 'videos' ? (self ? 'You have not posted a video yet.' : `@${u.username} has not posted a video yet.`) : `No ${sec.label.toLowerCase()} videos yet.`,
        load: async (cursor) => {
          const res = await get(sec.path, { limit: 12, cursor });
          return { items: res.videos, nextCursor: res.pagination?.nextCursor };
        },
        render: videoCard,
      });
    };
    const tabButton = (sec) => h('button.tab', {
      type: 'button', role: 'tab', id: `tab-${sec.key}`, dataset: { key: sec.key }, 'aria-selected': 'false', tabindex: '-1',
      onclick: () => show(sec),
    }, sec.label);
    tabs.append(tabButton(sections[0]));
    tabs.addEventListener('keydown', (e) => {
      const btns = [...tabs.children];
      const i = btns.indexOf(document.activeElement);
      if (i < 0) return;
      let k = -1;
      if (e.key === 'ArrowRight') k = (i + 1) % btns.length;
      else if (e.key === 'ArrowLeft') k = (i - 1 + btns.length) % btns.length;
      else if (e.key === 'Home') k = 0;
      else if (e.key === 'End') k = btns.length - 1;
      if (k < 0) return;
      e.preventDefault();
      btns[k].focus();
      btns[k].click();
    });
    show(sections[0]);
    if (self) {
      // Lists that later API versions add; offered when the server has them.
      if (await routeExists('/api/users/me/likes') && alive) addTab({ key: 'liked', label: 'Liked', path: '/api/users/me/likes' });
      if (await routeExists('/api/users/me/bookmarks') && alive) addTab({ key: 'bookmarks', label: 'Bookmarks', path: '/api/users/me/bookmarks' });
    }
  };
  start();
  return {
    cleanup() {
      alive = false;
      document.removeEventListener('user-changed', onUserChanged);
    },
  };
}

async function profileMenu(u) {
  const s = sheet(`@${u.username}`);
  const menu = h('div.menu');
  s.body.append(menu);
  const item = (label, fn) => h('button.menu-item', { type: 'button', onclick: async () => { s.close(); await fn(); } }, label);
  menu.append(item('Copy profile link', async () => {
    try { await navigator.clipboard.writeText(`${location.origin}/@${u.username}`); } catch { /* shown in the address bar anyway */ }
  }));
  menu.firstElementChild.focus();
  const [blocks, reports] = await Promise.all([hasBlocks(), session.signedIn ? hasReports() : false]);
  if (!s.dialog.open) return;
  if (blocks) menu.append(item(u.isBlocked ? `Unblock @${u.username}` : `Block @${u.username}`, () => block(u, !u.isBlocked)));
  if (reports) menu.append(item(`Report @${u.username}`, () => report('user', u.id)));
}

/** peopleSheet lists a user's followers or the accounts they follow. */
function peopleSheet(u, which) {
  const s = sheet(which === 'followers' ? `Followers of @${u.username}` : `@${u.username} follows`);
  pagedList(s.body, {
    listClass: 'user-list',
    label: which === 'followers' ? 'Followers' : 'Following',
    empty: which === 'followers' ? 'No followers yet.' : 'Not following anyone yet.',
    load: async (cursor) => {
      const res = await get(`/api/users/${u.id}/${which}`, { limit: 20, cursor });
      return { items: res[which], nextCursor: res.pagination?.nextCursor };
    },
    render: (x) => userRow(x, session.user?.id === x.id ? null : followButton(x)),
  });
  s.dialog.querySelector('.sheet-close').focus();
}
