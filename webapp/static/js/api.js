/* 帮扶通 — talking to the JSON API: ids, times, CSRF, JSON and multipart requests.
 * Plain script, no module: works in pages and in the service worker (importScripts).
 * Exposes self.BangfuApi. */
(function (global) {
  'use strict';

  function uuid() {
    if (global.crypto && typeof global.crypto.randomUUID === 'function') return global.crypto.randomUUID();
    var b = global.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  /* ISO 8601 with the phone's offset, e.g. 2026-05-06T08:30:00+08:00 */
  function isoWithOffset(date) {
    var off = -date.getTimezoneOffset();
    var sign = off >= 0 ? '+' : '-';
    off = Math.abs(off);
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) +
      'T' + pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds()) +
      sign + pad(Math.floor(off / 60)) + ':' + pad(off % 60);
  }

  function pageCsrf() {
    if (typeof document === 'undefined') return null;
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : null;
  }

  /* A fresh token for this session: a page opened days ago (or a queued item) must not replay an old one. */
  function freshCsrf() {
    return fetch('/api/v1/csrf', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('csrf ' + r.status); return r.json(); })
      .then(function (j) { return j.csrf_token; });
  }

  /* {"errors": {"field": ["msg"]}} → "msg；msg" */
  function errorText(body, status) {
    if (body && body.errors) {
      var parts = [];
      Object.keys(body.errors).forEach(function (k) {
        var v = body.errors[k];
        (Array.isArray(v) ? v : [v]).forEach(function (m) { parts.push(String(m)); });
      });
      if (parts.length) return parts.join('；');
    }
    if (status === 0) return '网络不通，未能连接服务器。';
    if (status >= 500) return '服务器暂时出错（' + status + '），稍后会自动重试。';
    return '请求未成功（' + status + '）。';
  }

  function parse(text) {
    try { return text ? JSON.parse(text) : null; } catch (e) { return null; }
  }

  /* Resolves {status, body} for any HTTP answer; rejects only when the network failed. */
  function postJSON(url, body, token) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store', redirect: 'manual',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': token || '' },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.text().then(function (t) { return { status: r.status, body: parse(t) }; });
    });
  }

  /* Multipart POST; onProgress(loaded, total) where XMLHttpRequest exists (pages), fetch elsewhere. */
  function postForm(url, formData, token, onProgress) {
    if (typeof XMLHttpRequest === 'undefined') {
      return fetch(url, {
        method: 'POST', credentials: 'same-origin', cache: 'no-store', redirect: 'manual',
        headers: { 'Accept': 'application/json', 'X-CSRFToken': token || '' }, body: formData
      }).then(function (r) {
        return r.text().then(function (t) { return { status: r.status, body: parse(t) }; });
      });
    }
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader('X-CSRFToken', token || '');
      if (onProgress) {
        xhr.upload.addEventListener('progress', function (e) { if (e.lengthComputable) onProgress(e.loaded, e.total); });
      }
      xhr.onload = function () { resolve({ status: xhr.status, body: parse(xhr.responseText) }); };
      xhr.onerror = function () { reject(new Error('network')); };
      xhr.ontimeout = function () { reject(new Error('timeout')); };
      xhr.timeout = 120000;
      xhr.send(formData);
    });
  }

  /* GET answering {status, body}; rejects only when the network failed. */
  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin', cache: 'no-store', redirect: 'manual' }).then(function (r) {
      return r.text().then(function (t) { return { status: r.status, body: parse(t) }; });
    });
  }

  /* One request of the JSON API described as an item (the outbox's and the check-in's):
   * {url, body} is JSON; {url, blob, fields, fileField} is multipart, the file under fileField or "photo". */
  function send(item, token, onProgress) {
    if (!item.blob) return postJSON(item.url, item.body, token);
    var fd = new FormData();
    var f = item.fields || {};
    Object.keys(f).forEach(function (k) { if (f[k] !== null && f[k] !== undefined) fd.append(k, f[k]); });
    fd.append(item.fileField || 'photo', item.blob, (item.id || 'photo') + (item.blob.type === 'image/png' ? '.png' : '.jpg'));
    return postForm(item.url, fd, token, onProgress);
  }

  /* a fresh token, or the page's own where the fresh one cannot be had (the request then says why) */
  function csrf() {
    return freshCsrf().catch(function () { return pageCsrf(); });
  }

  global.BangfuApi = {
    uuid: uuid, isoWithOffset: isoWithOffset, pageCsrf: pageCsrf, freshCsrf: freshCsrf, csrf: csrf,
    errorText: errorText, getJSON: getJSON, postJSON: postJSON, postForm: postForm, send: send
  };
})(self);
