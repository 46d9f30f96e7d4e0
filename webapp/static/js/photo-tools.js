/* 帮扶通 — photos on the phone, shared by the visit form and the correction of a returned visit:
 * downsizing on a canvas (EXIF is dropped: the capture time travels separately), and a record of
 * the pictures this phone already sent with a visit, so that reusing one is said before saving
 * (the server compares every uploaded photo as well). Exposes self.BangfuPhotos. */
(function (global) {
  'use strict';
  var KEEP = 400;  // pictures remembered per account

  function viaImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error('decode')); };
      img.src = url;
    });
  }

  function decode(file) {
    if (global.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: 'from-image' }).catch(function () { return viaImg(file); });
    }
    return viaImg(file);
  }

  /* long edge ≤ longEdge, JPEG; a file the phone cannot decode (HEIC in some browsers) goes as
   * it is when it is small enough: the server can read it */
  function downsize(file, longEdge, maxBytes) {
    return decode(file).then(function (src) {
      var w = src.naturalWidth || src.width, h = src.naturalHeight || src.height;
      var scale = Math.min(1, longEdge / Math.max(w, h));
      var canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      canvas.getContext('2d').drawImage(src, 0, 0, canvas.width, canvas.height);
      if (src.close) src.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (b) { b ? resolve(b) : reject(new Error('encode')); }, 'image/jpeg', 0.85);
      });
    }).catch(function () {
      if (file.size <= maxBytes) return file;
      throw new Error('too big');
    });
  }

  /* the same picture picked again from the gallery: same name, size and modification time */
  function fingerprint(file) {
    return [file.name || '', file.size || 0, file.lastModified || 0].join('|');
  }

  function key(user) { return 'bangfu-used-photos-' + (user || ''); }

  function load(user) {
    try { return JSON.parse(localStorage.getItem(key(user)) || '{}') || {}; } catch (e) { return {}; }
  }

  /* {label, at} of the visit this picture was sent with, or null */
  function usedBefore(user, fp) {
    var seen = load(user)[fp];
    return seen || null;
  }

  function remember(user, fps, label, at) {
    if (!fps.length) return;
    var all = load(user);
    fps.forEach(function (fp) { all[fp] = { label: label, at: at, t: Date.now() }; });
    var keys = Object.keys(all);
    if (keys.length > KEEP) {
      keys.sort(function (a, b) { return (all[a].t || 0) - (all[b].t || 0); });
      keys.slice(0, keys.length - KEEP).forEach(function (k) { delete all[k]; });
    }
    try { localStorage.setItem(key(user), JSON.stringify(all)); } catch (e) { /* storage full or disabled */ }
  }

  global.BangfuPhotos = { downsize: downsize, fingerprint: fingerprint, usedBefore: usedBefore, remember: remember };
})(self);
