#!/bin/bash
# Build (or find in the cache) everything the nested-Xen harness boots:
#
#   xen                the Xen 4.17 hypervisor, gunzipped: a 32-bit multiboot ELF for QEMU -kernel
#   vmlinux            the Debian 6.1 kernel as a plain ELF (dom0 kernel; Xen loads it fastest)
#   dom0.cpio          the dom0 root filesystem (initramfs, ~30 MB, not compressed: dom0 boots
#                      ~0.6 s faster than from the 14 MB gzip): Xen tools, busybox, bash, kernel
#                      modules, plus scripts/dom0/rootfs/ (our /init, hotplug scripts, xl.conf)
#   linux-pv/vmlinux.gz, linux-pv/initrd.gz
#                      a stand-in Linux PV guest (same kernel, busybox initramfs), used by
#                      test/boot/smoke-linux.test and by anything that needs "a Linux domU"
#
# Nothing is installed on the host: the .deb files are fetched with `apt-get download` and
# unpacked with `dpkg-deb -x`.  Results live in ${MOTE_CACHE:-~/.cache/mote}/nested-KEY/ where
# KEY hashes the package versions apt resolves plus this script and the files it packs, so a
# change to either rebuilds and an unchanged setup costs nothing.
#
# Usage: scripts/dom0/build-image.sh        prints the cache directory on stdout
# Env:   MOTE_CACHE   cache root (default ~/.cache/mote)
#        V=1          show what is being done
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${MOTE_CACHE:-$HOME/.cache/mote}
mkdir -p "$cache/debs"

log() { echo "dom0-image: $*" >&2; }
die() { echo "dom0-image: error: $*" >&2; exit 1; }

# Kernel modules dom0 loads, in this order (dependencies first; checked below).  e1000 drives
# the NIC that `make run` gives QEMU (user networking); scripts/dom0/run-guest.sh loads it and
# puts the NIC on xenbr0 only when that NIC is there (boot tests have none).
DOM0_MODULES="xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc xen-netback xen-blkback
              llc stp bridge loop e1000"
# Modules the network tests load when they need them (test/boot/net-lossy.test): netem, which
# loses, delays and reorders what leaves an interface, and ifb with an ingress redirect, which
# lets netem act on what a guest sends too.
DOM0_TEST_MODULES="sch_netem ifb sch_ingress cls_matchall act_mirred"
# Modules the stand-in Linux guest loads so that its vif/vbd frontends connect.
GUEST_MODULES="xen-netfront xen-blkfront"

# Files whose content changes the result (part of the cache key).
key_files() {
    (cd "$here" && find build-image.sh packages.txt rootfs linux-guest -type f | LC_ALL=C sort)
}

