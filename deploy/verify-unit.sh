#!/bin/sh
# Check deploy/tashilyar.service with `systemd-analyze verify` (CI runs this).
# verify insists that ExecStart's program exists; on a machine where Tashilyar is not
# installed in /opt/tashilyar, a copy of the unit points at a stub instead, nothing else
# changed. Needs the systemd package (apt-get install -y systemd).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
unit="$here/tashilyar.service"
program=/opt/tashilyar/.venv/bin/tashilyar
# verify exits 0 on an unknown key or a bad value ("ignoring"): any output is a failure.
check() {
    out=$(systemd-analyze verify "$1" 2>&1) || { echo "$out"; exit 1; }
    if [ -n "$out" ]; then echo "$out"; exit 1; fi
    echo "deploy/tashilyar.service: systemd-analyze verify found nothing to complain about"
}
if [ -x "$program" ]; then
    check "$unit"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\nexit 0\n' > "$work/tashilyar"
chmod +x "$work/tashilyar"
sed "s|^ExecStart=$program |ExecStart=$work/tashilyar |" "$unit" > "$work/tashilyar.service"
grep -q "^ExecStart=$work/tashilyar run$" "$work/tashilyar.service"
check "$work/tashilyar.service"
