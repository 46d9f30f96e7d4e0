/* 帮扶通 service worker (served at /sw.js, scope /). Version {{ version }}.
 *
 * - static files (/static/…): cache-first from a cache named after the version;
 * - pages (navigations): network-first, the last good copy when the network fails or is slow,
 *   the offline page for a page never seen; no POST, no htmx fragment, no API answer, no
 *   redirect, no login page is ever cached;
 * - a new version drops every old cache; logging out drops them all;
 * - Background Sync ("bangfu-outbox") sends the IndexedDB outbox where the browser has it.
 */
'use strict';
var VERSION = {{ version|tojson }};
var STATIC_CACHE = 'bangfu-static-' + VERSION;
var PAGES_CACHE = 'bangfu-pages-' + VERSION;
var PRECACHE = {{ precache|tojson }};
// shown for a visit photo's thumbnail while offline
var THUMB_OFFLINE = '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120">' +
  '<rect width="160" height="120" fill="#e8e6ea"/><text x="80" y="66" font-size="16" text-anchor="middle" fill="#777">离线，照片稍后显示</text></svg>';
var OFFLINE_URL = {{ offline_url|tojson }};
// the ?v= of the pages' static URLs: those answers are immutable, so the precache may take them from
// the browser's HTTP cache (the page has just loaded them) instead of downloading them again
var STATIC_V = {{ static_version()|tojson }};
var NEVER_CACHED = ['/login', '/logout', '/sw.js', '/manifest.webmanifest'];
var NETWORK_TIMEOUT_MS = 8000;

importScripts('/static/js/api.js', '/static/js/outbox.js');

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    return cache.addAll(PRECACHE.map(function (u) {
      if (u.indexOf('/static/') === 0) return new Request(u + '?v=' + STATIC_V, { credentials: 'same-origin' });
      return new Request(u, { cache: 'reload', credentials: 'same-origin' });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== STATIC_CACHE && k !== PAGES_CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }).then(function () {
    // the pages kept for offline use went with the old version: ask the open pages to keep them again
    return self.clients.matchAll({ type: 'window' }).then(function (list) {
      list.forEach(function (c) { c.postMessage({ type: 'activated', version: VERSION }); });
    });
  }));
});

function clearAll() {
  return caches.keys().then(function (keys) { return Promise.all(keys.map(function (k) { return caches.delete(k); })); });
}

function cacheable(response) {
  if (!response || response.status !== 200 || response.redirected || response.type !== 'basic') return false;
  var ctype = response.headers.get('Content-Type') || '';
  var cc = response.headers.get('Cache-Control') || '';
  return ctype.indexOf('text/html') === 0 && cc.indexOf('no-store') < 0;
}

function pageKey(url) {
  var u = new URL(url);
  u.hash = '';
  return u.href;
}

function networkFirst(request) {
  var key = pageKey(request.url);
  var network = fetch(request).then(function (response) {
    if (cacheable(response)) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (c) { return c.put(key, copy); });
    }
    return response;
  });
  var slow = new Promise(function (resolve) { setTimeout(resolve, NETWORK_TIMEOUT_MS); });
  return Promise.race([network, slow.then(function () { return null; })]).catch(function () { return null; })
    .then(function (response) {
      if (response) return response;
      return caches.match(key, { cacheName: PAGES_CACHE }).then(function (hit) {
        if (hit) return hit;
        // nothing cached: wait for the network after all (slow) or show the offline page (down)
        return network.catch(function () {
          return caches.match(OFFLINE_URL).then(function (off) {
            return off || new Response('<!doctype html><meta charset="utf-8"><title>离线</title><p>当前没有网络。</p>',
              { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
          });
        });
      });
    });
}

function cacheFirst(request) {
  // pages ask for /static/…?v=<hash>; the precache holds the same files without it
  return caches.match(request, { cacheName: STATIC_CACHE, ignoreSearch: true }).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (response && response.status === 200 && response.type === 'basic') {
        var copy = response.clone();
        caches.open(STATIC_CACHE).then(function (c) { return c.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== 'GET') {
    if (request.method === 'POST' && url.pathname === '/logout') event.waitUntil(clearAll());
    return;  // never cached, never answered here
  }
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(cacheFirst(request));
    return;
  }
  if (request.destination === 'image' && /^\/api\/v1\/photos\/\d+\/thumb$/.test(url.pathname)) {
    // a visit's thumbnail: from the network; offline, a grey placeholder instead of a broken image
    event.respondWith(fetch(request).catch(function () {
      return new Response(THUMB_OFFLINE, { headers: { 'Content-Type': 'image/svg+xml' } });
    }));
    return;
  }
  if (request.mode !== 'navigate') return;  // API calls, images, htmx fragments: straight to the network
  if (request.headers.get('HX-Request') || url.pathname.indexOf('/api/') === 0) return;
  if (NEVER_CACHED.indexOf(url.pathname) >= 0) return;
  event.respondWith(networkFirst(request));
});

/* The page asks for pages to keep for offline use (the helper's households and their forms). */
function warm(urls) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return Promise.all(urls.map(function (u) {
      return fetch(u, { credentials: 'same-origin', redirect: 'follow' }).then(function (response) {
        if (cacheable(response)) return cache.put(pageKey(new URL(u, self.location.origin).href), response);
      }).catch(function () { /* offline or gone: keep what is cached */ });
    }));
  });
}

self.addEventListener('message', function (event) {
  var data = event.data || {};
  if (data.type === 'warm' && Array.isArray(data.urls)) {
    event.waitUntil(warm(data.urls).then(function () {
      if (event.source) event.source.postMessage({ type: 'warmed', count: data.urls.length });
    }));
  }
});

self.addEventListener('sync', function (event) {
  if (event.tag !== 'bangfu-outbox') return;
  event.waitUntil(self.BangfuOutbox.flush({ origin: 'sync' }).then(function (result) {
    // items still waiting for the network: let the browser try this sync again later
    if (result && result.retry) throw new Error('outbox: ' + result.retry + ' waiting');
  }));
});
