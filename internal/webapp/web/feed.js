// The vertical video feed: full-height slides with scroll snapping, the visible video
// plays (muted until the user unmutes), the next one preloads, double tap likes, ↑/↓ and
// space on a keyboard. Impressions go to POST /api/videos/seen in batches; a view (and
// whether it was watched to the end) to POST /api/videos/{id}/view when the viewer moves on.

import { session, post, request } from './api.js';
import { h, add, clear, icon, count, avatar, state, errorText, reducedMotion, announce } from './dom.js';
import { richText } from './text.js';
import { toggleLike, toggleBookmark, hasBookmarks, share, moreSheet, follow } from './actions.js';
import { openComments } from './comments.js';
import { requireLogin } from './auth.js';

// Whether videos play muted: browsers only autoplay muted videos, so the first one is; once
// the user unmutes, the following ones play with sound.
const prefs = { muted: true };

/** Impressions not yet reported, flushed in batches (and when the page is hidden). */
const seen = {
  ids: new Set(),
  timer: 0,
  add(id) {
    if (!session.signedIn) return;
    this.ids.add(id);
    if (this.ids.size >= 10) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), 8000);
  },
  flush(keepalive = false) {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.ids.size || !session.signedIn) return;
    const videoIds = [...this.ids].slice(0, 100);
    this.ids.clear();
    post('/api/videos/seen', { videoIds }, { keepalive }).catch(() => {});
  },
};
addEventListener('pagehide', () => seen.flush(true));
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') seen.flush(true); });

/**
 * feed renders a video feed into host. load(cursor) returns {videos, nextCursor}; the
 * first call has cursor null. Options: label (accessible name), empty (a node or text for an
 * empty feed), onFirstScreen (called once the first video is on screen), single (one video:
 * no end-of-feed slide). Returns
 * {cleanup}.
 */
export function feed(host, { load, label, empty, onFirstScreen, single = false }) {
  const list = h('div.feed', { role: 'feed', 'aria-label': label, 'aria-busy': 'true', tabindex: '-1' });
  const status = h('div.feed-status');
  host.append(list, status);
  const slides = [];
  let cursor = null;
  let done = false;
  let loading = false;
  let active = null;
  let destroyed = false;

  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting && e.intersectionRatio >= 0.6) activate(e.target);
    }
  }, { root: list, threshold: [0.6] });

  const more = async () => {
    if (loading || done) return;
    loading = true;
    list.setAttribute('aria-busy', 'true');
    if (!slides.length) clear(status, state('loading', 'Loading videos…'));
    try {
      const page = await load(cursor);
      if (destroyed) return;
      status.replaceChildren();
      cursor = page.nextCursor || null;
      done = !cursor;
      for (const v of page.videos) addSlide(v);
      if (!slides.length) {
        clear(status, typeof empty === 'string' || !empty ? state('empty', empty || 'No videos here yet.') : empty);
      } else if (done && !single) {
        list.append(h('div.slide.slide-end', h('p', "You're all caught up."), h('a.btn', { href: '/search' }, 'Discover more')));
      }
    } catch (err) {
      if (destroyed) return;
      if (slides.length) clear(status, state('error', errorText(err), () => { status.replaceChildren(); more(); }));
      else clear(status, state('error', errorText(err), more));
    } finally {
      loading = false;
      list.setAttribute('aria-busy', 'false');
    }
  };

  const addSlide = (v) => {
    const slide = renderSlide(v, slides.length + 1);
    slides.push(slide);
    list.append(slide);
    io.observe(slide);
    if (slides.length === 1) {
      prepare(slide, 'auto');
      requestAnimationFrame(() => {
        if (destroyed) return;
        performance.mark('feed-first-screen');
        onFirstScreen?.();
      });
    }
  };

  const activate = (slide) => {
    if (slide === active || destroyed) return;
    if (active) deactivate(active);
    active = slide;
    const i = slides.indexOf(slide);
    prepare(slide, 'auto');
    play(slide);
    seen.add(slide.video.id);
    if (slides[i + 1]) prepare(slides[i + 1], 'auto');
    slides.forEach((s, k) => { if (Math.abs(k - i) > 2) release(s); });
    if (i >= slides.length - 3) more();
  };

  const deactivate = (slide) => {
    const vid = slide.querySelector('video');
    vid.pause();
    reportView(slide);
  };

  const onKey = (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    if (document.querySelector('dialog[open]')) return;
    const t = e.target;
    if (t.closest('input, textarea, select, [contenteditable]')) return;
    const i = active ? slides.indexOf(active) : -1;
    const go = (k) => {
      const s = slides[Math.max(0, Math.min(slides.length - 1, k))];
      if (!s) return;
      s.scrollIntoView({ behavior: reducedMotion() ? 'auto' : 'smooth', block: 'start' });
      s.focus({ preventScroll: true });
    };
    switch (e.key) {
      case 'ArrowDown': case 'PageDown': case 'j':
        e.preventDefault(); go(i + 1); break;
      case 'ArrowUp': case 'PageUp': case 'k':
        e.preventDefault(); go(i - 1); break;
      case ' ':
        if (t.closest('button, a')) return;
        e.preventDefault();
        if (active) togglePlay(active);
        break;
      case 'm':
        if (active) toggleMute(active);
        break;
    }
  };
  document.addEventListener('keydown', onKey);

  const onChanged = (e) => {
    for (const s of slides) if (s.video.id === e.detail.id) s.update();
  };
  const onUser = (e) => {
    for (const s of slides) if (s.video.userId === e.detail.id) { s.video.user.isFollowing = e.detail.isFollowing; s.update(); }
  };
  const onRemoved = (e) => {
    const { video, creator } = e.detail;
    for (const s of [...slides]) {
      if (s.video.id === video.id || (creator && s.video.userId === creator)) {
        const k = slides.indexOf(s);
        const next = slides[k + 1] || slides[k - 1];
        io.unobserve(s);
        release(s);
        s.remove();
        slides.splice(k, 1);
        if (s === active) {
          active = null;
          if (next) { next.scrollIntoView({ block: 'start' }); next.focus({ preventScroll: true }); activate(next); }
        }
      }
    }
    if (!slides.length) clear(status, state('empty', 'No more videos here.'));
  };
  document.addEventListener('video-changed', onChanged);
  document.addEventListener('user-changed', onUser);
  document.addEventListener('video-removed', onRemoved);

  more();

  return {
    cleanup() {
      destroyed = true;
      if (active) reportView(active);
      io.disconnect();
      for (const s of slides) release(s);
      seen.flush();
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('video-changed', onChanged);
      document.removeEventListener('user-changed', onUser);
      document.removeEventListener('video-removed', onRemoved);
    },
  };
}

