#!/usr/bin/env bash
# CI only: builds Debian's xdg-desktop-portal-wlr from its source with one condition changed, and
# installs it. Real desktops do not need this.
#
# Why: 0.7.0 fails ScreenCast.Start when wlr_screencopy offers no dmabuf format ("unable to receive a
# valid format from wlr_screencopy", emersion/xdg-desktop-portal-wlr#289). A headless sway without
# /dev/dri renders with pixman and offers shared memory only, so only a missing shm format may be fatal.
# Everything is built in a temporary folder that is removed at the end: nothing is cached.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if dpkg -s xdg-desktop-portal-wlr 2>/dev/null | grep -q '^Version:.*+mkvcast'; then
  echo "ci: patched xdg-desktop-portal-wlr already installed"
  exit 0
fi

# A deb-src entry for the same archive and suites as the binary packages.
src_list=/etc/apt/sources.list.d/mkvcast-src.sources
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
  cat >"$src_list" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
fi

apt-get install -y -qq dpkg-dev devscripts >/dev/null
apt-get build-dep -y -qq xdg-desktop-portal-wlr >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source -qq xdg-desktop-portal-wlr >/dev/null
cd xdg-desktop-portal-wlr-*/

# The one changed condition: give up only when there is no shared-memory format.
file=src/screencast/screencast.c
before=$(md5sum "$file")
perl -0pi -e 's/if \(cast->screencopy_frame_info\[WL_SHM\]\.format == DRM_FORMAT_INVALID \|\|\s*\(cast->ctx->state->screencast_version >= 3 &&\s*cast->screencopy_frame_info\[DMABUF\]\.format == DRM_FORMAT_INVALID\)\)/if (cast->screencopy_frame_info[WL_SHM].format == DRM_FORMAT_INVALID)/' "$file"
if [ "$(md5sum "$file")" = "$before" ]; then
  echo "ci: the condition to patch in $file was not found" >&2
  exit 1
fi

dch --local +mkvcast 'Only a missing shm format is fatal (headless sway with pixman).' >/dev/null 2>&1
DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -b -uc -us -j2 >build.log 2>&1 || {
  tail -40 build.log >&2
  exit 1
}
apt-get install -y -qq --allow-downgrades ../xdg-desktop-portal-wlr_*.deb >/dev/null
echo "ci: installed $(dpkg-query -W -f='${Package} ${Version}' xdg-desktop-portal-wlr)"
