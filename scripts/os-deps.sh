#!/usr/bin/env bash
# What the OS must provide: a Chinese font and HarfBuzz subsetting for PDFs,
# poppler-utils for PDF checks, and Debian's Chromium for the browser tests.
# Installs only what is missing; warns and goes on where apt is unavailable.
set -u
want=()
fc-list :lang=zh 2>/dev/null | grep -q . || want+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so' || want+=(libharfbuzz-subset0)
command -v pdftotext >/dev/null || want+=(poppler-utils)
if [ "${WITH_BROWSER:-0}" = 1 ]; then
  [ -x /usr/bin/chromium ] || want+=(chromium)
fi
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "warning: please install ${want[*]} (apt-get is not available to this user); PDFs may lack Chinese glyphs or be slow" >&2
  exit 0
fi
echo "installing OS packages: ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || echo "warning: apt-get update failed" >&2
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null || {
  echo "warning: could not install ${want[*]}" >&2
  # the font has a small fallback
  case " ${want[*]} " in *" fonts-noto-cjk "*) apt-get install -y -qq fonts-wqy-microhei >/dev/null || true;; esac
}
exit 0
