/* 帮扶通 — the visit form: position, photos downsized on the phone, notes, checklist, measures.
 * Saving makes the very requests of the JSON API (one visit, then one per photo) as items
 * {id, kind, url, body | blob+fields, parent}; they go through the offline outbox
 * (static/js/outbox.js, on every page). Position: geo.js; photos: visit-photos.js; the flags and
 * the "saved a moment ago" question: visit-checks.js; the household's word: visit-signature.js.
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
  var sig = null;               // the household's word (visit-signature.js), where the unit asks for it
  var checks = self.BangfuVisitChecks;
  var place = { lat: hhLat, lng: hhLng, geofence: GEOFENCE, accuracyFlag: ACC_FLAG };
  var fix = null;               // {latitude, longitude, accuracy, at}
  var photos = [];              // visit-photos.js: {uuid, blob, capturedAt, fp, li, bar, stateEl, removeBtn}
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

  /* ---- what the server will flag, said before saving (visit-checks.js) ---- */
  function allFlags() { return checks.all(fix, place, preview, photos, USER); }

  function renderChecks() {
    if (!fix) { $('save-check').hidden = true; return; }
    checks.render({ box: $('save-check'), list: $('save-flags'), note: $('save-check-note') }, allFlags(),
      { previewState: previewState, photos: photos.length });
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

  /* ---- "刚才已保存过一次" (visit-checks.js) ---- */
  function recentSave() {
    return checks.recentSave({ user: USER, householdId: HID, visitUuid: visitUuid, now: fix ? fix.at.getTime() : Date.now(),
      lastHere: preview && preview.last_here, windowMs: REPEAT_MS });
  }

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
    if (!sig || sentIds[sigUuid]) return Promise.resolve(list);
    var item = { id: sigUuid, kind: 'signature', parent: visitUuid, label: label + ' 户主签字',
      url: d.signatureUrl.replace('00000000-0000-0000-0000-000000000000', visitUuid) };
    var fields = sig.fields(sigUuid);
    if (fields.status === 'not_home') { item.body = fields; list.push(item); return Promise.resolve(list); }
    item.fields = fields;
    item.fileField = 'image';
    return sig.image().then(function (b) { item.blob = b; list.push(item); return list; });
  }

  /* ---- the household's word (visit-signature.js) ---- */
  function setupSignature() {
    if (!SIG_REQUIRED) return;
    sig = self.BangfuVisitSignature.attach(form, { longEdge: LONG_EDGE, maxBytes: MAX_BYTES,
      onChange: function () { fieldErrors({}); }, onError: fieldErrors });
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
    var sigErr = sig && sig.problem();
    if (sigErr) { fieldErrors({ signature: [sigErr] }); $('signature').scrollIntoView({ block: 'center' }); return; }
    if (sentIds[visitUuid]) { send(); return; }  // the visit is on the server: only the rest is resent
    recentSave().then(function (when) {
      if (when && !repeatOk) {
        $('repeat-text').textContent = '刚才已保存过一次（' + checks.hhmm(when) + '）。再保存会多出一条走访记录：如果是同一次走访，请不要再保存。';
        show('repeat-step');
        return;
      }
      var flags = checks.needingReason(allFlags());
      if (flags.length && !reasonOk) {
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
    checks.rememberSave(USER, HID, fix.at);
    try {
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
  photos = self.BangfuVisitPhotos.attach({ max: MAX_PHOTOS, longEdge: LONG_EDGE, maxBytes: MAX_BYTES,
    list: $('photo-list'), status: $('photo-status'), inputs: [$('photo-input'), $('photo-camera')],
    locked: function () { return saving; }, onChange: renderChecks });
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
