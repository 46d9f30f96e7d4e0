/* 帮扶通 — correcting a returned (退回) visit from the phone: added photos go to
 * the visit's photo endpoint, then the amended notes and the answer to the comment go to
 * POST /api/v1/visits/<client_uuid>/amendments {client_uuid, notes, reply}; all through the
 * outbox (static/js/outbox.js), so a phone without signal sends them later, in that order. */
(function () {
  'use strict';
  var form = document.getElementById('amend-form');
  if (!form || !self.BangfuApi || !self.BangfuPhotos || !self.BangfuOutbox) return;
  var api = self.BangfuApi, pics = self.BangfuPhotos, ob = self.BangfuOutbox;
  var d = form.dataset;
  var MAX_PHOTOS = parseInt(d.maxPhotos, 10) || 0;
  var LONG_EDGE = parseInt(d.longEdge, 10) || 1600;
  var MAX_BYTES = parseInt(d.maxBytes, 10) || 10485760;
  var amendUuid = api.uuid();  // one per correction: a double tap is the same amendment
  var original = form.elements.notes.value;
  var photos = [];
  var busy = false;
  var $ = function (id) { return document.getElementById(id); };

  function errors(map) {
    form.querySelectorAll('[data-error-for]').forEach(function (el) { el.textContent = ''; });
    var rest = [];
    Object.keys(map || {}).forEach(function (k) {
      var el = form.querySelector('[data-error-for="' + k + '"]');
      var msg = [].concat(map[k]).join('；');
      if (el) el.textContent = msg; else rest.push(msg);
    });
    $('amend-errors').textContent = rest.join('；');
    $('amend-errors').hidden = !rest.length;
  }

  $('amend-photo-input').addEventListener('change', function (e) {
    var files = Array.prototype.slice.call(e.target.files || []);
    e.target.value = '';
    var room = MAX_PHOTOS - photos.length;
    if (files.length > room) {
      errors({ _photos: ['这次走访最多还能补充 ' + Math.max(0, room) + ' 张照片。'] });
      files = files.slice(0, Math.max(0, room));
    }
    files.reduce(function (chain, file) {
      return chain.then(function () {
        var captured = file.lastModified ? new Date(file.lastModified) : new Date();
        return pics.downsize(file, LONG_EDGE, MAX_BYTES).then(function (blob) {
          var p = { uuid: api.uuid(), blob: blob, capturedAt: api.isoWithOffset(captured) };
          photos.push(p);
          var li = document.createElement('li');
          li.className = 'photo';
          var img = document.createElement('img');
          img.alt = '补充照片预览';
          img.src = URL.createObjectURL(blob);
          var state = document.createElement('small');
          state.className = 'state';
          state.textContent = '待上传 · ' + Math.round(blob.size / 1024) + ' KB';
          li.appendChild(img); li.appendChild(state);
          $('amend-photo-list').appendChild(li);
          p.stateEl = state;
        }, function () { errors({ _photos: ['有一张照片无法读取或太大，未添加。'] }); });
      });
    }, Promise.resolve());
  });

  function items() {
    var label = d.label || '';
    var list = photos.map(function (p, i) {
      return { id: p.uuid, kind: 'photo', url: d.photosUrl, blob: p.blob,
        fields: { client_uuid: p.uuid, captured_at: p.capturedAt }, label: label + ' 补充照片 ' + (i + 1) };
    });
    list.push({ id: amendUuid, kind: 'amendment', url: d.amendUrl, label: label + ' 整改',
      body: { client_uuid: amendUuid, notes: form.elements.notes.value.trim(), reply: form.elements.reply.value.trim() } });
    return list;
  }

  function viaOutbox(list) {
    return ob.submit(list).then(function (res) {
      if (!res.pending) return { pending: 0 };
      var bad = res.items.filter(function (i) { return i.state === 'error'; })[0];
      if (!bad) return { pending: res.pending, queued: true };
      // refused by the server: fix and send again (a new amendment), nothing of it stays queued
      return ob.discard(bad.id).then(function () {
        return { pending: res.pending, failed: { item: bad, message: bad.error, errors: bad.errors } };
      });
    });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (busy) return;
    errors({});
    var notes = form.elements.notes.value.trim();
    if (notes.length < 5) { errors({ notes: ['请填写走访内容（至少 5 个字）。'] }); return; }
    if (notes === original.trim() && !form.elements.reply.value.trim() && !photos.length) {
      errors({ reply: ['请补充照片、修改走访情况或答复书记，再提交。'] });
      return;
    }
    busy = true;
    $('amend-save').disabled = true;
    $('amend-status').textContent = '正在提交…';
    viaOutbox(items()).then(function (r) {
      if (!r.pending) {
        $('amend-status').textContent = '已提交整改，等待书记复核。';
        window.location.href = d.returnUrl;
        return;
      }
      if (r.queued) {
        $('amend-status').textContent = '已保存在手机上，有信号时会自动上传，然后交书记复核。';
        return;
      }
      busy = false;
      $('amend-save').disabled = false;
      if (r.failed.item.kind === 'amendment') amendUuid = api.uuid();
      errors(r.failed.errors && !r.failed.item.blob ? r.failed.errors : { _send: [r.failed.message] });
      $('amend-status').textContent = '整改没有提交成功：' + r.failed.message;
    }, function () {
      busy = false;
      $('amend-save').disabled = false;
      $('amend-status').textContent = '无法在手机上保存（浏览器存储不可用），请联网后再提交。';
    });
  });
})();
