#!/usr/bin/env bash
# Builds the one-folder bundle once and proves it runs as billing offices will run it:
# no network at all, from a read-only copy, as a non-root user with a fresh home, twice in a row,
# and two copies at once. Prints bundle size (largest parts), build time and cold/warm start times.
# Run from the repository root after the README's test command (it reuses .venv); needs root for
# useradd/runuser/unshare (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

echo "== bundle: install build dependencies and build"
$PY -m pip install -q -e '.[build]'
mkdir -p build
started=$(date +%s.%N)
$PY packaging/build_bundle.py > build/bundle.log 2>&1 || { tail -40 build/bundle.log; exit 1; }
finished=$(date +%s.%N)
tail -2 build/bundle.log
$PY -c "print(f'bundle build time (data + PyInstaller): {$finished - $started:.0f} s')"
echo "bundle size: $(du -sh dist/codebook | cut -f1)"
echo "largest parts:"; du -sh dist/codebook/_internal/* | sort -h | tail -6 | sed 's/^/  /'

user=codebook-ci
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
work=$(mktemp -d /tmp/codebook-bundle-XXXX)
chmod 755 "$work"
cp -a dist/codebook "$work/codebook"
chown -R root:root "$work/codebook"
chmod -R a-w,a+rX "$work/codebook"
home="$work/home"
mkdir -p "$home"
chown "$user" "$home"
before=$(find "$work/codebook" -newer "$work/codebook/codebook" | wc -l)

run_self_test() {  # $1: label
    unshare --net -- runuser -u "$user" -- env -i HOME="$home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
        QT_QPA_PLATFORM=offscreen "$work/codebook/codebook" --self-test 2> "$work/$1.err" | tail -1 > "$work/$1.json" \
        || { echo "self-test $1 failed:"; cat "$work/$1.err" "$work/$1.json"; return 1; }
    grep -q '"self_test": "passed"' "$work/$1.json" || { echo "self-test $1 did not pass"; cat "$work/$1.json"; return 1; }
    echo "  $1: $(cat "$work/$1.json")"
}

echo "== self-test: no network (unshare --net), read-only bundle, non-root user, fresh home"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || echo "  (page cache not dropped: first start may be warm)"
run_self_test cold
run_self_test warm
test -f "$home/.local/share/Codebook/user.sqlite" || { echo "user data not in the user's data directory"; exit 1; }
test -f "$home/.local/share/Codebook/logs/codebook.log" || { echo "no log file in the user's data directory"; exit 1; }
after=$(find "$work/codebook" -newer "$work/codebook/codebook" | wc -l)
[ "$before" = "$after" ] || { echo "something was written into the bundle folder"; exit 1; }

echo "== two copies at once"
run_self_test parallel-a & first=$!
run_self_test parallel-b & second=$!
wait "$first" && wait "$second"

rm -rf "$work"
echo "bundle checks passed"
