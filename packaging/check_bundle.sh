#!/usr/bin/env bash
# Builds the one-folder bundle once and proves it runs as billing offices will run it:
# no network at all, from a read-only copy, as a non-root user with a fresh home, twice in a row,
# and two copies at once. Prints bundle size (largest parts), build time and cold/warm start times; fails when
# the bundle is over 200 MB, when a bundled library lacks a library it links, or when Qt answers differently with
# the slim ICU data (build.spec says what it leaves out and why).
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
size_kib=$(du -sk dist/codebook | cut -f1)
echo "bundle size: $(du -sh dist/codebook | cut -f1) ($((size_kib / 1024)) MiB on disk, $(du -sb dist/codebook | cut -f1) bytes)"
echo "largest parts:"  # one du per folder: a single du counts a file only under the first folder it meets
{ for part in dist/codebook/_internal dist/codebook/_internal/PySide6/Qt/lib dist/codebook/_internal/data/current; do
    du -sh "$part"/*; done; } | sort -h | tail -12 | sed 's/^/  /'
# The double-click bundle's budget (du -sh, as reported since the first bundle): a cut undone or data grown fails here.
[ "$size_kib" -le $((200 * 1024)) ] || { echo "bundle is over 200 MB (du -sk: $size_kib KiB)"; exit 1; }

echo "== every bundled library finds what it links (build.spec leaves libraries out)"
# Allowed missing: the XCB/Wayland client libraries Qt's xcb and wayland plugins link, which every X11/Wayland
# desktop has and which the build machine lacks (so PyInstaller cannot bundle them).
DESKTOP_LIBS='^(libxcb-icccm\.so\.4|libxcb-keysyms\.so\.1|libwayland-cursor\.so\.0|libwayland-egl\.so\.1)$'
missing=$(find dist/codebook/_internal -name '*.so*' -type f -print0 \
    | xargs -0 -n1 env LD_LIBRARY_PATH=dist/codebook/_internal ldd 2>/dev/null \
    | awk '/not found/ {print $1}' | sort -u | grep -Ev "$DESKTOP_LIBS" || true)
[ -z "$missing" ] || { echo "bundled libraries link libraries that are neither bundled nor allowed: $missing"; exit 1; }
echo "  none missing beyond the desktop's XCB/Wayland client libraries"

if [ "$(uname -s)" = Linux ]; then
    echo "== slim ICU data: Qt answers as with all of ICU's data"
    $PY packaging/icu_probe.py > build/icu-full.json
    slim_icu=$(ls "$PWD"/dist/codebook/_internal/PySide6/Qt/lib/libicudata.so.*)
    LD_PRELOAD="$slim_icu" $PY packaging/icu_probe.py > build/icu-slim.json
    diff build/icu-full.json build/icu-slim.json || { echo "Qt answers differently with the slim ICU data"; exit 1; }
    echo "  $(grep -c '^ "' build/icu-full.json) answers equal"
fi

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
