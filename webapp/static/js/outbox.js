/* 帮扶通 — the outbox: what was recorded on this phone and not yet acknowledged by the server.
 *
 * Plain script (pages and the service worker both load it). Exposes self.BangfuOutbox:
 *   enqueue(items)  items: {id (the client_uuid), kind ('visit'|'photo'|'attendance'|…), url,
 *                   body (JSON) | blob + fields (multipart, file field fileField or "photo"), parent (the id
 *                   of the item that must arrive first), label}
 *   submit(items)   enqueue, then send now; resolves {pending, items} (what is still queued)
 *   flush(opts)     send what is due; one sender at a time (Web Locks across tabs and the worker)
 *   items(), counts(), retry(id), retryAll(), discard(id), clear(), on(listener) → off()
 *
 * An item leaves only after a 2xx (a replay's 200 included). 401: kept, "log in again".
 * 408/429/5xx/no network: kept, retried with exponential backoff. Any other 4xx is final: kept
 * with the server's reason until the helper discards it (or retries by hand). Photos go after
 * their visit, one request each. A fresh CSRF token is fetched before every round.
 */
(function (global) {
  'use strict';
  var api = global.BangfuApi;
  var DB_NAME = 'bangfu-outbox';
  var STORE = 'items';
  var LOCK = 'bangfu-outbox-send';
  var SYNC_TAG = 'bangfu-outbox';
  var BASE_DELAY = 5000;
  var MAX_DELAY = 10 * 60 * 1000;
  var RETRYABLE = [0, 408, 425, 429, 500, 502, 503, 504];
  var dbPromise = null;
  var listeners = [];
  var running = null;
  var timer = null;
  var seq = 0;
  var netFailures = 0;        // rounds in a row that could not reach the server at all
  var pausedUntil = 0;        // …and when the automatic retries may try again
  var inWindow = typeof document !== 'undefined';

  /* ---- storage ---- */
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: 'id' }); };
        req.onsuccess = function () {
          var conn = req.result;
          conn.onversionchange = function () { conn.close(); dbPromise = null; };
          resolve(conn);
        };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }

  function run(mode, fn) {
    return db().then(function (conn) {
      return new Promise(function (resolve, reject) {
        var tx = conn.transaction(STORE, mode);
        var out = fn(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function items() {
    return run('readonly', function (s) { return s.getAll(); }).then(function (list) {
      return (list || []).sort(function (a, b) { return a.created - b.created || a.seq - b.seq; });
    });
  }

  function put(item) { return run('readwrite', function (s) { s.put(item); }); }
  function del(id) { return run('readwrite', function (s) { s.delete(id); }); }

  /* ---- events ---- */
  function emit(type, item, a, b) {
    listeners.slice().forEach(function (fn) { try { fn(type, item, a, b); } catch (e) { /* a listener's bug */ } });
    if (type === 'change' && inWindow) {
      try { global.dispatchEvent(new CustomEvent('bangfu:outbox')); } catch (e) { /* old browser */ }
    }
  }

  function on(fn) {
    listeners.push(fn);
    return function () { listeners = listeners.filter(function (f) { return f !== fn; }); };
  }

  function currentUser() {
    if (!inWindow) return null;
    var meta = document.querySelector('meta[name="bangfu-user"]');
    return meta ? meta.content : null;
  }

  /* ---- queueing ---- */
  function enqueue(list) {
    list = Array.isArray(list) ? list : [list];
    var now = Date.now();
    var user = currentUser();
    return Promise.all(list.map(function (it) {
      var item = {
        id: String(it.id), kind: it.kind, url: it.url, body: it.body || null, blob: it.blob || null,
        fields: it.fields || null, fileField: it.fileField || null, parent: it.parent || null, label: it.label || it.kind,
        user: it.user || user, created: now, seq: seq++, state: 'waiting', attempts: 0, next_at: 0,
        error: null, errors: null, status: null
      };
      return put(item);
    })).then(function () {
      emit('change');
      persist();
      registerSync();
    });
  }

  var persistAsked = false;
  function persist() {
    if (persistAsked || !inWindow || !navigator.storage || !navigator.storage.persist) return Promise.resolve(false);
    persistAsked = true;
    return navigator.storage.persisted().then(function (already) {
      return already || navigator.storage.persist();
    }).catch(function () { return false; });
  }

  function registerSync() {
    if (!inWindow || !('serviceWorker' in navigator)) return;
    navigator.serviceWorker.getRegistration().then(function (reg) {
      if (reg && reg.sync) return reg.sync.register(SYNC_TAG);
    }).catch(function () { /* no Background Sync here: the page's own retries carry on */ });
  }

  /* ---- sending ---- */
  function backoff(attempts) {
    var d = Math.min(MAX_DELAY, BASE_DELAY * Math.pow(2, Math.max(0, attempts - 1)));
    return Math.round(d * (0.75 + Math.random() * 0.5));
  }

  function sendOne(item, token) {
    return api.send(item, token, function (loaded, total) { emit('progress', item, loaded, total); });
  }

  function isCsrfError(res) {
    return res.status === 400 && res.body && res.body.errors && res.body.errors.csrf_token;
  }

  function settle(item, state, extra) {
    Object.keys(extra || {}).forEach(function (k) { item[k] = extra[k]; });
    item.state = state;
    return put(item).then(function () { emit('change'); });
  }

  function offline() {
    return typeof navigator !== 'undefined' && navigator.onLine === false;
  }

  /* One round: everything due, in order. Resolves {sent, retry, errors, auth, offline}.
   * opts.eager (the page opened, the phone came back online, the helper pressed 重试): try now,
   * whatever the backoff says; the automatic retries (timer, Background Sync) respect it. */
  function round(opts) {
    var result = { sent: 0, retry: 0, errors: 0, auth: false, offline: false };
    var eager = !!(opts && opts.eager);
    return items().then(function (list) {
      if (!list.length) return result;
      // a send cut off by a closed page or a killed worker is simply due again
      var stale = list.filter(function (i) { return i.state === 'sending'; });
      return Promise.all(stale.map(function (i) { i.state = 'waiting'; return put(i); })).then(function () {
        if (offline()) { result.offline = true; result.retry = list.length; return result; }
        if (!eager && Date.now() < pausedUntil) { result.offline = true; result.retry = list.length; return result; }
        return api.getJSON('/api/v1/me').then(function (me) {
          if (me.status === 401 || me.status === 0 || me.status === 302) {
            result.auth = true;
            return Promise.all(list.filter(function (i) { return i.state !== 'error'; }).map(function (i) {
              return settle(i, 'auth', { error: '登录已过期：请重新登录，登录后会自动上传。' });
            })).then(function () { return result; });
          }
          if (me.status !== 200) throw new Error('me ' + me.status);
          var uid = String(me.body.id);
          return api.freshCsrf().then(function (token) {
            return sendDue(list, uid, token, result, eager);
          });
        });
      });
    }).then(function (r) {
      if (r.offline) {
        netFailures++;
        pausedUntil = Date.now() + backoff(netFailures);
      } else {
        netFailures = 0;
        pausedUntil = 0;
      }
      return r;
    }, function () {
      // the network failed before anything was sent (or between items): try again later
      netFailures++;
      pausedUntil = Date.now() + backoff(netFailures);
      result.offline = true;
      return items().then(function (left) {
        result.retry = left.filter(function (i) { return i.state !== 'error'; }).length;
        return result;
      });
    });
  }

  function sendDue(list, uid, token, result, eager) {
    var now = Date.now();
    var queued = {};
    list.forEach(function (i) { queued[i.id] = i; });
    var i = 0;

    function next() {
      if (i >= list.length) return Promise.resolve(result);
      var item = list[i++];
      if (!queued[item.id]) return next();
      if (item.user && item.user !== uid) {
        // queued by another account on this phone: never sent under this one
        result.errors++;
        if (item.state === 'other') return next();
        return settle(item, 'other', { error: '这条记录是另一个账号在本机保存的：请用那个账号登录后上传，或丢弃。' }).then(next);
      }
      if (item.state === 'error') { result.errors++; return next(); }  // until retried by hand
      var parent = item.parent && queued[item.parent];
      if (parent) {
        // its visit has not been acknowledged yet: wait (or show why, when the visit failed)
        if (parent.state === 'error') {
          result.errors++;
          return settle(item, 'blocked', { error: '所属记录未能上传，请先处理它。' }).then(next);
        }
        result.retry++;
        return next();
      }
      if (!eager && item.next_at && item.next_at > now) { result.retry++; return next(); }
      return settle(item, 'sending', {}).then(function () {
        return attempt(item, token, true);
      }).then(function (outcome) {
        if (outcome === 'stop') return result;
        return next();
      });
    }

    function attempt(item, tok, csrfRetry) {
      return sendOne(item, tok).then(function (res) {
        if (res.status >= 200 && res.status < 300) {
          delete queued[item.id];
          result.sent++;
          return del(item.id).then(function () {
            emit('sent', item, res.body);
            emit('change');
            return 'ok';
          });
        }
        if (isCsrfError(res) && csrfRetry) {
          return api.freshCsrf().then(function (fresh) { token = fresh; return attempt(item, fresh, false); });
        }
        var message = api.errorText(res.body, res.status);
        if (res.status === 401) {
          result.auth = true;
          return settle(item, 'auth', { error: '登录已过期：请重新登录，登录后会自动上传。', status: 401 })
            .then(function () { emit('failed', item, item.error); return 'stop'; });
        }
        if (RETRYABLE.indexOf(res.status) >= 0 || (res.status >= 500 && res.status < 600)) {
          result.retry++;
          item.attempts++;
          return settle(item, 'retry', { error: message, status: res.status, next_at: Date.now() + backoff(item.attempts) })
            .then(function () { emit('failed', item, message); return 'ok'; });
        }
        result.errors++;
        return settle(item, 'error', { error: message, errors: res.body && res.body.errors, status: res.status })
          .then(function () { emit('failed', item, message); return 'ok'; });
      }, function () {
        // no answer at all: the network (or the server) is gone; everything else would fail too
        result.retry++;
        result.offline = true;
        item.attempts++;
        return settle(item, 'retry', { error: api.errorText(null, 0), status: 0, next_at: Date.now() + backoff(item.attempts) })
          .then(function () { emit('failed', item, item.error); return 'stop'; });
      });
    }

    return next();
  }

  function withLock(fn) {
    if (typeof navigator !== 'undefined' && navigator.locks && navigator.locks.request) {
      return navigator.locks.request(LOCK, fn);
    }
    return fn();
  }

  /* Send what is due. Rounds repeat while the last one sent something (a photo becomes due when
   * its visit is acknowledged). Concurrent calls in one context share the running flush. */
  function flush(opts) {
    if (running) return running;
    emit('flushing', null, true);
    running = withLock(function () {
      var total = { sent: 0, retry: 0, errors: 0, auth: false, offline: false };
      function loop(n) {
        return round(opts).then(function (r) {
          total.sent += r.sent;
          total.retry = r.retry; total.errors = r.errors; total.auth = r.auth; total.offline = r.offline;
          if (r.sent > 0 && !r.auth && !r.offline && n < 20) return loop(n + 1);
          return total;
        });
      }
      return loop(0);
    }).then(function (total) {
      running = null;
      emit('flushing', null, false);
      emit('change');
      schedule();
      return total;
    }, function (err) {
      running = null;
      emit('flushing', null, false);
      schedule();
      throw err;
    });
    return running;
  }

  /* The page's own retry timer (Background Sync is not everywhere). */
  function schedule() {
    if (!inWindow) return;
    if (timer) { clearTimeout(timer); timer = null; }
    items().then(function (list) {
      var due = list.filter(function (i) { return i.state === 'retry' || i.state === 'waiting'; })
        .map(function (i) { return i.next_at || Date.now(); });
      if (!due.length) return;
      var wait = Math.max(1000, Math.max(pausedUntil, Math.min.apply(null, due)) - Date.now());
      timer = setTimeout(function () { timer = null; flush(); }, Math.min(wait, MAX_DELAY));
    }).catch(function () { /* storage gone (private mode closing) */ });
  }

  function submit(list) {
    var ids = (Array.isArray(list) ? list : [list]).map(function (i) { return String(i.id); });
    // a flush already under way may have read the queue before these items: let it end, then send
    var prior = running ? running.catch(function () { return null; }) : Promise.resolve();
    return enqueue(list).then(function () { return prior; }).then(function () {
      return flush({ eager: true }).catch(function () { return null; });
    }).then(items).then(function (left) {
      var mine = left.filter(function (i) { return ids.indexOf(i.id) >= 0; });
      return { pending: mine.length, items: mine };
    });
  }

  function update(id, fn) {
    return run('readonly', function (s) { return s.get(id); }).then(function (item) {
      if (!item) return null;
      fn(item);
      return put(item).then(function () { emit('change'); return item; });
    });
  }

  function retry(id) {
    return update(id, function (i) { i.state = 'waiting'; i.next_at = 0; i.error = null; }).then(function () {
      return flush({ eager: true });
    });
  }

  function retryAll() {
    return items().then(function (list) {
      return Promise.all(list.map(function (i) {
        i.next_at = 0;
        if (i.state !== 'error') i.state = 'waiting';
        return put(i);
      }));
    }).then(function () { emit('change'); return flush({ eager: true }); });
  }

  /* Discarding a record discards its photos too. */
  function discard(id) {
    return items().then(function (list) {
      var gone = list.filter(function (i) { return i.id === id || i.parent === id; });
      return Promise.all(gone.map(function (i) { return del(i.id); }));
    }).then(function () { emit('change'); });
  }

  function clear() {
    return run('readwrite', function (s) { s.clear(); }).then(function () { emit('change'); });
  }

  function counts() {
    return items().then(function (list) {
      var c = { records: 0, photos: 0, errors: 0, auth: 0, total: list.length };
      list.forEach(function (i) {
        if (i.blob && i.kind !== 'signature') c.photos++; else c.records++;
        if (i.state === 'error' || i.state === 'blocked' || i.state === 'other') c.errors++;
        if (i.state === 'auth') c.auth++;
      });
      return c;
    });
  }

  global.BangfuOutbox = {
    enqueue: enqueue, submit: submit, flush: flush, items: items, counts: counts, retry: retry,
    retryAll: retryAll, discard: discard, clear: clear, on: on, persist: persist, backoff: backoff,
    isFlushing: function () { return !!running; }
  };
})(self);
