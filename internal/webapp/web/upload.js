// Upload: pick or drop a clip, preview it, write a caption with #tag/@mention
// autocomplete, post it with a real progress bar (XMLHttpRequest upload progress), then
// follow its processing status until it is ready (the status field, when the API has it).

import { session, uploadForm, get } from './api.js';
import { h, clear, field, state, errorText, showErrors, announce } from './dom.js';
import { autocomplete } from './autocomplete.js';
import { requireLogin } from './auth.js';
import { refresh } from './router.js';

const ACCEPT = 'video/mp4,video/quicktime,video/webm';
const MAX_BYTES = 100 * 1024 * 1024;

/** uploadView renders /upload. */
export function uploadView(main) {
  const page = h('section.page.upload-page', h('h1.page-title', 'Upload a video'));
  clear(main, page);
  document.title = 'Upload · gotok';
  if (!session.signedIn) {
    page.append(h('div.state.state-empty', h('p', 'Log in to post videos.'),
      h('button.btn.primary', { type: 'button', onclick: () => requireLogin() }, 'Log in')));
    return null;
  }
  let file = null;
  let previewURL = '';
  let job = null;
  let poster = null; // a JPEG frame of the clip, sent as its thumbnail

  const input = h('input.visually-hidden', { type: 'file', id: 'upload-file', name: 'video', accept: ACCEPT });
  const drop = h('label.dropzone', { for: 'upload-file' },
    h('strong', 'Choose a video'), h('span.muted', 'or drop it here — MP4, MOV or WebM, up to 100 MB'));
  const preview = h('div.upload-preview', { hidden: true });
  const caption = field('Caption', { name: 'caption', maxlength: 2200, rows: 3, placeholder: 'Describe your video… #hashtags @mentions' }, { textarea: true, hint: 'Type # or @ for suggestions.' });
  caption.input.after(autocomplete(caption.input));
  caption.input.parentElement.classList.add('ac-wrap');
  const sound = field('Sound', { name: 'audioName', maxlength: 255, placeholder: `original sound - ${session.user?.username || ''}` });
  const progress = h('progress.upload-progress', { max: 100, value: 0, 'aria-label': 'Upload progress' });
  const progressText = h('span.progress-text');
  const progressBox = h('div.progress-box', { hidden: true }, progress, progressText);
  const alert = h('p.form-alert', { role: 'alert' });
  const submit = h('button.btn.primary', { type: 'submit', disabled: true }, 'Post');
  const cancel = h('button.btn', { type: 'button', hidden: true, onclick: () => job?.abort() }, 'Cancel upload');
  const form = h('form.form.upload-form', { novalidate: true }, input, drop, preview, caption.wrap, sound.wrap, progressBox, alert, h('div.row', submit, cancel));
  const result = h('div.upload-result');
  page.append(form, result);

  const choose = (f) => {
    alert.textContent = '';
    if (!f) return;
    if (!ACCEPT.split(',').includes(f.type) && !/\.(mp4|mov|webm)$/i.test(f.name)) {
      alert.textContent = 'Choose an MP4, MOV or WebM video.';
      return;
    }
    if (f.size > MAX_BYTES) {
      alert.textContent = 'This video is larger than 100 MB.';
      return;
    }
    file = f;
    poster = null;
    if (previewURL) URL.revokeObjectURL(previewURL);
    previewURL = URL.createObjectURL(f);
    const vid = h('video.preview-video', { src: previewURL, muted: true, playsInline: true, controls: true, preload: 'metadata', 'aria-label': `Preview of ${f.name}` });
    vid.addEventListener('loadeddata', () => grabPoster(vid).then((b) => { poster = b; }), { once: true });
    clear(preview, vid, h('p.muted', `${f.name} · ${(f.size / 1048576).toFixed(1)} MB`));
    preview.hidden = false;
    submit.disabled = false;
    drop.querySelector('strong').textContent = 'Choose another video';
  };
  input.addEventListener('change', () => choose(input.files[0]));
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    choose(e.dataTransfer.files[0]);
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!file) { alert.textContent = 'Choose a video first.'; return; }
    const data = new FormData();
    data.append('caption', caption.input.value.trim());
    if (sound.input.value.trim()) data.append('audioName', sound.input.value.trim());
    data.append('video', file, file.name);
    if (poster) data.append('thumbnail', poster, 'poster.jpg');
    submit.disabled = true;
    cancel.hidden = false;
    progressBox.hidden = false;
    progress.value = 0;
    progressText.textContent = 'Uploading… 0%';
    alert.textContent = '';
    let lastAnnounced = 0;
    job = uploadForm('POST', '/api/videos', data, (loaded, total) => {
      const pct = Math.round((loaded / total) * 100);
      progress.value = pct;
      progressText.textContent = `Uploading… ${pct}%`;
      if (pct - lastAnnounced >= 25) { lastAnnounced = pct; announce(`Uploaded ${pct}%`); }
    });
    try {
      const video = await job.promise;
      progress.value = 100;
      progressText.textContent = 'Uploaded';
      form.hidden = true;
      showResult(result, video);
    } catch (err) {
      progressBox.hidden = true;
      alert.textContent = err.name === 'AbortError' ? 'Upload cancelled.' : showErrors(form, err);
    } finally {
      submit.disabled = false;
      cancel.hidden = true;
      job = null;
    }
  });

  return {
    cleanup() {
      job?.abort();
      if (previewURL) URL.revokeObjectURL(previewURL);
    },
  };
}

/** grabPoster draws a frame of the preview into a JPEG blob (the video's thumbnail). */
async function grabPoster(vid) {
  try {
    if (vid.readyState < 2) return null;
    const w = vid.videoWidth;
    const hgt = vid.videoHeight;
    if (!w || !hgt) return null;
    const scale = Math.min(1, 720 / Math.max(w, hgt));
    const canvas = h('canvas', { width: Math.round(w * scale), height: Math.round(hgt * scale) });
    canvas.getContext('2d').drawImage(vid, 0, 0, canvas.width, canvas.height);
    return await new Promise((res) => canvas.toBlob(res, 'image/jpeg', 0.8));
  } catch {
    return null;
  }
}

/**
 * showResult tells the user where the video is; while the API reports it processing (the
 * status field, issue 12), it polls the video until it is ready or failed.
 */
function showResult(host, video) {
  const render = (v) => {
    const ready = !v.status || v.status === 'ready';
    const failed = v.status === 'failed';
    clear(host,
      h('div.state', { role: 'status' },
        ready ? h('p.upload-done', 'Your video is live!') : failed ? h('p.upload-failed', `Processing failed: ${v.failureReason || 'the video could not be converted'}.`) : h('p', h('span.spinner', { 'aria-hidden': 'true' }), ' Processing… it appears in feeds once it is ready.'),
        h('div.row', h('a.btn.primary', { href: `/video/${v.id}` }, 'View video'), h('a.btn', { href: `/@${v.user.username}` }, 'Go to profile'), h('button.btn', { type: 'button', onclick: refresh }, 'Upload another'))));
    announce(ready ? 'Your video is live' : failed ? 'Processing failed' : 'Processing');
    if (!ready && !failed && host.isConnected) {
      setTimeout(async () => {
        if (!host.isConnected) return;
        try { render(await get(`/api/videos/${v.id}`)); } catch (err) { clear(host, state('error', errorText(err))); }
      }, 2000);
    }
  };
  render(video);
}
