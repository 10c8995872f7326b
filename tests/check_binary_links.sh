#!/bin/sh
# Fails if the convscope binary itself links Qt 5 or OpenCV's highgui (which
# would drag Qt 5 into our link line). Debian's libtorch loads highgui for
# its own use; that indirect dependency is allowed and expected.
set -eu
binary="$1"
needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "$needed"
if echo "$needed" | grep -E '^libQt5|opencv_highgui' ; then
    echo "FAIL: $binary directly links the libraries above" >&2
    exit 1
fi
echo "$needed" | grep -q '^libQt6Widgets' || { echo "FAIL: $binary does not link Qt 6" >&2; exit 1; }
echo "ok: no direct Qt 5 or opencv_highgui"
