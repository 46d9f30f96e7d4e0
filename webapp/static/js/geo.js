/* 帮扶通 — position on the phone, shared by the visit form and 驻村签到: one GPS fix, the
 * distance to a known point (the same great-circle formula as the server's), the Chinese reason
 * a fix failed. Exposes self.BangfuGeo. */
(function (global) {
  'use strict';

  /* metres between two WGS-84 points (haversine, mean Earth radius) */
  function distanceM(lat1, lng1, lat2, lng2) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dp = (lat2 - lat1) * rad, dl = (lng2 - lng1) * rad;
    var a = Math.sin(dp / 2) * Math.sin(dp / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  /* 850 米, 2.3 公里 */
  function metres(m) {
    return m >= 1000 ? (m / 1000).toFixed(1) + ' 公里' : Math.round(m) + ' 米';
  }

  var REASONS = {
    1: '无法获取位置：您拒绝了定位权限。请在浏览器或手机设置里允许本网站使用位置信息，然后',
    2: '无法获取位置：手机没有定位信号。请打开 GPS（位置信息），走到室外或开阔处，再',
    3: '定位超时：没有得到位置。请走到开阔处，再'
  };

  /* the Chinese reason for a failed fix (a GeolocationPositionError, or the unsupported case),
   * ending with what to press: again = '点“重新定位”' or '重试' */
  function errorText(err, again) {
    if (err && err.unsupported) return '此浏览器不能定位（或网页不是通过 HTTPS 打开的）。';
    var reason = REASONS[err && err.code];
    return reason ? reason + (again || '重试') + '。' : '无法获取位置：' + ((err && err.message) || '请重试。');
  }

  /* one fresh high-accuracy fix: resolves {latitude, longitude, accuracy, at}, rejects with the
   * browser's error ({unsupported: true} where there is no geolocation at all) */
  function locate(timeoutMs) {
    return new Promise(function (resolve, reject) {
      if (!global.navigator || !('geolocation' in global.navigator)) { reject({ unsupported: true }); return; }
      global.navigator.geolocation.getCurrentPosition(function (pos) {
        resolve({ latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy: pos.coords.accuracy, at: new Date() });
      }, reject, { enableHighAccuracy: true, timeout: timeoutMs || 30000, maximumAge: 0 });
    });
  }

  global.BangfuGeo = { distanceM: distanceM, metres: metres, errorText: errorText, locate: locate };
})(self);
