#!/bin/sh
# Install every Debian package that Mote's build, tests and nested-Xen harness need.
# The Xen hypervisor, the Xen tools and the dom0 kernel are NOT installed on the host:
# scripts/dom0/build-image.sh downloads their .deb files and unpacks them into a cache.
set -eu

# iproute2, iputils-ping, netcat-openbsd and dnsmasq-base are the Linux side of the hosted
# network tests (test/hosted/run.sh): namespaces and TAP devices, ping, nc, a DHCP server;
# curl is the client of httpd's tests (test/hosted/httpd.sh).

PACKAGES="
  gcc binutils make libc6-dev
  libxen-dev
  check pkg-config
  clang libclang-rt-14-dev
  iproute2 iputils-ping netcat-openbsd dnsmasq-base curl
  qemu-system-x86
  cpio xz-utils gzip zstd file
  tar coreutils
"

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

missing=
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "deps: all packages present"
  exit 0
fi
echo "deps: installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
