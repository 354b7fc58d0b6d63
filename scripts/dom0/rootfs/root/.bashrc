# Interactive dom0 shell (boot-test.sh -k, or no /mote/main).
PS1='dom0:\w# '
export PATH=/usr/lib/xen-4.17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
echo "dom0: guest consoles: /var/log/xen/console/; tests: /run/mote/tests/; try: xl list"