# ---------------------------------------------------------------------------------------------
# 1. Which .deb files (= which versions) does apt pick?
#
# `apt-get download --print-uris` answers that but takes ~1 s, so its answer is remembered,
# keyed on the package list and on the state of apt's package lists.
packages=$(sed -e 's/#.*//' "$here/packages.txt" | xargs)
apt_state=$( (echo "$packages"; cat /etc/apt/preferences /etc/apt/preferences.d/* 2>/dev/null;
              stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* 2>/dev/null) | sha256sum | cut -c1-16)
resolved="$cache/resolved-$apt_state.txt"

resolve() {
    # Follow the linux-image-amd64 metapackage to the real kernel package.
    local p list=
    for p in $packages; do
        if [ "$p" = linux-image-amd64 ]; then
            p=$(apt-cache depends "$p" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -1)
            [ -n "$p" ] || return 1
        fi
        list="$list $p"
    done
    # shellcheck disable=SC2086
    apt-get download --print-uris $list 2>/dev/null | awk '{print $2}' | LC_ALL=C sort
}

if [ ! -s "$resolved" ]; then
    if ! resolve >"$resolved.tmp" || [ "$(wc -l <"$resolved.tmp")" -lt "$(echo "$packages" | wc -w)" ]; then
        # A fresh machine may have no package lists yet.
        log "apt cannot resolve the packages; running apt-get update"
        if [ "$(id -u)" -eq 0 ]; then apt-get update -qq >&2; else sudo apt-get update -qq >&2; fi
        apt_state=$( (echo "$packages"; cat /etc/apt/preferences /etc/apt/preferences.d/* 2>/dev/null;
                      stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* 2>/dev/null) | sha256sum | cut -c1-16)
        resolved="$cache/resolved-$apt_state.txt"
        resolve >"$resolved.tmp" || die "apt-get cannot resolve: $packages"
    fi
    [ "$(wc -l <"$resolved.tmp")" -ge "$(echo "$packages" | wc -w)" ] ||
        die "apt resolved only: $(xargs <"$resolved.tmp")"
    mv "$resolved.tmp" "$resolved"
fi

key=$( (cat "$resolved"; key_files | while read -r f; do echo "$f"; cat "$here/$f"; done) |
       sha256sum | cut -c1-16)
out="$cache/nested-$key"
if [ -e "$out/.complete" ]; then
    touch "$out"   # "in use": a build for another key removes only builds unused for 10 min
    echo "$out"
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# Only one builder at a time (two test runs may start together).
exec 9>"$cache/.lock"
flock 9
if [ -e "$out/.complete" ]; then touch "$out"; echo "$out"; exit 0; fi

t0=$(date +%s)
log "building $out (first run, or packages/scripts changed)"
work=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------------------------------------
# 2. Download the .debs that are not in the cache yet.
missing=()
while read -r deb; do
    [ -s "$cache/debs/$deb" ] || missing+=("${deb%%_*}=$(echo "$deb" | cut -d_ -f2 | sed 's/%3a/:/')")
done <"$resolved"
if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get download ${#missing[@]} packages"
    # As root, apt's download sandbox user (_apt) may not be able to write here; that is
    # harmless but noisy, so download as root explicitly.
    sandbox=()
    [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
    (cd "$cache/debs" && apt-get download -q "${sandbox[@]}" "${missing[@]}" >&2) ||
        die "apt-get download failed"
fi

# ---------------------------------------------------------------------------------------------
# 3. Unpack everything into one tree.
tree=$work/tree
mkdir -p "$tree"
while read -r deb; do
    dpkg-deb -x "$cache/debs/$deb" "$tree"
done <"$resolved"

kver=$(basename "$(ls -d "$tree"/lib/modules/*)")
[ -n "$kver" ] || die "no kernel modules in the unpacked tree"

# ---------------------------------------------------------------------------------------------
# 4. Hypervisor and kernel images.
gunzip -c "$tree/boot/xen-4.17-amd64.gz" >"$work/xen"

# Debian's vmlinuz is a bzImage whose payload is an xz stream; unpack it to the plain ELF.
vmlinuz=$tree/boot/vmlinuz-$kver
off=$(grep -abo $'\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1)
[ -n "$off" ] || die "no xz payload found in $vmlinuz"
tail -c +$((off + 1)) "$vmlinuz" | xz -dc --single-stream >"$work/vmlinux" 2>/dev/null || true
file -b "$work/vmlinux" | grep -q '^ELF 64-bit' || die "could not extract vmlinux from $vmlinuz"

# ---------------------------------------------------------------------------------------------
# 5. The dom0 root: the unpacked tree minus what dom0 never uses.
root=$tree
rm -rf "${root:?}/boot" "$root/usr/share" "$root/usr/include" "$root/usr/lib/python3"* \
       "$root/usr/lib/xen-4.17/lib/python" "$root/usr/lib/xen-4.17/boot" \
       "$root/usr/lib/x86_64-linux-gnu/gconv" "$root/etc/init.d" "$root/lib/systemd" \
       "$root/usr/lib/systemd" "$root/etc/xen/scripts" "$root/etc/xen/xlexample"*
# Big Xen tools for tracing, HVM, livepatching, XSM, ... that no test uses (the OCaml
# xenstored too: we run the C one).  What is left includes xl, xenstore-*, xentop, xenctx
# (registers of a guest's vCPU) and readnotes (a kernel image's ELF notes).
(cd "$root/usr/lib/xen-4.17/bin" && rm -f oxenstored pygrub xenpaging xentrace* xen-kdd \
    xen-mceinj xen-memshare xen-mfndump xen-hptool xen-hvmcrash xen-hvmctx xen-access \
    xen-vmtrace flask-* test-* xenlockprof xenperf xenpm xencov xen-lowmemd xenwatchdogd \
    init-xenstore-domain convert-legacy-stream verify-stream-v2 xenpvnetboot xen-livepatch \
    xen-ucode xendomains)
rm -f "$root/usr/bin/xenalyze" "$root/usr/sbin/gdbsx" "$root/usr/sbin/xenpmd"
# Drop Debian's version-picking wrappers (usr/sbin/xl -> a /bin/sh script) of removed tools.
# (dom0's PATH starts with /usr/lib/xen-4.17/bin, so the wrappers are not used anyway.)
for l in "$root"/usr/sbin/* "$root"/usr/bin/*; do
    [ -L "$l" ] && [ "$(readlink "$l")" = ../lib/xen-common/bin/xen-utils-wrapper ] &&
        [ ! -e "$root/usr/lib/xen-4.17/bin/$(basename "$l")" ] && rm -f "$l"
done
mv "$root/lib/modules" "$work/modules"

# Kernel modules: copy the ones we load, check their dependencies are loaded before them.
copy_modules() { # DEST-DIR MODULE... ; writes DEST-DIR/load-order
    local dest=$1 m f dep loaded=" "
    shift
    mkdir -p "$dest"
    : >"$dest/load-order"
    for m in "$@"; do
        f=$(find "$work/modules/$kver/kernel" -name "$m.ko" | head -1)
        [ -n "$f" ] || die "kernel module $m.ko not found in $kver"
        for dep in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ',' ' '); do
            case "$loaded" in *" ${dep//_/-} "*|*" ${dep//-/_} "*) ;;
                *) die "module $m needs $dep: add it before $m";; esac
        done
        cp "$f" "$dest/"
        echo "$m.ko" >>"$dest/load-order"
        loaded="$loaded$m "
    done
}
# shellcheck disable=SC2086
copy_modules "$root/lib/modules/$kver" $DOM0_MODULES $DOM0_TEST_MODULES

# Our own files: /init, hotplug scripts, xl.conf, helpers.
cp -a "$here/rootfs/." "$root/"

# /bin/sh is bash (dash is not in the image); busybox supplies the tools nobody else does.
ln -sf bash "$root/bin/sh"
for app in $("$root/bin/busybox" --list-full); do
    [ -e "$root/$app" ] || [ -L "$root/$app" ] || {
        mkdir -p "$root/$(dirname "$app")"
        ln -s /bin/busybox "$root/$app"
    }
done
mkdir -p "$root"/{proc,sys,dev,run,tmp,var/lib/xen,var/log/xen,var/lock,mote}
ln -sfn /run "$root/var/run"
chmod 1777 "$root/tmp"

# Prebuilt ld.so cache: saves the dynamic loader a directory search per library.
ldconfig -r "$root" 2>/dev/null || true

# Every program dom0 runs must find its shared libraries (else: add the package above).
needed_ok=1
check_needed() { # ELF files...; follows NEEDED recursively inside $root
    local -A seen=()
    local queue=("$@") f n d found
    while [ ${#queue[@]} -gt 0 ]; do
        f=${queue[0]}; queue=("${queue[@]:1}")
        for n in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -n "${seen[$n]:-}" ] && continue
            seen[$n]=1
            found=
            for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
                [ -e "$root/$d/$n" ] && { found=$root/$d/$n; break; }
            done
            if [ -n "$found" ]; then queue+=("$found")
            else log "missing shared library $n (needed by ${f#"$root"/})"; needed_ok=0; fi
        done
    done
}
bins=()
for b in usr/lib/xen-4.17/bin/{xl,xenstored,xenconsoled,xen-init-dom0} usr/bin/xenstore \
         bin/bash bin/ip sbin/tc sbin/losetup bin/date bin/dd usr/bin/timeout usr/bin/tail; do
    [ -e "$root/$b" ] || die "$b missing from the dom0 tree"
    bins+=("$root/$b")
done
check_needed "${bins[@]}"
[ "$needed_ok" = 1 ] || die "add the packages providing the libraries above to scripts/dom0/packages.txt"

# Pack it.  (The per-run archive is appended to this one at every boot; a newc archive
# ends 512-byte aligned, as the kernel's initramfs loader wants.)
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$work/dom0.cpio"

# ---------------------------------------------------------------------------------------------
# 6. Stand-in Linux PV guest: the same kernel (gzip-compressed ELF: xl unpacks that quickly)
#    and a busybox initramfs whose /init is scripts/dom0/linux-guest/init.
g=$work/guest
mkdir -p "$g/bin" "$g/sbin" "$g/usr/bin" "$g/usr/sbin" "$g"/{proc,sys,dev,tmp,mnt}
cp "$tree/bin/busybox" "$g/bin/busybox"
for app in $("$g/bin/busybox" --list-full); do
    [ -e "$g/$app" ] || ln -s /bin/busybox "$g/$app"
done
cp -a "$here/linux-guest/." "$g/"
# shellcheck disable=SC2086
copy_modules "$g/lib/modules" $GUEST_MODULES
mkdir -p "$work/linux-pv"
(cd "$g" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$work/linux-pv/initrd.gz"
gzip -1 -c "$work/vmlinux" >"$work/linux-pv/vmlinux.gz"

# ---------------------------------------------------------------------------------------------
cp "$resolved" "$work/versions.txt"
echo "$kver" >"$work/kernel-release"
rm -rf "$tree" "$work/modules" "$g"
touch "$work/.complete"
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
# Drop builds for other keys (older package versions or scripts) that nobody used for 10
# minutes (another run may be about to boot one).
find "$cache" -maxdepth 1 -name 'nested-*' ! -path "$out" -mmin +10 -exec rm -rf {} +
# ... and what builders killed half-way left behind.
find "$cache" -maxdepth 1 -name 'tmp.*' -mmin +60 -exec rm -rf {} +
for f in "$cache"/resolved-*.txt; do
    [ "$f" = "$resolved" ] || rm -f "$f"
done
# ... and .debs no longer used.
for f in "$cache"/debs/*.deb; do
    grep -qxF "$(basename "$f")" "$resolved" || rm -f "$f"
done
log "done in $(( $(date +%s) - t0 ))s: $(du -sh "$out" | cut -f1) in $out"
echo "$out"
