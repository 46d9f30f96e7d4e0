/* 帮扶通 — the visit form: position, photos downsized on the phone, notes, checklist, measures.
 * Saving makes the very requests of the JSON API (one visit, then one per photo) as items
 * {id, kind, url, body | blob+fields, parent}; they go through the offline outbox
 * (static/js/outbox.js), or straight to the server where the outbox is missing. */
(function () {
  'use strict';
  var form = document.getElementById('visit-form');
  if (!form || !self.BangfuApi) return;
  var api = self.BangfuApi;
  var d = form.dataset;
  var LONG_EDGE = parseInt(d.longEdge, 10) || 1600;
  var MAX_PHOTOS = parseInt(d.maxPhotos, 10) || 9;
  var MAX_BYTES = parseInt(d.maxBytes, 10) || 10485760;
  var GEOFENCE = parseFloat(d.geofenceM) || 300;
  var ACC_FLAG = parseFloat(d.accuracyFlagM) || 200;
  var hhLat = d.lat ? parseFloat(d.lat) : null;
  var hhLng = d.lng ? parseFloat(d.lng) : null;

  var visitUuid = api.uuid();   // one per form: a double tap or a resend is the same visit
  var fix = null;               // {latitude, longitude, accuracy, at}
  var photos = [];              // {uuid, blob, capturedAt, li, bar, state}
  var saving = false;
  var sentIds = {};             // items the server already acknowledged (a second tap resends only the rest)

  var $ = function (id) { return document.getElementById(id); };

  /* ---- position ---- */
  function distanceM(lat1, lng1, lat2, lng2) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dp = (lat2 - lat1) * rad, dl = (lng2 - lng1) * rad;
    var a = Math.sin(dp / 2) * Math.sin(dp / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function geoStatus(text, kind) {
    var el = $('geo-status');
    el.textContent = text;
    el.className = 'notice' + (kind ? ' ' + kind : '');
  }

  function showFix() {
    $('geo-facts').hidden = false;
    var acc = Math.round(fix.accuracy);
    $('geo-accuracy').textContent = '±' + acc + ' 米' + (fix.accuracy > ACC_FLAG ? '（精度较差，会被标记）' : '');
    $('geo-time').textContent = api.isoWithOffset(fix.at).slice(0, 16).replace('T', ' ');
    var dist = $('geo-distance');
    if (hhLat === null) {
      dist.textContent = '这户尚未定位';
    } else {
      var m = Math.round(distanceM(fix.latitude, fix.longitude, hhLat, hhLng));
      dist.textContent = m + ' 米' + (m <= GEOFENCE ? '（在 ' + GEOFENCE + ' 米范围内）' : '（超出 ' + GEOFENCE + ' 米范围，会被标记）');
    }
    var warn = fix.accuracy > ACC_FLAG || (hhLat !== null && distanceM(fix.latitude, fix.longitude, hhLat, hhLng) > GEOFENCE);
    geoStatus(warn ? '已定位，但位置可能有问题，请看下面的提示。' : '已定位，可以签到。', warn ? 'warn' : 'ok');
  }

  var GEO_ERRORS = {
    1: '无法获取位置：您拒绝了定位权限。请在浏览器或手机设置里允许本网站使用位置信息，然后点“重新定位”。',
    2: '无法获取位置：手机没有定位信号。请打开 GPS（位置信息），走到室外或开阔处，再点“重新定位”。',
    3: '定位超时：30 秒内没有得到位置。请走到开阔处，再点“重新定位”。'
  };

  function locate() {
    if (!('geolocation' in navigator)) {
      geoStatus('此浏览器不能定位（或网页不是通过 HTTPS 打开的），无法签到。', 'error');
      return;
    }
    geoStatus('正在获取位置…（请允许浏览器使用位置信息）');
    $('geo-retry').disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      $('geo-retry').disabled = false;
      fix = { latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy: pos.coords.accuracy, at: new Date() };
      showFix();
    }, function (err) {
      $('geo-retry').disabled = false;
      geoStatus(GEO_ERRORS[err.code] || ('无法获取位置：' + err.message), 'error');
    }, { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 });
  }

  /* ---- photos ---- */
  function decode(file) {
    if (self.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: 'from-image' }).catch(function () { return viaImg(file); });
    }
    return viaImg(file);
  }

  function viaImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error('decode')); };
      img.src = url;
    });
  }

  /* long edge ≤ LONG_EDGE, JPEG; canvas drops EXIF, so the capture time travels separately */
  function downsize(file) {
    return decode(file).then(function (src) {
      var w = src.naturalWidth || src.width, h = src.naturalHeight || src.height;
      var scale = Math.min(1, LONG_EDGE / Math.max(w, h));
      var canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      canvas.getContext('2d').drawImage(src, 0, 0, canvas.width, canvas.height);
      if (src.close) src.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (b) { b ? resolve(b) : reject(new Error('encode')); }, 'image/jpeg', 0.85);
      });
    });
  }

  function photoStatus() {
    var n = photos.length;
    $('photo-status').textContent = n ? ('已选 ' + n + ' 张照片' + (n >= MAX_PHOTOS ? '（已达上限）' : '')) : '';
  }

  function addPhotoRow(p) {
    var li = document.createElement('li');
    li.className = 'photo';
    var img = document.createElement('img');
    img.alt = '照片预览';
    img.src = URL.createObjectURL(p.blob);
    var info = document.createElement('div');
    var bar = document.createElement('progress');
    bar.max = 100; bar.value = 0;
    var state = document.createElement('small');
    state.className = 'state';
    state.textContent = '待上传 · ' + Math.round(p.blob.size / 1024) + ' KB';
    var rm = document.createElement('button');
    rm.type = 'button'; rm.className = 'small'; rm.textContent = '移除';
    rm.addEventListener('click', function () {
      if (saving) return;
      photos.splice(photos.indexOf(p), 1);
      li.remove();
      photoStatus();
    });
    info.appendChild(bar); info.appendChild(state);
    li.appendChild(img); li.appendChild(info); li.appendChild(rm);
    $('photo-list').appendChild(li);
    p.li = li; p.bar = bar; p.stateEl = state; p.removeBtn = rm;
  }

  function onFiles(e) {
    var files = Array.prototype.slice.call(e.target.files || []);
    e.target.value = '';
    var room = MAX_PHOTOS - photos.length;
    if (files.length > room) {
      $('photo-status').textContent = '每次走访最多 ' + MAX_PHOTOS + ' 张照片，多出的 ' + (files.length - room) + ' 张未添加。';
      files = files.slice(0, Math.max(0, room));
    }
    files.reduce(function (chain, file) {
      return chain.then(function () {
        var captured = file.lastModified ? new Date(file.lastModified) : new Date();
        return downsize(file).catch(function () {
          // the phone cannot decode it (e.g. HEIC in some browsers): the server can, if not too big
          if (file.size <= MAX_BYTES) return file;
          throw new Error('too big');
        }).then(function (blob) {
          var p = { uuid: api.uuid(), blob: blob, capturedAt: api.isoWithOffset(captured) };
          photos.push(p);
          addPhotoRow(p);
          photoStatus();
        }).catch(function () {
          $('photo-status').textContent = '有一张照片无法读取或太大，未添加。';
        });
      });
    }, Promise.resolve());
  }

  /* ---- the requests ---- */
  function checked(name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : null;
  }

  function buildVisit() {
    var checklist = {};
    form.querySelectorAll('fieldset.yesno').forEach(function (fs) {
      var code = fs.dataset.check;
      var v = checked('check_' + code);
      var note = (form.querySelector('input[name="checknote_' + code + '"]').value || '').trim();
      if (v !== null || note) checklist[code] = { ok: v === null ? null : v === 'yes', note: note };
    });
    var subsidies = [];
    form.querySelectorAll('fieldset.subsidy').forEach(function (fs) {
      var v = checked('subsidy_' + fs.dataset.member + '_' + fs.dataset.item);
      if (v) subsidies.push({ member_id: parseInt(fs.dataset.member, 10), item: fs.dataset.item, answer: v });
    });
    var measures = Array.prototype.map.call(form.querySelectorAll('input[name="measures_done"]:checked'),
      function (el) { return parseInt(el.value, 10); });
    var confirm = form.querySelector('input[name="confirm_location"]');
    return {
      client_uuid: visitUuid,
      household_id: parseInt(d.householdId, 10),
      checked_in_at: api.isoWithOffset(fix.at),
      latitude: fix.latitude, longitude: fix.longitude, accuracy_m: fix.accuracy,
      notes: form.elements.notes.value.trim(),
      problems: form.elements.problems.value.trim(),
      next_steps: form.elements.next_steps.value.trim(),
      checklist: checklist, measures_done: measures, subsidies: subsidies,
      confirm_location: !!(confirm && confirm.checked)
    };
  }

  function items() {
    var label = d.householdLabel || '';
    var list = [{ id: visitUuid, kind: 'visit', url: d.visitsUrl, body: buildVisit(), label: label + ' 走访' }];
    var photoUrl = d.photosUrl.replace('00000000-0000-0000-0000-000000000000', visitUuid);
    photos.forEach(function (p, i) {
      list.push({ id: p.uuid, kind: 'photo', parent: visitUuid, url: photoUrl, blob: p.blob,
        fields: { client_uuid: p.uuid, captured_at: p.capturedAt }, label: label + ' 照片 ' + (i + 1) });
    });
    return list;
  }

  /* ---- saving ---- */
  function fieldErrors(errors) {
    form.querySelectorAll('[data-error-for]').forEach(function (el) { el.textContent = ''; });
    var rest = [];
    Object.keys(errors || {}).forEach(function (k) {
      var el = form.querySelector('[data-error-for="' + k.split('.')[0] + '"]');
      var msg = [].concat(errors[k]).join('；');
      if (el) el.textContent = msg; else rest.push(msg);
    });
    var box = $('save-errors');
    box.textContent = rest.join('；');
    box.hidden = !rest.length;
  }

  function photoByUuid(id) {
    for (var i = 0; i < photos.length; i++) if (photos[i].uuid === id) return photos[i];
    return null;
  }

  var hooks = {
    progress: function (item, loaded, total) {
      var p = photoByUuid(item.id);
      if (p) { p.bar.value = Math.round(100 * loaded / total); p.stateEl.textContent = '上传中 ' + p.bar.value + '%'; }
    },
    sent: function (item) {
      sentIds[item.id] = true;
      if (item.kind === 'visit') lockVisitFields();
      var p = photoByUuid(item.id);
      if (p) { p.bar.value = 100; p.stateEl.textContent = '已上传'; p.li.classList.add('done'); }
    },
    failed: function (item, message) {
      var p = photoByUuid(item.id);
      if (p) { p.stateEl.textContent = '未上传：' + message; p.li.classList.add('failed'); }
    }
  };

  /* Once the visit is on the server its content is fixed (a changed resend would be a conflict). */
  function lockVisitFields() {
    form.querySelectorAll('#checkin input, #checkin button, #notes textarea, #checklist input, #visit-measures input, #subsidies input')
      .forEach(function (el) { el.disabled = true; });
  }

  /* Without the outbox: send in order, the visit first. */
  function directSend(list) {
    var failed = [];
    return api.freshCsrf().catch(function () { return api.pageCsrf(); }).then(function (token) {
      return list.reduce(function (chain, item) {
        return chain.then(function () {
          if (item.kind === 'photo' && failed.indexOf(item.parent) >= 0) { failed.push(item.id); return; }
          var req;
          if (item.blob) {
            var fd = new FormData();
            Object.keys(item.fields).forEach(function (k) { if (item.fields[k] != null) fd.append(k, item.fields[k]); });
            fd.append('photo', item.blob, item.id + '.jpg');
            req = api.postForm(item.url, fd, token, function (l, t) { hooks.progress(item, l, t); });
          } else {
            req = api.postJSON(item.url, item.body, token);
          }
          return req.then(function (res) {
            if (res.status >= 200 && res.status < 300) { hooks.sent(item, res.body); return; }
            failed.push(item.id);
            if (item.kind === 'visit') fieldErrors(res.body && res.body.errors);
            hooks.failed(item, api.errorText(res.body, res.status));
          }, function () {
            failed.push(item.id);
            hooks.failed(item, api.errorText(null, 0));
          });
        });
      }, Promise.resolve());
    }).then(function () { return { pending: failed.length }; });
  }

  /* With the outbox (every page has it): the items are stored on the phone first, then sent;
   * whatever cannot be sent now stays queued and goes later, exactly once. */
  function outboxSend(list) {
    var ob = self.BangfuOutbox;
    var ids = list.map(function (i) { return i.id; });
    var off = ob.on(function (type, item, a, b) {
      if (!item || ids.indexOf(item.id) < 0) return;
      if (type === 'progress') hooks.progress(item, a, b);
      else if (type === 'sent') hooks.sent(item, a);
      else if (type === 'failed') hooks.failed(item, a);
    });
    return ob.submit(list).then(function (res) {
      off();
      if (!res.pending) return { pending: 0 };
      var visit = res.items.filter(function (i) { return i.kind === 'visit'; })[0];
      if (visit && visit.state === 'error') {
        // the server refused the visit itself: the form must be fixed, so nothing of it stays queued
        fieldErrors(visit.errors || { _schema: [visit.error] });
        return ob.discard(visit.id).then(function () {
          return { pending: res.pending, stay: true, message: '走访没有保存：' + visit.error };
        });
      }
      return { pending: res.pending, queued: true };
    }, function () {
      off();
      return { pending: list.length, stay: true, message: '无法在手机上保存（浏览器存储不可用），请联网后再保存。' };
    });
  }

  function save(e) {
    e.preventDefault();
    if (saving) return;
    var status = $('save-status');
    fieldErrors({});
    if (!fix) { fieldErrors({ _position: ['还没有定位成功，不能签到。请点“重新定位”。'] }); return; }
    if (form.elements.notes.value.trim().length < 5) { fieldErrors({ notes: ['请填写走访内容（至少 5 个字）。'] }); form.elements.notes.focus(); return; }
    saving = true;
    $('save-visit').disabled = true;
    photos.forEach(function (p) { p.removeBtn.disabled = true; });
    status.textContent = '正在保存…';
    var list = items().filter(function (it) { return !sentIds[it.id]; });
    var send = self.BangfuOutbox ? outboxSend(list) : directSend(list, hooks);
    send.then(function (result) {
      if (!result.pending) {
        status.textContent = '已保存。';
        window.location.href = d.returnUrl;
        return;
      }
      if (result.queued) {
        // on the phone, waiting for a signal: the banner on every page shows it until it is sent
        status.textContent = '已保存在手机上，有信号时会自动上传。';
        window.location.href = d.returnUrl;
        return;
      }
      saving = false;
      $('save-visit').disabled = false;
      status.textContent = result.message || '有内容没有保存成功，请看上面的提示后再点“保存走访”。';
    });
  }

  $('geo-retry').addEventListener('click', locate);
  $('photo-input').addEventListener('change', onFiles);
  form.addEventListener('submit', save);
  locate();
})();
