/* 帮扶通 — the visit form: position, photos downsized on the phone, notes, checklist, measures.
 * Saving makes the very requests of the JSON API (one visit, then one per photo) as items
 * {id, kind, url, body | blob+fields, parent}; they go through the offline outbox
 * (static/js/outbox.js, on every page). Position: geo.js; photos: photo-tools.js.
 *
 * Before saving: next to 保存走访 it says what the server will flag and why (its own
 * distance and accuracy, the server's preview for travel and lateness, pictures this phone already
 * sent); outside the geofence or with a poor fix saving asks for a confirmation and a 原因说明;
 * the same household again within 2 hours asks "刚才已保存过一次" first. Where the unit asks for
 * it, the head of household signs (signature-pad.js) or the helper records why not. */
(function () {
  'use strict';
  var form = document.getElementById('visit-form');
  if (!form || !self.BangfuApi || !self.BangfuOutbox) return;
  var api = self.BangfuApi;
  var geo = self.BangfuGeo;
  var d = form.dataset;
  var LONG_EDGE = parseInt(d.longEdge, 10) || 1600;
  var MAX_PHOTOS = parseInt(d.maxPhotos, 10) || 9;
  var MAX_BYTES = parseInt(d.maxBytes, 10) || 10485760;
  var GEOFENCE = parseFloat(d.geofenceM) || 300;
  var ACC_FLAG = parseFloat(d.accuracyFlagM) || 200;
  var hhLat = d.lat ? parseFloat(d.lat) : null;
  var hhLng = d.lng ? parseFloat(d.lng) : null;

  var pics = self.BangfuPhotos;
  var SIG_REQUIRED = d.requireSignature === '1';
  var REPEAT_MS = (parseFloat(d.repeatHours) || 2) * 3600 * 1000;
  var HID = parseInt(d.householdId, 10);
  var USER = (document.querySelector('meta[name="bangfu-user"]') || {}).content || '';
  var visitUuid = api.uuid();   // one per form: a double tap or a resend is the same visit
  var sigUuid = api.uuid();
  var preview = null;           // the server's answer for the current fix: {flags, flag_details, last_here…}
  var previewState = '';        // '' | 'loading' | 'ok' | 'offline'
  var repeatOk = false;         // "刚才已保存过一次" answered: another visit
  var reasonOk = false;         // the confirm step answered with a reason
  var pad = null;               // the signature pad
  var thumbprint = null;        // the 按手印 photo (a Blob)
  var fix = null;               // {latitude, longitude, accuracy, at}
  var photos = [];              // {uuid, blob, capturedAt, li, bar, state}
  var saving = false;
  var sentIds = {};             // items the server already acknowledged (a second tap resends only the rest)

  var $ = function (id) { return document.getElementById(id); };

  /* ---- position ---- */
  var distanceM = geo.distanceM;

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
    reasonOk = false;
    askPreview();
  }

  /* ---- what the server will flag, said before saving ---- */
  function localFlags() {
    var out = [];
    if (!fix) return out;
    if (hhLat !== null) {
      var m = Math.round(distanceM(fix.latitude, fix.longitude, hhLat, hhLng));
      if (m > GEOFENCE) out.push({ code: 'outside_geofence', label: '超出范围', text: '距这户 ' + m + ' 米，超出 ' + GEOFENCE + ' 米范围' });
    }
    if (fix.accuracy > ACC_FLAG) {
      out.push({ code: 'poor_accuracy', label: '定位不准', text: '定位精度 ±' + Math.round(fix.accuracy) + ' 米，超过 ' + ACC_FLAG + ' 米，位置不可靠' });
    }
    return out;
  }

  function photoFlags() {
    var out = [], seen = {};
    photos.forEach(function (p, i) {
      if (!p.fp) return;
      if (seen[p.fp] !== undefined) {
        out.push({ code: 'duplicate_photo', label: '重复照片', text: '照片 ' + (i + 1) + ' 与照片 ' + (seen[p.fp] + 1) + ' 是同一张' });
        return;
      }
      seen[p.fp] = i;
      var used = pics.usedBefore(USER, p.fp);
      if (used) out.push({ code: 'duplicate_photo', label: '重复照片', text: '照片 ' + (i + 1) + ' 已用于' + used.label + '（' + used.at + '）的走访' });
    });
    return out;
  }

  /* the server's details where it answered for this fix, the phone's own otherwise */
  function allFlags() {
    var server = preview ? preview.flag_details || [] : [];
    var codes = server.map(function (f) { return f.code; });
    return server.concat(localFlags().filter(function (f) { return codes.indexOf(f.code) < 0; }), photoFlags());
  }

  function needsReason() {
    return allFlags().some(function (f) { return f.code === 'outside_geofence' || f.code === 'poor_accuracy'; });
  }

  function renderChecks() {
    var box = $('save-check');
    if (!fix) { box.hidden = true; return; }
    var list = $('save-flags');
    list.textContent = '';
    var flags = allFlags();
    flags.forEach(function (f) {
      var li = document.createElement('li');
      li.dataset.flag = f.code;
      var b = document.createElement('b');
      b.className = 'badge bad';
      b.textContent = f.label;
      li.appendChild(b);
      li.appendChild(document.createTextNode(' ' + f.text));
      list.appendChild(li);
    });
    if (!flags.length) {
      var ok = document.createElement('li');
      ok.className = 'clear';
      ok.textContent = '未发现问题：保存后不会被标记。';
      list.appendChild(ok);
    }
    var notes = [];
    if (flags.length) notes.push('保存后这些会标在走访记录上，书记核实后才计入考核。');
    if (previewState === 'loading') notes.push('正在向服务器核对行程……');
    if (previewState === 'offline') notes.push('暂时联系不上服务器：行程是否异常，上传后由服务器核对。');
    if (photos.length) notes.push('照片是否与以前的照片相似，上传后由服务器再核对。');
    $('save-check-note').textContent = notes.join(' ');
    box.hidden = false;
  }

  var previewSeq = 0;
  function askPreview() {
    if (!fix || !d.previewUrl) { renderChecks(); return; }
    var mine = ++previewSeq;
    preview = null;
    previewState = 'loading';
    renderChecks();
    var body = { household_id: HID, checked_in_at: api.isoWithOffset(fix.at), latitude: fix.latitude,
      longitude: fix.longitude, accuracy_m: fix.accuracy };
    api.csrf().then(function (token) {
      return api.postJSON(d.previewUrl, body, token);
    }).then(function (res) {
      if (mine !== previewSeq) return;
      if (res.status === 200 && res.body) { preview = res.body; previewState = 'ok'; } else { previewState = 'offline'; }
      renderChecks();
    }, function () {
      if (mine !== previewSeq) return;
      previewState = 'offline';
      renderChecks();
    });
  }

  /* ---- "刚才已保存过一次": the server's record, this phone's outbox, this phone's last save ---- */
  function lastSaveKey() { return 'bangfu-last-visit-' + USER + '-' + HID; }

  function recentSave() {
    var now = fix ? fix.at.getTime() : Date.now();
    var found = [];
    if (preview && preview.last_here) found.push(Date.parse(preview.last_here.checked_in_at));
    try {
      var mine = localStorage.getItem(lastSaveKey());
      if (mine) found.push(Date.parse(mine));
    } catch (e) { /* storage disabled: the server's record and the outbox still tell */ }
    // the outbox unreadable (storage disabled): the server's record still tells
    return self.BangfuOutbox.items().catch(function () { return []; }).then(function (items) {
      items.forEach(function (i) {
        if (i.kind === 'visit' && i.id !== visitUuid && i.body && i.body.household_id === HID) found.push(Date.parse(i.body.checked_in_at));
      });
      var near = found.filter(function (t) { return t && Math.abs(now - t) < REPEAT_MS; }).sort().pop();
      return near ? new Date(near) : null;
    });
  }

  function hhmm(date) { return api.isoWithOffset(date).slice(11, 16); }

  function show(step) {
    ['repeat-step', 'confirm-step'].forEach(function (id) { $(id).hidden = id !== step; });
    if (step) $(step).scrollIntoView({ block: 'center' });
  }

  function locate() {
    geoStatus('正在获取位置…（请允许浏览器使用位置信息）');
    $('geo-retry').disabled = true;
    geo.locate(30000).then(function (got) {
      $('geo-retry').disabled = false;
      fix = got;
      showFix();
    }, function (err) {
      $('geo-retry').disabled = false;
      geoStatus(geo.errorText(err, '点“重新定位”'), 'error');
    });
  }

  /* ---- photos (downsized by photo-tools.js) ---- */
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
      renderChecks();
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
        return pics.downsize(file, LONG_EDGE, MAX_BYTES).then(function (blob) {
          var p = { uuid: api.uuid(), blob: blob, capturedAt: api.isoWithOffset(captured), fp: pics.fingerprint(file) };
          photos.push(p);
          addPhotoRow(p);
          photoStatus();
          renderChecks();
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
      confirm_location: !!(confirm && confirm.checked),
      reason: reasonOk ? form.elements.reason.value.trim() : ''
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
    if (!SIG_REQUIRED || sentIds[sigUuid]) return Promise.resolve(list);
    var status = sigStatus();
    var sig = { id: sigUuid, kind: 'signature', parent: visitUuid, label: label + ' 户主签字',
      url: d.signatureUrl.replace('00000000-0000-0000-0000-000000000000', visitUuid) };
    var fields = { client_uuid: sigUuid, status: status, note: (form.elements.sig_note.value || '').trim() };
    if (status === 'not_home') { sig.body = fields; list.push(sig); return Promise.resolve(list); }
    sig.fields = fields;
    sig.fileField = 'image';
    var blob = status === 'signed' ? pad.toBlob() : Promise.resolve(thumbprint);
    return blob.then(function (b) { sig.blob = b; list.push(sig); return list; });
  }

  /* ---- the household's word (where the unit asks for it) ---- */
  function sigStatus() {
    var el = form.querySelector('input[name="sig_status"]:checked');
    return el ? el.value : 'signed';
  }

  function sigProblem() {
    if (!SIG_REQUIRED) return null;
    var status = sigStatus();
    if (status === 'signed' && pad.isEmpty()) return '请户主用手指在框内签名，或选择未签字的原因。';
    if (status === 'thumbprint' && !thumbprint) return '请拍一张按手印的照片。';
    return null;
  }

  function setupSignature() {
    if (!SIG_REQUIRED) return;
    pad = self.BangfuSignaturePad.attach($('sig-pad'), function () { fieldErrors({}); });
    $('sig-clear').addEventListener('click', function () { pad.clear(); });
    form.querySelectorAll('input[name="sig_status"]').forEach(function (el) {
      el.addEventListener('change', function () {
        var status = sigStatus();
        $('sig-pad-wrap').hidden = status !== 'signed';
        $('sig-thumb-wrap').hidden = status !== 'thumbprint';
      });
    });
    $('sig-thumb-input').addEventListener('change', function (e) {
      var file = (e.target.files || [])[0];
      e.target.value = '';
      if (!file) return;
      pics.downsize(file, LONG_EDGE, MAX_BYTES).then(function (blob) {
        thumbprint = blob;
        var img = $('sig-thumb-preview');
        img.src = URL.createObjectURL(blob);
        img.hidden = false;
      }, function () { fieldErrors({ signature: ['这张照片无法读取或太大，请重拍。'] }); });
    });
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
      if (item.kind === 'signature') fieldErrors({ signature: ['签字未能上传：' + message] });
      var p = photoByUuid(item.id);
      if (p) { p.stateEl.textContent = '未上传：' + message; p.li.classList.add('failed'); }
    }
  };

  /* Once the visit is on the server its content is fixed (a changed resend would be a conflict). */
  function lockVisitFields() {
    form.querySelectorAll('#checkin input, #checkin button, #notes textarea, #checklist input, #visit-measures input, #subsidies input, #confirm-step textarea')
      .forEach(function (el) { el.disabled = true; });
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

  /* 保存走访: first the questions (the same household again? outside the range?), then the requests */
  function save(e) {
    if (e) e.preventDefault();
    if (saving) return;
    fieldErrors({});
    if (!fix) { fieldErrors({ _position: ['还没有定位成功，不能签到。请点“重新定位”。'] }); return; }
    if (form.elements.notes.value.trim().length < 5) { fieldErrors({ notes: ['请填写走访内容（至少 5 个字）。'] }); form.elements.notes.focus(); return; }
    var sigErr = sigProblem();
    if (sigErr) { fieldErrors({ signature: [sigErr] }); $('signature').scrollIntoView({ block: 'center' }); return; }
    if (sentIds[visitUuid]) { send(); return; }  // the visit is on the server: only the rest is resent
    recentSave().then(function (when) {
      if (when && !repeatOk) {
        $('repeat-text').textContent = '刚才已保存过一次（' + hhmm(when) + '）。再保存会多出一条走访记录：如果是同一次走访，请不要再保存。';
        show('repeat-step');
        return;
      }
      if (needsReason() && !reasonOk) {
        var flags = allFlags().filter(function (f) { return f.code === 'outside_geofence' || f.code === 'poor_accuracy'; });
        $('confirm-text').textContent = '这次签到会被标记：' + flags.map(function (f) { return f.label + '（' + f.text + '）'; }).join('；') +
          '。确定要保存吗？请写明原因，书记核实时会看到。';
        show('confirm-step');
        form.elements.reason.focus();
        return;
      }
      show(null);
      send();
    });
  }

  function remember() {
    try {
      localStorage.setItem(lastSaveKey(), fix.at.toISOString());
      // the household page confirms it (static/js/visit-saved.js) until dismissed
      sessionStorage.setItem('bangfu-saved-visit', JSON.stringify({ uuid: visitUuid, household_id: HID,
        checked_in_at: api.isoWithOffset(fix.at), notes: form.elements.notes.value.trim() }));
    } catch (err) { /* storage disabled */ }
    pics.remember(USER, photos.map(function (p) { return p.fp; }).filter(Boolean), d.householdLabel || '',
      api.isoWithOffset(fix.at).slice(5, 16).replace('T', ' '));
  }

  function send() {
    if (saving) return;  // a second tap while the questions were being answered
    var status = $('save-status');
    saving = true;
    $('save-visit').disabled = true;
    photos.forEach(function (p) { p.removeBtn.disabled = true; });
    status.textContent = '正在保存…';
    var done = d.returnUrl;
    items().then(function (all) {
      return outboxSend(all.filter(function (it) { return !sentIds[it.id]; }));
    }, function () {
      // only the signature's image is made while listing the requests
      return { pending: 1, stay: true, message: '签字图片无法生成，请清除后重签。' };
    }).then(function (result) {
      if (!result.pending) {
        status.textContent = '已保存。';
        remember();
        window.location.href = done;
        return;
      }
      if (result.queued) {
        // on the phone, waiting for a signal: the household page says so until it is sent
        status.textContent = '已保存在手机上，有信号时会自动上传。';
        remember();
        window.location.href = done;
        return;
      }
      saving = false;
      $('save-visit').disabled = false;
      status.textContent = result.message || '有内容没有保存成功，请看上面的提示后再点“保存走访”。';
    }).catch(function (err) {
      // a fault of this page's own code: say it, and let the helper try again
      saving = false;
      $('save-visit').disabled = false;
      status.textContent = '保存时出错（' + ((err && err.message) || err) + '），请再点“保存走访”。';
    });
  }

  $('geo-retry').addEventListener('click', locate);
  $('photo-input').addEventListener('change', onFiles);
  $('photo-camera').addEventListener('change', onFiles);
  form.addEventListener('submit', save);
  $('repeat-save').addEventListener('click', function () { repeatOk = true; save(); });
  $('confirm-save').addEventListener('click', function () {
    if (form.elements.reason.value.trim().length < 4) {
      fieldErrors({ reason: ['请写明原因（至少 4 个字），例如：户主在外务工，在田间地头走访。'] });
      form.elements.reason.focus();
      return;
    }
    reasonOk = true;
    save();
  });
  $('confirm-cancel').addEventListener('click', function () { show(null); $('checkin').scrollIntoView(); });
  setupSignature();
  locate();
})();
