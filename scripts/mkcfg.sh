#!/bin/sh
# Write the xl configuration for a Mote image, for `xl create` on a real Xen host.
#   mkcfg.sh IMAGE NAME MEMORY_MIB
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
# Arguments for app_main, as on a shell command line:
extra   = ""
on_poweroff = "destroy"
on_reboot   = "restart"
on_crash    = "preserve"
CFG
