/* 帮扶通 — on every page: the service worker, the outbox banner and its sending, pages kept for
 * offline use, the outbox page, and logging out (which clears this phone's caches and outbox). */
(function () {
  'use strict';
  var ob = self.BangfuOutbox;
  var userMeta = document.querySelector('meta[name="bangfu-user"]');
  var loggedIn = !!userMeta;
  var role = (document.querySelector('meta[name="bangfu-role"]') || {}).content;
  var $ = function (id) { return document.getElementById(id); };

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () { /* no secure context */ });
  }

  /* ---- the banner: 待上传 3 条，照片 5 张 ---- */
  function summary(c) {
    var text = '待上传 ' + c.records + ' 条，照片 ' + c.photos + ' 张';
    if (ob.isFlushing()) text += ' · 正在上传…';
    if (c.errors) text += ' · ' + c.errors + ' 条未能上传';
    if (c.auth) text += ' · 请重新登录';
    return text;
  }

  function render() {
    if (!ob) return;
    ob.counts().then(function (c) {
      var banner = $('outbox-status');
      if (banner) {
        banner.hidden = !c.total;
        banner.textContent = c.total ? summary(c) : '';
        banner.classList.toggle('bad', !!(c.errors || c.auth));
      }
      renderList(c);
      renderPending();
    }).catch(function () { /* IndexedDB unavailable (private mode) */ });
  }

  function netStatus() {
    var el = $('net-status');
    if (el) el.hidden = navigator.onLine !== false;
  }

  /* ---- the outbox page: each item and its state ---- */
  var STATES = {
    waiting: '待上传', sending: '上传中…', retry: '等待重试', error: '未能上传', blocked: '等待', auth: '需要重新登录',
    other: '其他账号的记录'
  };

  function when(ms) {
    var d = new Date(ms);
    var p = function (n) { return (n < 10 ? '0' : '') + n; };
    return (d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes());
  }

  function button(text, cls, fn) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'small' + (cls ? ' ' + cls : '');
    b.textContent = text;
    b.addEventListener('click', fn);
    return b;
  }

  function renderList(c) {
    var list = $('outbox-list');
    if (!list) return;
    var head = $('outbox-summary');
    if (head) head.textContent = c.total ? summary(c) : '没有待上传的记录，全部已上传。';
    var retryAll = $('outbox-retry-all');
    if (retryAll) retryAll.hidden = !c.total;
    ob.items().then(function (items) {
      list.textContent = '';
      items.forEach(function (item) {
        var li = document.createElement('li');
        li.className = 'outbox-item state-' + item.state;
        li.dataset.id = item.id;
        li.dataset.kind = item.kind;
        var title = document.createElement('strong');
        title.textContent = item.label || item.kind;
        var meta = document.createElement('small');
        meta.className = 'hint';
        var state = STATES[item.state] || item.state;
        if (item.state === 'retry' && item.next_at) state += '（' + when(item.next_at).slice(-5) + ' 自动重试）';
        meta.textContent = '记录于 ' + when(item.created) + ' · ' + state + (item.blob ? ' · ' + Math.round(item.blob.size / 1024) + ' KB' : '');
        var info = document.createElement('div');
        info.appendChild(title);
        info.appendChild(meta);
        if (item.error) {
          var err = document.createElement('p');
          err.className = 'error';
          err.textContent = item.error;
          info.appendChild(err);
        }
        var actions = document.createElement('div');
        actions.className = 'actions';
        actions.appendChild(button('重试', '', function () { ob.retry(item.id); }));
        if (['error', 'blocked', 'auth', 'other'].indexOf(item.state) >= 0) {
          actions.appendChild(button('丢弃', 'danger', function () {
            var what = item.kind === 'photo' ? '这张照片' : '这条记录' + (item.kind === 'visit' ? '及其照片' : '');
            if (window.confirm('丢弃' + what + '？丢弃后无法恢复。')) ob.discard(item.id);
          }));
        }
        li.appendChild(info);
        li.appendChild(actions);
        list.appendChild(li);
      });
    });
    var persisted = $('outbox-persist');
    if (persisted && navigator.storage && navigator.storage.persisted) {
      navigator.storage.persisted().then(function (yes) {
        persisted.textContent = yes ? '本机已允许长期保存这些记录。' : '浏览器可能在存储空间不足时清理未上传的记录，请尽快联网上传。';
      });
    }
  }

  /* ---- the household page: its visits still on this phone ---- */
  function renderPending() {
    var list = $('pending-visits');
    if (!list) return;
    var hid = parseInt(list.dataset.householdId, 10);
    ob.items().then(function (items) {
      var visits = items.filter(function (i) { return i.kind === 'visit' && i.body && i.body.household_id === hid; });
      list.textContent = '';
      visits.forEach(function (v) {
        var photos = items.filter(function (i) { return i.parent === v.id && i.kind === 'photo'; }).length;
        var li = document.createElement('li');
        li.className = 'visit pending-visit';
        var head = document.createElement('strong');
        head.textContent = String(v.body.checked_in_at || '').slice(0, 16).replace('T', ' ');
        var badge = document.createElement('b');
        badge.className = 'badge ' + (v.state === 'error' ? 'bad' : 'info');
        badge.textContent = v.state === 'error' ? '未能上传' : '待上传';
        var note = document.createElement('p');
        note.className = 'notes';
        note.textContent = v.body.notes || '';
        var meta = document.createElement('small');
        meta.className = 'hint';
        meta.textContent = '照片 ' + photos + ' 张 · ' + (v.state === 'error' ? v.error : '保存在手机上，有信号时自动上传');
        li.appendChild(head); li.appendChild(badge); li.appendChild(note); li.appendChild(meta);
        list.appendChild(li);
      });
      list.hidden = !visits.length;
    });
  }

  /* ---- pages kept for offline use: home, the nav pages, the helper's households and forms ---- */
  function warm() {
    if (!loggedIn || navigator.onLine === false || !('serviceWorker' in navigator)) return;
    var key = 'bangfu-warm-' + userMeta.content;
    var last = parseInt(sessionStorage.getItem(key) || '0', 10);
    if (Date.now() - last < 10 * 60 * 1000) return;
    var urls = ['/', '/outbox'];
    document.querySelectorAll('.bottomnav a[href^="/"]').forEach(function (a) { urls.push(a.getAttribute('href')); });
    var households = role === 'helper'
      ? self.BangfuApi.getJSON('/api/v1/me/households').then(function (r) { return r.status === 200 && r.body ? r.body : { households: [] }; })
      : Promise.resolve({ households: [] });
    Promise.all([navigator.serviceWorker.ready, households]).then(function (res) {
      var reg = res[0];
      res[1].households.forEach(function (h) {
        urls.push('/households/' + h.id, '/households/' + h.id + '/visits/new');
      });
      if (!reg.active) return;
      var unique = urls.filter(function (u, i) { return urls.indexOf(u) === i; });
      reg.active.postMessage({ type: 'warm', urls: unique });
      sessionStorage.setItem(key, String(Date.now()));
    }).catch(function () { /* try again next page */ });
  }

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', function (e) {
      if (!e.data) return;
      if (e.data.type === 'warmed') document.documentElement.dataset.warmed = String(e.data.count);
      if (e.data.type === 'activated' && loggedIn) {
        // a new version started with empty caches: keep this account's pages again
        sessionStorage.removeItem('bangfu-warm-' + userMeta.content);
        warm();
      }
    });
  }

  /* ---- logging out: nothing of this account stays on the phone ---- */
  function clearCaches() {
    if (!self.caches) return Promise.resolve();
    return caches.keys().then(function (keys) { return Promise.all(keys.map(function (k) { return caches.delete(k); })); });
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.querySelector('[data-logout]') || form.dataset.cleared) return;
    e.preventDefault();
    var check = ob ? ob.counts() : Promise.resolve({ total: 0 });
    check.then(function (c) {
      if (c.total && !window.confirm('还有 ' + c.records + ' 条记录、' + c.photos +
          ' 张照片没有上传。退出登录会从本机删除它们，确定退出吗？（建议先联网上传）')) return;
      return Promise.all([ob ? ob.clear() : null, clearCaches()]).catch(function () { return null; }).then(function () {
        sessionStorage.clear();
        form.dataset.cleared = '1';
        form.submit();
      });
    });
  });

  /* another account logged in on this phone (a session that expired without logging out):
   * the pages kept for offline use were the other account's */
  if (loggedIn) {
    try {
      var last = localStorage.getItem('bangfu-last-user');
      if (last && last !== userMeta.content) clearCaches();
      localStorage.setItem('bangfu-last-user', userMeta.content);
    } catch (e) { /* storage disabled */ }
  }

  /* ---- when to send: now, back online, back to the page, and on the outbox's own timer ---- */
  if (ob) {
    window.addEventListener('bangfu:outbox', render);
    ob.on(function (type) { if (type === 'flushing') render(); });
    window.addEventListener('online', function () { netStatus(); if (loggedIn) ob.flush({ eager: true }); });
    window.addEventListener('offline', function () { netStatus(); render(); });
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible' && loggedIn) ob.flush({ eager: true });
    });
    var retryAll = $('outbox-retry-all');
    if (retryAll) retryAll.addEventListener('click', function () { ob.retryAll(); });
    render();
    if (loggedIn) ob.flush({ eager: true }).catch(function () { /* storage unavailable */ });
  }
  netStatus();
  warm();
})();