/** prepare gives a slide's video its source, to play or to preload. */
function prepare(slide, preload) {
  const vid = slide.querySelector('video');
  if (!vid.getAttribute('src') && slide.video.videoUrl && processed(slide.video)) {
    vid.preload = preload;
    vid.src = slide.video.videoUrl;
  } else if (vid.preload !== 'auto') {
    vid.preload = preload;
  }
}

/** release drops a far-away slide's video source, to keep memory and connections low. */
function release(slide) {
  const vid = slide.querySelector('video');
  if (!vid.getAttribute('src')) return;
  vid.pause();
  vid.removeAttribute('src');
  vid.load();
}

/** processed reports whether a video can play (issue 12's status, when the API has it). */
const processed = (v) => !v.status || v.status === 'ready';

function play(slide) {
  const vid = slide.querySelector('video');
  if (slide.userPaused || reducedMotion() || !processed(slide.video)) {
    slide.update();
    return;
  }
  vid.muted = prefs.muted;
  vid.play().catch(() => {
    if (!vid.muted) { // sound needs a gesture in this browser: play muted instead
      vid.muted = true;
      prefs.muted = true;
      vid.play().catch(() => {});
    }
  }).finally(() => slide.update());
}

function togglePlay(slide) {
  const vid = slide.querySelector('video');
  if (vid.paused) {
    slide.userPaused = false;
    vid.muted = prefs.muted;
    vid.play().catch(() => {}).finally(() => slide.update());
  } else {
    slide.userPaused = true;
    vid.pause();
    slide.update();
  }
}

function toggleMute(slide) {
  const vid = slide.querySelector('video');
  prefs.muted = !prefs.muted;
  vid.muted = prefs.muted;
  if (vid.paused && !slide.userPaused) vid.play().catch(() => {});
  announce(prefs.muted ? 'Muted' : 'Sound on');
  slide.update();
}

