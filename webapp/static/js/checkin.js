/* 驻村签到: take a GPS fix on the phone and send it to POST /api/v1/attendance.
 *
 * The client_uuid is made here, once per tap, so a resend (or the offline outbox replaying it)
 * can never count twice. Sending lives in one function, window.BangfuCheckin.send(payload),
 * which resolves to {status, body} or throws when the network is down. Where the offline outbox
 * is loaded (every page), the check-in and its photo go through it instead (deliverViaOutbox).
 */
(function () {
  "use strict";

  var root = document.getElementById("checkin");
  if (!root) { return; }
  var button = document.getElementById("checkin-button");
  var result = document.getElementById("checkin-result");
  var retry = document.getElementById("checkin-retry");
  var photoInput = document.getElementById("checkin-photo");
  var waiting = null; // a payload that could not be sent yet (same client_uuid on retry)
  var waitingPhoto = null; // {uuid, blob}: a photo whose check-in arrived but which itself did not

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function newUuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function distanceM(lat1, lng1, lat2, lng2) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dp = (lat2 - lat1) * rad, dl = (lng2 - lng1) * rad;
    var a = Math.sin(dp / 2) * Math.sin(dp / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function metres(m) {
    return m >= 1000 ? (m / 1000).toFixed(1) + " 公里" : Math.round(m) + " 米";
  }

  // The one place a check-in leaves the page.
  function send(payload) {
    return fetch(root.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(payload)
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        return { status: resp.status, body: body };
      });
    });
  }

  // The optional photo, after its check-in: multipart `photo` to /api/v1/attendance/<uuid>/photo.
  function sendPhoto(clientUuid, blob) {
    var form = new FormData();
    form.append("photo", blob, "checkin.jpg");
    return fetch(root.getAttribute("data-url") + "/" + encodeURIComponent(clientUuid) + "/photo", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: form
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        return { status: resp.status, body: body };
      });
    });
  }
  window.BangfuCheckin = { send: send, sendPhoto: sendPhoto };

  // long edge ≤ 1600 px, JPEG, before the upload (a phone photo is several MB)
  function downsize(file) {
    return new Promise(function (resolve) {
      var img = new Image();
      var url = URL.createObjectURL(file);
      img.onload = function () {
        var scale = Math.min(1, 1600 / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (b) { resolve(b || file); }, "image/jpeg", 0.85);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }

  function show(kind, lines) {
    result.className = "att-result notice " + kind;
    result.textContent = "";
    lines.forEach(function (text) {
      var p = document.createElement("p");
      p.textContent = text;
      result.appendChild(p);
    });
  }

  function busy(on, label) {
    button.disabled = on;
    button.textContent = label || "驻村签到";
  }

  function refreshToday() {
    if (window.htmx) {
      window.htmx.ajax("GET", root.getAttribute("data-today-url"), { target: "#today", swap: "innerHTML" });
    }
  }

  function errorText(body) {
    if (!body || !body.errors) { return ["服务器暂时无法处理，请稍后重试。"]; }
    var out = [];
    Object.keys(body.errors).forEach(function (k) { out = out.concat(body.errors[k]); });
    return out;
  }

  function deliver(payload) {
    busy(true, "正在发送…");
    retry.hidden = true;
    return window.BangfuCheckin.send(payload).then(function (res) {
      busy(false);
      if (res.status === 200 || res.status === 201) {
        waiting = null;
        var c = res.body || {};
        var where = c.distance_m === null || c.distance_m === undefined ? "" : "距村中心 " + metres(c.distance_m);
        if (c.within_geofence) {
          show("ok", ["签到成功 ✓ 今天计为驻村一天", where + " · 精度 ±" + Math.round(payload.accuracy_m) + " 米"]);
        } else {
          show("error", ["已签到，但不在村里的签到范围内，今天不计驻村天数", where + " · 精度 ±" + Math.round(payload.accuracy_m) + " 米"]);
        }
        var file = photoInput && photoInput.files && photoInput.files[0];
        if (file) {
          return downsize(file).then(function (blob) { return deliverPhoto(payload.client_uuid, blob); });
        }
        refreshToday();
      } else if (res.status === 401) {
        waiting = payload;
        retry.hidden = false;
        show("error", ["登录已过期，请重新登录后点“重新发送”。"]);
      } else {
        waiting = null;
        show("error", ["签到未保存："].concat(errorText(res.body)));
      }
    }).catch(function () {
      busy(false);
      waiting = payload;
      retry.hidden = false;
      show("error", ["网络不可用，签到还没有发出。有信号时点“重新发送”（不会重复计数）。"]);
    });
  }

  function deliverPhoto(clientUuid, blob) {
    busy(true, "正在上传照片…");
    return window.BangfuCheckin.sendPhoto(clientUuid, blob).then(function (res) {
      busy(false);
      if (res.status === 200 || res.status === 201) {
        waitingPhoto = null;
        if (photoInput) { photoInput.value = ""; }
        var done = document.createElement("p");
        done.textContent = "照片已上传。";
        result.appendChild(done);
      } else {
        waitingPhoto = null;
        show("error", ["签到已保存，照片未上传："].concat(errorText(res.body)));
      }
      refreshToday();
    }).catch(function () {
      busy(false);
      waitingPhoto = { uuid: clientUuid, blob: blob };
      retry.hidden = false;
      show("error", ["签到已保存，照片还没有发出。有信号时点“重新发送”。"]);
    });
  }

  // With the offline outbox (static/js/outbox.js, on every page): the check-in and its photo are
  // stored on the phone first and sent now or as soon as there is a signal, exactly once.
  function deliverViaOutbox(payload) {
    var ob = window.BangfuOutbox;
    var url = root.getAttribute("data-url");
    var file = photoInput && photoInput.files && photoInput.files[0];
    busy(true, "正在保存…");
    retry.hidden = true;
    return (file ? downsize(file) : Promise.resolve(null)).then(function (blob) {
      var items = [{ id: payload.client_uuid, kind: "attendance", url: url, body: payload,
                     label: "驻村签到 " + new Date(payload.checked_in_at).toLocaleString("zh-CN",
                       { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }) }];
      if (blob) {
        items.push({ id: payload.client_uuid + "-photo", kind: "attendance-photo", parent: payload.client_uuid,
                     url: url + "/" + encodeURIComponent(payload.client_uuid) + "/photo", blob: blob, fields: {},
                     label: "驻村签到照片" });
      }
      var answers = {};
      var off = ob.on(function (type, item, body) { if (type === "sent" && item) { answers[item.id] = body; } });
      return ob.submit(items).then(function (res) {
        off();
        busy(false);
        var mine = res.items.filter(function (i) { return i.id === payload.client_uuid; })[0];
        if (mine && mine.state === "error") {
          show("error", ["签到未保存：" + mine.error]);
          return ob.discard(mine.id);
        }
        if (answers[payload.client_uuid]) {
          var c = answers[payload.client_uuid];
          var where = c.distance_m === null || c.distance_m === undefined ? "" : "距村中心 " + metres(c.distance_m);
          var acc = " · 精度 ±" + Math.round(payload.accuracy_m) + " 米";
          if (c.within_geofence) {
            show("ok", ["签到成功 ✓ 今天计为驻村一天", where + acc]);
          } else {
            show("error", ["已签到，但不在村里的签到范围内，今天不计驻村天数", where + acc]);
          }
          if (blob) {
            var p = document.createElement("p");
            p.textContent = answers[payload.client_uuid + "-photo"] ? "照片已上传。" : "照片已保存在手机上，有信号时自动上传。";
            result.appendChild(p);
          }
          if (photoInput) { photoInput.value = ""; }
          refreshToday();
          return;
        }
        if (photoInput) { photoInput.value = ""; }
        show("", ["已保存在手机上：有信号时会自动上传（不会重复计数）。", "签到时间以现在为准。"]);
      }, function () {
        off();
        busy(false);
        deliver(payload);  // no storage on this phone: send directly, as before
      });
    });
  }

  function located(pos) {
    var c = pos.coords;
    var payload = {
      client_uuid: newUuid(),
      checked_in_at: new Date().toISOString(),
      latitude: c.latitude,
      longitude: c.longitude,
      accuracy_m: c.accuracy
    };
    var lat = root.getAttribute("data-lat"), lng = root.getAttribute("data-lng");
    if (lat !== null && lng !== null) {
      var d = distanceM(c.latitude, c.longitude, parseFloat(lat), parseFloat(lng));
      show("", ["已定位：距村中心约 " + metres(d) + "，精度 ±" + Math.round(c.accuracy) + " 米"]);
    }
    if (window.BangfuOutbox) { deliverViaOutbox(payload); return; }
    deliver(payload);
  }

  function failed(err) {
    busy(false);
    var msg = {
      1: "无法获取位置：请在浏览器或系统设置中允许本网站使用位置信息，然后重试。",
      2: "暂时无法定位，请到开阔处、打开 GPS 后重试。",
      3: "定位超时，请到开阔处重试。"
    }[err && err.code] || "定位失败，请重试。";
    show("error", [msg]);
  }

  button.addEventListener("click", function () {
    if (!("geolocation" in navigator)) {
      show("error", ["此浏览器不支持定位，无法签到。"]);
      return;
    }
    busy(true, "正在定位…");
    result.className = "att-result";
    result.textContent = "";
    navigator.geolocation.getCurrentPosition(located, failed,
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  });

  retry.addEventListener("click", function () {
    if (waiting) {
      deliver(waiting);
    } else if (waitingPhoto) {
      deliverPhoto(waitingPhoto.uuid, waitingPhoto.blob);
    }
  });
}());
