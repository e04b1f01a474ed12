#!/bin/bash
# Stop what start-radosgw.sh started in $CEPH_DIR (by the pids in its pid files) and remove it.
set -uo pipefail
: "${CEPH_DIR:?}"
for f in "$CEPH_DIR"/run/*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null
done
for f in "$CEPH_DIR"/run/*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
done
rm -rf "$CEPH_DIR"
