/* 帮扶通 — 驻村签到: one GPS fix (geo.js), the optional photo downsized and turned upright
 * (photo-tools.js), both sent as requests of the JSON API (api.js) through the offline outbox
 * (outbox.js): stored on the phone first, sent now or as soon as there is a signal, exactly once.
 *
 * The client_uuid is made here, once per tap, so a resend can never count twice. URLs and sizes
 * come from the data-* attributes of #checkin. Where the phone cannot store anything (no
 * IndexedDB), the same requests go straight to the server, with 重新发送 when that fails. */
(function () {
  'use strict';
  var root = document.getElementById('checkin');
  if (!root || !self.BangfuApi || !self.BangfuOutbox) return;
  var api = self.BangfuApi, geo = self.BangfuGeo, pics = self.BangfuPhotos;
  var d = root.dataset;
  var ZERO = '00000000-0000-0000-0000-000000000000';
  var LONG_EDGE = parseInt(d.longEdge, 10) || 1600;
  var MAX_BYTES = parseInt(d.maxBytes, 10) || 10485760;
  var button = document.getElementById('checkin-button');
  var result = document.getElementById('checkin-result');
  var retry = document.getElementById('checkin-retry');
  var photoInput = document.getElementById('checkin-photo');
  var photoStatus = document.getElementById('checkin-photo-status');
  function photoChosen() {
    var file = photoInput && photoInput.files && photoInput.files[0];
    if (photoStatus) photoStatus.textContent = file ? '已选一张照片，点“驻村签到”时一起上传。' : '';
  }
  function clearPhoto() { if (photoInput) { photoInput.value = ''; photoChosen(); } }
  if (photoInput) photoInput.addEventListener('change', photoChosen);
  var waiting = null;  // without the outbox: {payload, items} not sent yet (the same client_uuid on 重新发送)

  function show(kind, lines) {
    result.className = 'att-result notice ' + kind;
    result.textContent = '';
    lines.forEach(note);
  }

  function note(text) {
    var p = document.createElement('p');
    p.textContent = text;
    result.appendChild(p);
  }

  function busy(on, label) {
    button.disabled = on;
    button.textContent = label || '驻村签到';
  }

  function refreshToday() {
    if (window.htmx) window.htmx.ajax('GET', d.todayUrl, { target: '#today', swap: 'innerHTML' });
  }

  /* what the server said about the check-in: inside the village's range or not, how far */
  function verdict(payload, answer) {
    var where = answer.distance_m === null || answer.distance_m === undefined ? '' : '距村中心 ' + geo.metres(answer.distance_m);
    var facts = where + ' · 精度 ±' + Math.round(payload.accuracy_m) + ' 米';
    if (answer.within_geofence) show('ok', ['签到成功 ✓ 今天计为驻村一天', facts]);
    else show('error', ['已签到，但不在村里的签到范围内，今天不计驻村天数', facts]);
  }

  function items(payload, blob) {
    var when = new Date(payload.checked_in_at).toLocaleString('zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    var list = [{ id: payload.client_uuid, kind: 'attendance', url: d.url, body: payload, label: '驻村签到 ' + when }];
    if (blob) {
      list.push({ id: payload.client_uuid + '-photo', kind: 'attendance-photo', parent: payload.client_uuid,
                  url: d.photoUrl.replace(ZERO, payload.client_uuid), blob: blob, fields: {}, label: '驻村签到照片' });
    }
    return list;
  }

  /* the chosen photo, downsized; null without one. One the phone cannot read (and too big to send
   * as it is) is said, and the check-in goes without it. */
  function chosenPhoto() {
    var file = photoInput && photoInput.files && photoInput.files[0];
    if (!file) return Promise.resolve({ blob: null });
    return pics.downsize(file, LONG_EDGE, MAX_BYTES).then(function (blob) { return { blob: blob }; }, function () {
      return { blob: null, problem: '照片无法读取或太大，没有上传；签到照常保存。' };
    });
  }

  /* The outbox (every page loads it): the check-in and its photo are kept on the phone until sent. */
  function viaOutbox(payload, photo) {
    var ob = self.BangfuOutbox;
    var list = items(payload, photo.blob);
    var answers = {};
    var off = ob.on(function (type, item, body) { if (type === 'sent' && item) answers[item.id] = body || {}; });
    return ob.submit(list).then(function (res) {
      off();
      busy(false);
      var mine = res.items.filter(function (i) { return i.id === payload.client_uuid; })[0];
      if (mine && mine.state === 'error') {
        show('error', ['签到未保存：' + mine.error]);
        return ob.discard(mine.id);
      }
      clearPhoto();
      if (!answers[payload.client_uuid]) {
        show('', ['已保存在手机上：有信号时会自动上传（不会重复计数）。', '签到时间以现在为准。']);
      } else {
        verdict(payload, answers[payload.client_uuid]);
        if (photo.blob) note(answers[payload.client_uuid + '-photo'] ? '照片已上传。' : '照片已保存在手机上，有信号时自动上传。');
        refreshToday();
      }
      if (photo.problem) note(photo.problem);
    }, function () {
      off();
      return direct({ payload: payload, items: list, problem: photo.problem });  // nothing can be stored on this phone
    });
  }

  /* Straight to the server, in order (the check-in before its photo). */
  function direct(job) {
    waiting = null;
    retry.hidden = true;
    busy(true, '正在发送…');
    var payload = job.payload;
    var checkinSent = job.items[0].id !== payload.client_uuid;
    function next(token) {
      var item = job.items[0];
      if (!item) return Promise.resolve(null);
      return api.send(item, token).then(function (res) {
        if (res.status < 200 || res.status >= 300) return { item: item, res: res };
        job.items.shift();
        if (item.id === payload.client_uuid) { checkinSent = true; verdict(payload, res.body || {}); }
        else note('照片已上传。');
        return next(token);
      });
    }
    return api.csrf().then(next).then(function (failure) {
      busy(false);
      if (!failure) {
        clearPhoto();
        if (job.problem) note(job.problem);
        refreshToday();
        return;
      }
      if (failure.res.status === 401) {
        waiting = job;
        retry.hidden = false;
        show('error', ['登录已过期，请重新登录后点“重新发送”。']);
        return;
      }
      var why = api.errorText(failure.res.body, failure.res.status);
      show('error', [checkinSent ? '签到已保存，照片未上传：' + why : '签到未保存：' + why]);
      if (checkinSent) refreshToday();
    }, function () {
      busy(false);
      waiting = job;
      retry.hidden = false;
      show('error', [checkinSent ? '签到已保存，照片还没有发出。有信号时点“重新发送”。'
                                 : '网络不可用，签到还没有发出。有信号时点“重新发送”（不会重复计数）。']);
    });
  }

  function located(fix) {
    var payload = { client_uuid: api.uuid(), checked_in_at: api.isoWithOffset(fix.at),
                    latitude: fix.latitude, longitude: fix.longitude, accuracy_m: fix.accuracy };
    if (d.lat && d.lng) {
      var m = geo.distanceM(fix.latitude, fix.longitude, parseFloat(d.lat), parseFloat(d.lng));
      show('', ['已定位：距村中心约 ' + geo.metres(m) + '，精度 ±' + Math.round(fix.accuracy) + ' 米']);
    }
    busy(true, '正在保存…');
    retry.hidden = true;
    return chosenPhoto().then(function (photo) { return viaOutbox(payload, photo); });
  }

  button.addEventListener('click', function () {
    busy(true, '正在定位…');
    result.className = 'att-result';
    result.textContent = '';
    geo.locate(20000).then(located, function (err) {
      busy(false);
      show('error', [geo.errorText(err)]);
    }).catch(function (err) {  // a fault of this page's own code: say it, the button works again
      busy(false);
      show('error', ['签到出错（' + ((err && err.message) || err) + '），请重试。']);
    });
  });

  retry.addEventListener('click', function () { if (waiting) direct(waiting); });
}());
