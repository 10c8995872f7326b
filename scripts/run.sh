#!/usr/bin/env bash
# Sets up (if needed), builds (Release) and opens the ConvScope GUI.
# Arguments go to the app: scripts/run.sh [MODEL [IMAGE]]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" release
exec "$root/build/release/app/convscope" "$@"
