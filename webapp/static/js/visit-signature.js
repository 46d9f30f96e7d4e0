/* 帮扶通 — the household's word on the visit form (where the unit asks for it): the head of
 * household signs with a finger (signature-pad.js), or the helper photographs a thumbprint
 * (按手印) or records why neither was possible. Used by visit-form.js. */
(function () {
  'use strict';

  /* o: {longEdge, maxBytes, onChange (the pad was touched), onError (errors by field)} */
  function attach(form, o) {
    var $ = function (id) { return document.getElementById(id); };
    var pad = self.BangfuSignaturePad.attach($('sig-pad'), o.onChange);
    var thumbprint = null;  // the 按手印 photo (a Blob)

    function status() {
      var el = form.querySelector('input[name="sig_status"]:checked');
      return el ? el.value : 'signed';
    }

    $('sig-clear').addEventListener('click', function () { pad.clear(); });
    form.querySelectorAll('input[name="sig_status"]').forEach(function (el) {
      el.addEventListener('change', function () {
        $('sig-pad-wrap').hidden = status() !== 'signed';
        $('sig-thumb-wrap').hidden = status() !== 'thumbprint';
      });
    });
    $('sig-thumb-input').addEventListener('change', function (e) {
      var file = (e.target.files || [])[0];
      e.target.value = '';
      if (!file) return;
      self.BangfuPhotos.downsize(file, o.longEdge, o.maxBytes).then(function (blob) {
        thumbprint = blob;
        var img = $('sig-thumb-preview');
        img.src = URL.createObjectURL(blob);
        img.hidden = false;
      }, function () { o.onError({ signature: ['这张照片无法读取或太大，请重拍。'] }); });
    });

    return {
      status: status,
      /* what is missing before saving, or null */
      problem: function () {
        if (status() === 'signed' && pad.isEmpty()) return '请户主用手指在框内签名，或选择未签字的原因。';
        if (status() === 'thumbprint' && !thumbprint) return '请拍一张按手印的照片。';
        return null;
      },
      /* the outbox item's fields and, unless 不在家, its image (a Promise of the Blob) */
      fields: function (clientUuid) {
        return { client_uuid: clientUuid, status: status(), note: (form.elements.sig_note.value || '').trim() };
      },
      image: function () { return status() === 'signed' ? pad.toBlob() : Promise.resolve(thumbprint); }
    };
  }

  self.BangfuVisitSignature = { attach: attach };
})();
