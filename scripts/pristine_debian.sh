#!/usr/bin/env bash
# Proves that `make test` passes on a pristine Debian 12: a debootstrap minbase root with only
# python3, python3-venv, git and make, a fresh clone of this repository, and `make test` run
# inside it (as CI would). Everything else must be installed by `make test` itself.
#
#   sudo scripts/pristine_debian.sh [REF]        # REF defaults to HEAD
#
# Environment:
#   KUBEMAIL_PRISTINE_DIR   where the roots live (default /var/tmp/kubemail-pristine)
#   KUBEMAIL_PRISTINE_KEEP  1 = keep the used root afterwards for inspection
#   MAKE_TARGET             the target to run inside (default: test)
#
# The minbase root is built once and cached as a tarball; each run unpacks a new copy, so every run
# starts pristine. Apt uses the mirror this machine's apt is configured with; pip and npm use this
# machine's CA bundle, as the host's clients do. Services installed inside are never started by apt
# (policy-rc.d), so nothing but the tests' own servers runs, all on loopback.
set -euo pipefail

ref=${1:-HEAD}
here=$(cd "$(dirname "$0")/.." && pwd)
base_dir=${KUBEMAIL_PRISTINE_DIR:-/var/tmp/kubemail-pristine}
target=${MAKE_TARGET:-test}
packages=python3,python3-venv,git,make

[ "$(id -u)" = 0 ] || { echo "run as root (debootstrap and chroot need it)" >&2; exit 2; }
command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }

mirror() {
    # The first Debian archive URI of this machine's apt configuration (deb822 or one-line format).
    local uri
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
    [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n1 || true)
    [ -n "$uri" ] || { echo "no Debian mirror in this machine's apt sources" >&2; exit 2; }
    echo "$uri"
}

mkdir -p "$base_dir"
tarball="$base_dir/bookworm-minbase.tgz"
if [ ! -s "$tarball" ]; then
    echo "== building the minbase tarball ($packages)"
    debootstrap --variant=minbase --include="$packages" --make-tarball="$tarball.part" bookworm "$base_dir/tarball-work" "$(mirror)"
    mv "$tarball.part" "$tarball"
    rm -rf "$base_dir/tarball-work"
fi

root="$base_dir/root-$$"
cleanup() {
    for m in dev/shm dev/pts dev sys proc; do
        mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
    done
    if [ "${KUBEMAIL_PRISTINE_KEEP:-0}" != 1 ]; then rm -rf "$root"; else echo "root kept at $root"; fi
}
trap cleanup EXIT

echo "== unpacking a pristine root at $root"
debootstrap --variant=minbase --include="$packages" --unpack-tarball="$tarball" bookworm "$root" "$(mirror)"

# The root is not a booted system: apt must not start the services it installs.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# What the Debian installer writes on every machine (no package ships it; debootstrap leaves it out).
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)" >"$root/etc/hosts"
# This machine's CA bundle, which its package clients (pip, npm) are configured to trust.
mkdir -p "$root/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"

mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs tmpfs "$root/dev/shm"

echo "== cloning $ref"
git clone -q "$here" "$root/root/kubemail"
git -C "$root/root/kubemail" checkout -q "$(git -C "$here" rev-parse "$ref")"

echo "== make $target inside the pristine root"
start=$(date +%s)
set +e
chroot "$root" /usr/bin/env -i \
    HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    CI=true DEBIAN_FRONTEND=noninteractive \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    npm_config_cafile=/etc/ssl/certs/ca-certificates.crt \
    /bin/bash -c "cd /root/kubemail && make $target" </dev/null
rc=$?
set -e
echo "== make $target in the pristine root exited $rc after $(($(date +%s) - start)) s"
exit $rc
