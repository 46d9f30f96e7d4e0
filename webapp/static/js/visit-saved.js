/* 帮扶通 — the household page after 保存走访: a confirmation that stays (across reloads)
 * until the helper dismisses it, with the new visit at the top of the page, marked 已上传 when the
 * server has it and 待上传 while it waits in the phone's outbox (then 已上传 as soon as it is sent).
 * The visit form leaves {uuid, household_id, checked_in_at, notes} in sessionStorage. */
(function () {
  'use strict';
  var KEY = 'bangfu-saved-visit';
  var box = document.getElementById('saved-visit');
  if (!box) return;
  var saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch (e) { saved = null; }
  if (!saved || String(saved.household_id) !== box.dataset.householdId) return;
  var ob = self.BangfuOutbox;
  var $ = function (id) { return document.getElementById(id); };
  var SENT_TEXT = '已上传到服务器，书记和扶贫办可以看到。请不要再保存一次。';

  function state(kind) {
    box.dataset.state = kind;
    var badge = $('saved-state');
    if (kind === 'sent') {
      badge.className = 'badge ok'; badge.textContent = '已上传';
      $('saved-text').textContent = SENT_TEXT;
    } else if (kind === 'error') {
      badge.className = 'badge bad'; badge.textContent = '未能上传';
      $('saved-text').textContent = '保存在手机上，但服务器没有接受：请到“待上传”页面查看原因。';
    } else {
      badge.className = 'badge info'; badge.textContent = '待上传';
      $('saved-text').textContent = '已保存在这部手机上，有信号时会自动上传。请不要再保存一次。';
    }
  }

  function summary(extra) {
    var list = $('saved-visit-item');
    list.textContent = '';
    var li = document.createElement('li');
    li.className = 'visit';
    li.dataset.uuid = saved.uuid;
    var head = document.createElement('strong');
    head.textContent = String(saved.checked_in_at || '').slice(0, 16).replace('T', ' ');
    var note = document.createElement('p');
    note.className = 'notes';
    note.textContent = saved.notes || '';
    li.appendChild(head); li.appendChild(note);
    if (extra) {
      var meta = document.createElement('small');
      meta.className = 'hint';
      meta.textContent = extra;
      li.appendChild(meta);
    }
    list.appendChild(li);
  }

  /* the server's copy on this page (rendered with its marks), else the outbox, else ask the API */
  function fill() {
    var row = document.querySelector('#visit-history li.visit[data-uuid="' + saved.uuid + '"]');
    if (row) {
      $('saved-visit-item').textContent = '';
      $('saved-visit-item').appendChild(row.cloneNode(true));
      state('sent');
      return Promise.resolve();
    }
    var items = ob ? ob.items().catch(function () { return []; }) : Promise.resolve([]);
    return items.then(function (all) {
      var v = all.filter(function (i) { return i.id === saved.uuid; })[0];
      if (v) {
        var n = all.filter(function (i) { return i.parent === v.id && i.kind === 'photo'; }).length;
        summary('照片 ' + n + ' 张' + (v.state === 'error' ? ' · ' + v.error : ''));
        state(v.state === 'error' ? 'error' : 'pending');
        return;
      }
      summary('');
      // not on this (perhaps cached) page and not on the phone: sent meanwhile?
      return self.BangfuApi.getJSON(box.dataset.visitUrl.replace('00000000-0000-0000-0000-000000000000', saved.uuid))
        .then(function (r) { state(r.status === 200 ? 'sent' : 'pending'); }, function () { state('pending'); });
    });
  }

  $('saved-dismiss').addEventListener('click', function () {
    box.hidden = true;
    try { sessionStorage.removeItem(KEY); } catch (e) { /* storage disabled */ }
  });
  if (ob) ob.on(function (type, item) { if (type === 'sent' && item && item.id === saved.uuid) state('sent'); });
  box.hidden = false;
  fill().then(function () { box.focus(); });
})();
