#!/usr/bin/env bash
# Checks the README's first command on a fresh Debian system: a minimal Debian made by debootstrap, a clean copy of the
# committed tree (what `git clone` gives: no node_modules, no dist), then inside a chroot, as a newcomer types it:
#   bash scripts/setup.sh && npx retoken demo
# Needs root, debootstrap and the network (a Debian mirror, the npm registry); takes minutes, so it is not in `npm test`
# (run it with `npm run test:fresh-debian`).
#   RELEASE=trixie (default)  nothing preinstalled: setup.sh installs Node 20 and npm from Debian too
#   RELEASE=bookworm          Debian 12's Node is 18, too old: this machine's node and npm are copied in first, as a
#                             user installs Node from nodejs.org; setup.sh must then install the rest
#   CACHE=DIR                 where the pristine debootstrap is kept between runs (default /var/tmp/retoken-debootstrap)
#   DEMO_ARGS="--lines 5"     arguments after `npx retoken demo` (default: none, the README's command exactly)
set -euo pipefail
cd "$(dirname "$0")/.."
release=${RELEASE:-trixie}
cache=${CACHE:-/var/tmp/retoken-debootstrap}
mirror=${MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "test-fresh-debian: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null 2>&1 || { echo "test-fresh-debian: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }

base="$cache/$release"
if [ ! -x "$base/usr/bin/apt-get" ]; then
  mkdir -p "$cache"
  debootstrap --variant=minbase "$release" "$base.partial" "$mirror"
  mv "$base.partial" "$base"
fi

root=$(mktemp -d /var/tmp/retoken-fresh.XXXXXX)
cleanup() {
  for m in dev/pts dev proc sys; do mountpoint -q "$root/$m" && umount -l "$root/$m"; done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
cp -a "$base/." "$root/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

git archive --format=tar --prefix=retoken/ HEAD | tar -x -C "$root/root"

if [ "$release" = bookworm ]; then
  # As from nodejs.org: the node binary and the npm it ships with, under /usr/local.
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  install -D "$(command -v node)" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
fi

# Behind a TLS-intercepting proxy the host trusts an extra CA (NODE_EXTRA_CA_CERTS); the chroot reaches the npm
# registry through the same network, so it gets that file too, and nothing else of the host.
extra_ca=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$root/root/host-extra-ca.crt"
  extra_ca=(NODE_EXTRA_CA_CERTS=/root/host-extra-ca.crt npm_config_cafile=/root/host-extra-ca.crt)
fi

echo "test-fresh-debian: $release in $root; running the README's first command" >&2
chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${extra_ca[@]}" \
  bash -c "cd /root/retoken && bash scripts/setup.sh && npx retoken demo ${DEMO_ARGS:-}" 2>&1 | tee "$root.log"
status=${PIPESTATUS[0]}
# The demo must have run on the fast path: no note about the slower one.
if [ "$status" = 0 ] && grep -q "slower jax-js path" "$root.log"; then
  echo "test-fresh-debian: FAILED: the demo ran on the slower path (OpenBLAS missing)" >&2
  status=1
fi
[ "$status" = 0 ] && echo "test-fresh-debian: OK ($release)" >&2 || echo "test-fresh-debian: FAILED ($release, exit $status; log $root.log)" >&2
exit "$status"
