#!/bin/sh
# Write the xl configuration for a Mote image, for `xl create` on a real Xen host.
#   mkcfg.sh IMAGE NAME MEMORY_MIB
# httpd's also gets its site, the tar archive site.tar next to IMAGE (the Makefile builds
# build/site.tar from SITE=folder), as its first disk, and a network interface on bridge
# xenbr0; test/boot/httpd-cfg.test boots that config with `xl create` in nested Xen.
set -eu
image=$1
name=$2
memory=$3
cat <<CFG
# xl config for Mote's "$name" app. Boot it with:  xl create -c $(basename "$image").cfg
# (-c attaches the console; leave it with Ctrl-]). See xl.cfg(5).
name    = "mote-$name"
type    = "pv"
kernel  = "$image"
memory  = $memory
vcpus   = 1
CFG
case "$name" in
httpd)
    cat <<CFG
# The site: a tar archive of a folder, read-only as the first disk (xvda). Make one with
#   tar -cf site.tar -C path/to/folder .     (or: make build/site.tar SITE=path/to/folder)
disk    = [ "format=raw, vdev=xvda, access=ro, target=$(dirname "$image")/site.tar" ]
# One network interface, on the host's bridge (name yours here). An address for the guest
# can come from the vif too: "bridge=xenbr0, ip=192.0.2.10" (Mote takes it, as a /24).
vif     = [ "bridge=xenbr0" ]
# Arguments for httpd, as on a shell command line: ip=192.0.2.10/24 gw=192.0.2.1 for a
# static address (else the vif's ip= above, else DHCP), port=80, log=on|off, workers=4,
# connections=N, head_timeout=S, idle_timeout=S.
extra   = ""
CFG
    ;;
*)
    cat <<CFG
# Arguments for app_main, as on a shell command line:
extra   = ""
CFG
    ;;
esac
cat <<CFG
on_poweroff = "destroy"
on_reboot   = "restart"
on_crash    = "preserve"
CFG
