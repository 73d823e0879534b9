// Video grids (profiles, tags, sounds, search) and user lists, paged with the API's
// cursors: a "Load more" button that also loads by itself when it scrolls into view.

import { h, clear, count, icon, avatar, displayName, state, errorText } from './dom.js';

/** videoCard is a grid cell: poster, views, link to the video. */
export function videoCard(v) {
  const label = `${v.caption ? v.caption.slice(0, 80) : 'Video'} by @${v.user.username}, ${count(v.views)} views`;
  const media = v.thumbnailUrl
    ? h('img.card-poster', { src: v.thumbnailUrl, alt: '', loading: 'lazy', decoding: 'async', width: 180, height: 320 })
    : h('div.card-poster.card-blank', { 'aria-hidden': 'true' }, icon('play'));
  const badge = v.status && v.status !== 'ready' ? h('span.card-status', v.status === 'failed' ? 'Failed' : 'Processing') : null;
  return h('li.card', h('a.card-link', { href: `/video/${v.id}`, 'aria-label': label }, media, badge,
    h('span.card-views', { 'aria-hidden': 'true' }, icon('play'), count(v.views))));
}

/** userRow is an entry of a user list, with an optional action (follow button). */
export function userRow(u, action) {
  return h('li.user-row',
    h('a.user-row-link', { href: `/@${u.username}` }, avatar(u), h('span.user-row-names', h('strong', displayName(u)), h('span.muted', `@${u.username}`))),
    u.followerCount !== undefined ? h('span.muted.user-row-count', `${count(u.followerCount)} followers`) : null,
    action || null);
}

/**
 * pagedList renders items page by page into host. load(cursor) returns {items, nextCursor};
 * render(item) returns an <li>. Returns {reload}.
 */
export function pagedList(host, { load, render, listClass = 'grid', label, empty = 'Nothing here yet.' }) {
  const list = h(`ul.${listClass}`, { 'aria-label': label });
  const status = h('div.list-status');
  const more = h('button.btn.load-more', { type: 'button', hidden: true }, 'Load more');
  host.append(list, status, more);
  let cursor = null;
  let busy = false;
  let gen = 0;
  const page = async () => {
    if (busy) return;
    busy = true;
    const mine = gen;
    more.disabled = true;
    if (!list.children.length) clear(status, state('loading', 'Loading…'));
    try {
      const res = await load(cursor);
      if (mine !== gen) return;
      status.replaceChildren();
      for (const it of res.items) list.append(render(it));
      cursor = res.nextCursor || null;
      more.hidden = !cursor;
      if (!list.children.length) clear(status, state('empty', empty));
    } catch (err) {
      if (mine !== gen) return;
      clear(status, state('error', errorText(err), page));
    } finally {
      busy = false;
      more.disabled = false;
    }
  };
  more.addEventListener('click', page);
  const io = new IntersectionObserver((es) => { if (es.some((e) => e.isIntersecting) && cursor) page(); });
  io.observe(more);
  page();
  return {
    reload() {
      gen++;
      busy = false;
      cursor = null;
      list.replaceChildren();
      page();
    },
    disconnect: () => io.disconnect(),
  };
}
