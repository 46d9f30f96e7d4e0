/* 帮扶通 — what the visit form (visit-form.js) says before saving: the flags the server will set
 * (its geofence and accuracy rules, its own preview for travel and lateness, pictures this phone
 * already sent) and whether this household was saved a moment ago ("刚才已保存过一次"). */
(function () {
  'use strict';
  var geo = self.BangfuGeo;
  var pics = self.BangfuPhotos;
  var api = self.BangfuApi;
  var REASON_CODES = ['outside_geofence', 'poor_accuracy'];  // saving with these asks for a 原因说明

  /* place: {lat, lng (null: the household has no position), geofence, accuracyFlag} */
  function local(fix, place) {
    var out = [];
    if (!fix) return out;
    if (place.lat !== null) {
      var m = Math.round(geo.distanceM(fix.latitude, fix.longitude, place.lat, place.lng));
      if (m > place.geofence) out.push({ code: 'outside_geofence', label: '超出范围', text: '距这户 ' + m + ' 米，超出 ' + place.geofence + ' 米范围' });
    }
    if (fix.accuracy > place.accuracyFlag) {
      out.push({ code: 'poor_accuracy', label: '定位不准', text: '定位精度 ±' + Math.round(fix.accuracy) + ' 米，超过 ' + place.accuracyFlag + ' 米，位置不可靠' });
    }
    return out;
  }

  function ofPhotos(photos, user) {
    var out = [], seen = {};
    photos.forEach(function (p, i) {
      if (!p.fp) return;
      if (seen[p.fp] !== undefined) {
        out.push({ code: 'duplicate_photo', label: '重复照片', text: '照片 ' + (i + 1) + ' 与照片 ' + (seen[p.fp] + 1) + ' 是同一张' });
        return;
      }
      seen[p.fp] = i;
      var used = pics.usedBefore(user, p.fp);
      if (used) out.push({ code: 'duplicate_photo', label: '重复照片', text: '照片 ' + (i + 1) + ' 已用于' + used.label + '（' + used.at + '）的走访' });
    });
    return out;
  }

  /* the server's details where it answered for this fix, the phone's own otherwise */
  function all(fix, place, preview, photos, user) {
    var server = preview ? preview.flag_details || [] : [];
    var codes = server.map(function (f) { return f.code; });
    return server.concat(local(fix, place).filter(function (f) { return codes.indexOf(f.code) < 0; }), ofPhotos(photos, user));
  }

  function needingReason(flags) {
    return flags.filter(function (f) { return REASON_CODES.indexOf(f.code) >= 0; });
  }

  /* els: {box, list, note}; state: {previewState: '' | 'loading' | 'ok' | 'offline', photos: n} */
  function render(els, flags, state) {
    els.list.textContent = '';
    flags.forEach(function (f) {
      var li = document.createElement('li');
      li.dataset.flag = f.code;
      var b = document.createElement('b');
      b.className = 'badge bad';
      b.textContent = f.label;
      li.appendChild(b);
      li.appendChild(document.createTextNode(' ' + f.text));
      els.list.appendChild(li);
    });
    if (!flags.length) {
      var ok = document.createElement('li');
      ok.className = 'clear';
      ok.textContent = '未发现问题：保存后不会被标记。';
      els.list.appendChild(ok);
    }
    var notes = [];
    if (flags.length) notes.push('保存后这些会标在走访记录上，书记核实后才计入考核。');
    if (state.previewState === 'loading') notes.push('正在向服务器核对行程……');
    if (state.previewState === 'offline') notes.push('暂时联系不上服务器：行程是否异常，上传后由服务器核对。');
    if (state.photos) notes.push('照片是否与以前的照片相似，上传后由服务器再核对。');
    els.note.textContent = notes.join(' ');
    els.box.hidden = false;
  }

  /* ---- "刚才已保存过一次": the server's record, this phone's outbox, this phone's last save ---- */
  function saveKey(user, householdId) { return 'bangfu-last-visit-' + user + '-' + householdId; }

  /* o: {user, householdId, visitUuid (this form's own), now (ms), lastHere (the server's), windowMs};
   * the time of a save of this household within the window, or null */
  function recentSave(o) {
    var found = [];
    if (o.lastHere) found.push(Date.parse(o.lastHere.checked_in_at));
    try {
      var mine = localStorage.getItem(saveKey(o.user, o.householdId));
      if (mine) found.push(Date.parse(mine));
    } catch (e) { /* storage disabled: the server's record and the outbox still tell */ }
    // the outbox unreadable (storage disabled): the server's record still tells
    return self.BangfuOutbox.items().catch(function () { return []; }).then(function (items) {
      items.forEach(function (i) {
        if (i.kind === 'visit' && i.id !== o.visitUuid && i.body && i.body.household_id === o.householdId) {
          found.push(Date.parse(i.body.checked_in_at));
        }
      });
      var near = found.filter(function (t) { return t && Math.abs(o.now - t) < o.windowMs; }).sort().pop();
      return near ? new Date(near) : null;
    });
  }

  function rememberSave(user, householdId, at) {
    try { localStorage.setItem(saveKey(user, householdId), at.toISOString()); } catch (e) { /* storage disabled */ }
  }

  function hhmm(date) { return api.isoWithOffset(date).slice(11, 16); }

  self.BangfuVisitChecks = { all: all, needingReason: needingReason, render: render, recentSave: recentSave,
    rememberSave: rememberSave, hhmm: hhmm };
})();