/** reportView counts a view once the viewer watched a second or more. */
function reportView(slide) {
  const w = slide.watch;
  if (!w || w.reported || w.seconds < 1) return;
  w.reported = true;
  request('POST', `/api/videos/${slide.video.id}/view`, { body: { completed: w.completed }, keepalive: true }).catch(() => {});
}

/** renderSlide builds one feed item. */
export function renderSlide(v, position) {
  const id = `v${v.id}-${Math.random().toString(36).slice(2, 6)}`;
  const vid = h('video.video', {
    muted: true, playsInline: true, loop: true, preload: 'none',
    poster: v.thumbnailUrl || '', 'aria-label': `Video by @${v.user.username}`,
    disablePictureInPicture: true,
  });
  vid.setAttribute('playsinline', '');
  vid.setAttribute('muted', '');
  if (!v.thumbnailUrl) vid.removeAttribute('poster');
  const heartLayer = h('div.heart-layer', { 'aria-hidden': 'true' });
  const tap = h('div.tap', { 'aria-hidden': 'true' });
  const playBtn = h('button.icon-btn.play-toggle', { type: 'button' });
  const muteBtn = h('button.icon-btn.mute-toggle', { type: 'button' });
  const processing = processed(v) ? null : h('div.processing', { role: 'status' }, h('span.spinner', { 'aria-hidden': 'true' }), h('p', v.status === 'failed' ? 'This video could not be processed.' : 'Processing…'));
  const pausedMark = h('div.paused-mark', { 'aria-hidden': 'true' }, icon('play'));
  const player = h('div.player', vid, tap, pausedMark, heartLayer, processing, h('div.player-controls', playBtn, muteBtn));

  const authorLink = h('a.author', { href: `/@${v.user.username}`, id: `${id}-author` }, `@${v.user.username}`);
  const caption = h('p.caption', { id: `${id}-caption` }, richText(v.caption, v.mentions));
  const soundLink = v.audioName ? h(v.soundId ? 'a.sound' : 'span.sound', v.soundId ? { href: `/sound/${v.soundId}` } : {}, icon('music'), h('span', v.audioName)) : null;
  const hiddenNote = v.moderation === 'hidden' ? h('p.moderation-note', `Hidden by moderators${v.moderationReason ? `: ${v.moderationReason}` : ''}. Only you can see it.`) : null;
  const meta = h('div.meta', hiddenNote, authorLink, v.caption ? caption : null, soundLink);

  const rail = h('div.rail');
  const slide = h('article.slide', {
    tabindex: '-1', 'aria-posinset': position, 'aria-setsize': '-1',
    'aria-labelledby': `${id}-author ${v.caption ? `${id}-caption` : ''}`.trim(),
    dataset: { videoId: v.id },
  }, player, meta, rail);
  slide.video = v;
  slide.watch = { seconds: 0, last: 0, completed: false, reported: false };

  // Watching: seconds played, and a wrap-around of the looping video means watched to the end.
  vid.addEventListener('timeupdate', () => {
    const w = slide.watch;
    const t = vid.currentTime;
    if (t < w.last - 0.5 && w.last > 0) {
      if (!w.completed) {
        w.completed = true;
        reportView(slide);
      }
    } else if (t > w.last) {
      w.seconds += Math.min(t - w.last, 1);
    }
    w.last = t;
  });
  vid.addEventListener('play', () => slide.update());
  vid.addEventListener('pause', () => slide.update());

  // One tap plays a paused video, unmutes a muted one, pauses one with sound; two quick
  // taps like, with a heart where tapped.
  let tapTimer = 0;
  tap.addEventListener('click', (e) => {
    if (tapTimer || e.detail >= 2) { // a second tap soon after the first (detail counts clicks)
      clearTimeout(tapTimer);
      tapTimer = 0;
      burst(heartLayer, e);
      toggleLike(v, { like: true });
      return;
    }
    tapTimer = setTimeout(() => {
      tapTimer = 0;
      if (vid.paused || !prefs.muted) togglePlay(slide); // play a paused video; pause one with sound
      else toggleMute(slide); // the first tap on a muted video turns the sound on
    }, 260);
  });
  playBtn.addEventListener('click', () => togglePlay(slide));
  muteBtn.addEventListener('click', () => toggleMute(slide));

  const likeBtn = h('button.rail-btn.like-btn', { type: 'button', onclick: () => toggleLike(v) });
  const commentBtn = h('button.rail-btn.comment-btn', { type: 'button', onclick: () => openComments(v) });
  const bookmarkBtn = hasBookmarks(v) ? h('button.rail-btn.bookmark-btn', { type: 'button', onclick: () => toggleBookmark(v) }) : null;
  const shareBtn = h('button.rail-btn.share-btn', { type: 'button', onclick: () => share(v) });
  const moreBtn = h('button.rail-btn.more-btn', { type: 'button', 'aria-label': 'More options', onclick: () => moreSheet(v) }, icon('more'));
  const followBtn = h('button.follow-plus', {
    type: 'button',
    onclick: async () => { if (await follow(v.user, true)) slide.update(); },
  }, icon('plus'));
  const who = h('div.rail-author', h('a.rail-avatar', { href: `/@${v.user.username}`, 'aria-label': `@${v.user.username}'s profile` }, avatar(v.user)), followBtn);
  add(rail, who, likeBtn, commentBtn, bookmarkBtn, shareBtn, moreBtn);

  slide.update = () => {
    likeBtn.setAttribute('aria-pressed', String(v.isLiked));
    likeBtn.setAttribute('aria-label', `${v.isLiked ? 'Unlike' : 'Like'} (${v.likeCount} likes)`);
    likeBtn.classList.toggle('on', v.isLiked);
    clear(likeBtn, icon('heart'), h('span.rail-count', { 'aria-hidden': 'true' }, count(v.likeCount)));
    commentBtn.setAttribute('aria-label', `Comments (${v.commentCount})`);
    clear(commentBtn, icon('comment'), h('span.rail-count', { 'aria-hidden': 'true' }, count(v.commentCount)));
    if (bookmarkBtn) {
      bookmarkBtn.setAttribute('aria-pressed', String(Boolean(v.isBookmarked)));
      bookmarkBtn.setAttribute('aria-label', `${v.isBookmarked ? 'Remove bookmark' : 'Bookmark'} (${v.bookmarkCount || 0})`);
      bookmarkBtn.classList.toggle('on', Boolean(v.isBookmarked));
      clear(bookmarkBtn, icon('bookmark'), h('span.rail-count', { 'aria-hidden': 'true' }, count(v.bookmarkCount || 0)));
    }
    shareBtn.setAttribute('aria-label', 'shareCount' in v ? `Share (${v.shareCount})` : 'Share');
    clear(shareBtn, icon('share'), h('span.rail-count', { 'aria-hidden': 'true' }, 'shareCount' in v ? count(v.shareCount) : 'Share'));
    const self = session.user?.id === v.userId;
    followBtn.hidden = self || Boolean(v.user.isFollowing);
    followBtn.setAttribute('aria-label', `Follow @${v.user.username}`);
    const paused = vid.paused;
    playBtn.setAttribute('aria-label', paused ? 'Play' : 'Pause');
    clear(playBtn, icon(paused ? 'play' : 'pause'));
    slide.classList.toggle('paused', paused && Boolean(vid.getAttribute('src')));
    muteBtn.setAttribute('aria-label', prefs.muted ? 'Unmute' : 'Mute');
    muteBtn.setAttribute('aria-pressed', String(!prefs.muted));
    clear(muteBtn, icon(prefs.muted ? 'muted' : 'sound'));
  };
  slide.update();
  return slide;
}

/** burst shows the double-tap heart where the tap was. */
function burst(layer, e) {
  const r = layer.getBoundingClientRect();
  const heart = h('span.heart-burst', icon('heart'));
  heart.style.left = `${(e.clientX || r.left + r.width / 2) - r.left}px`;
  heart.style.top = `${(e.clientY || r.top + r.height / 2) - r.top}px`;
  layer.append(heart);
  const done = () => heart.remove();
  heart.addEventListener('animationend', done);
  setTimeout(done, 1200);
}

/** apiFeed adapts a paged API list ({videos, pagination}) to feed's load. */
export const apiFeed = (path, limit = 5) => async (cursor) => {
  const res = await request('GET', path, { query: { limit: cursor ? 10 : limit, cursor } });
  return { videos: res.videos, nextCursor: res.pagination?.nextCursor };
};

/** loginPrompt is the placeholder of a feed that needs an account. */
export function loginPrompt(text) {
  return h('div.state.state-empty', h('p', text), h('button.btn.primary', { type: 'button', onclick: () => requireLogin() }, 'Log in'));
}
