/* 帮扶通 — a signature drawn with a finger on a <canvas> (pointer events: finger, pen or mouse).
 * Exposes self.BangfuSignaturePad.attach(canvas, onChange) → {isEmpty, clear, toBlob, lock}. */
(function (global) {
  'use strict';
  var MIN_INK = 30;  // CSS pixels of stroke: a signature, not a stray tap

  function attach(canvas, onChange) {
    var ctx = null, drawing = false, last = null, ink = 0, locked = false;

    function reset() {
      var r = canvas.getBoundingClientRect();
      var dpr = global.devicePixelRatio || 1;
      canvas.width = Math.max(1, Math.round(r.width * dpr));
      canvas.height = Math.max(1, Math.round(r.height * dpr));
      ctx = canvas.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, r.width, r.height);
      ctx.lineWidth = 2.5;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      ctx.strokeStyle = '#111';
      ink = 0;
      canvas.dataset.ink = '0';
    }

    function pos(e) {
      var r = canvas.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    }

    canvas.addEventListener('pointerdown', function (e) {
      if (locked) return;
      if (!ctx || canvas.width < 2) reset();  // laid out only now (it was hidden)
      e.preventDefault();
      drawing = true;
      try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* synthetic pointer */ }
      last = pos(e);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(last.x + 0.1, last.y + 0.1);
      ctx.stroke();
    });
    canvas.addEventListener('pointermove', function (e) {
      if (!drawing) return;
      e.preventDefault();
      var p = pos(e);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      ink += Math.sqrt((p.x - last.x) * (p.x - last.x) + (p.y - last.y) * (p.y - last.y));
      canvas.dataset.ink = String(Math.round(ink));
      last = p;
    });
    ['pointerup', 'pointercancel'].forEach(function (type) {
      canvas.addEventListener(type, function () {
        if (!drawing) return;
        drawing = false;
        if (onChange) onChange();
      });
    });

    return {
      isEmpty: function () { return ink < MIN_INK; },
      clear: function () { if (!locked) { reset(); if (onChange) onChange(); } },
      lock: function () { locked = true; },
      toBlob: function () {
        return new Promise(function (resolve, reject) {
          canvas.toBlob(function (b) { b ? resolve(b) : reject(new Error('encode')); }, 'image/png');
        });
      }
    };
  }

  global.BangfuSignaturePad = { attach: attach };
})(self);
