/* 帮扶通 — the visit form's photos: chosen or taken, downsized on the phone (photo-tools.js), listed
 * with a progress bar each, removable until saving starts. Used by visit-form.js, which reads the
 * list (an array of {uuid, blob, capturedAt, fp, li, bar, stateEl, removeBtn}) when it saves. */
(function () {
  'use strict';
  var api = self.BangfuApi;
  var pics = self.BangfuPhotos;

  /* o: {max, longEdge, maxBytes, list (the <ul>), status (its line), inputs (file inputs),
   *     locked () → true once saving has started, onChange () → the list changed} */
  function attach(o) {
    var photos = [];

    function status() {
      var n = photos.length;
      o.status.textContent = n ? ('已选 ' + n + ' 张照片' + (n >= o.max ? '（已达上限）' : '')) : '';
    }

    function addRow(p) {
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
        if (o.locked()) return;
        photos.splice(photos.indexOf(p), 1);
        li.remove();
        status();
        o.onChange();
      });
      info.appendChild(bar); info.appendChild(state);
      li.appendChild(img); li.appendChild(info); li.appendChild(rm);
      o.list.appendChild(li);
      p.li = li; p.bar = bar; p.stateEl = state; p.removeBtn = rm;
    }

    function onFiles(e) {
      var files = Array.prototype.slice.call(e.target.files || []);
      e.target.value = '';
      var room = o.max - photos.length;
      if (files.length > room) {
        o.status.textContent = '每次走访最多 ' + o.max + ' 张照片，多出的 ' + (files.length - room) + ' 张未添加。';
        files = files.slice(0, Math.max(0, room));
      }
      files.reduce(function (chain, file) {
        return chain.then(function () {
          var captured = file.lastModified ? new Date(file.lastModified) : new Date();
          return pics.downsize(file, o.longEdge, o.maxBytes).then(function (blob) {
            var p = { uuid: api.uuid(), blob: blob, capturedAt: api.isoWithOffset(captured), fp: pics.fingerprint(file) };
            photos.push(p);
            addRow(p);
            status();
            o.onChange();
          }).catch(function () {
            o.status.textContent = '有一张照片无法读取或太大，未添加。';
          });
        });
      }, Promise.resolve());
    }

    o.inputs.forEach(function (input) { input.addEventListener('change', onFiles); });
    return photos;
  }

  self.BangfuVisitPhotos = { attach: attach };
})();
