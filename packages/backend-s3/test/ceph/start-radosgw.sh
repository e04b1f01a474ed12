#!/bin/bash
# Start a throwaway single-node Ceph (one mon, one memstore OSD, one radosgw) on loopback,
# without systemd and with cephx disabled. Everything lives in $CEPH_DIR and dies with it.
#
#   CEPH_DIR=/tmp/x MON_PORT=40001 RGW_PORT=40002 S3_ACCESS_KEY_ID=k S3_SECRET_ACCESS_KEY=s start-radosgw.sh
#
# Needs the Debian packages radosgw, ceph-mon and ceph-osd. Prints "ready" when the S3
# endpoint answers and the user exists. Stop it with stop-radosgw.sh (same CEPH_DIR).
set -euo pipefail
: "${CEPH_DIR:?}" "${MON_PORT:?}" "${RGW_PORT:?}" "${S3_ACCESS_KEY_ID:?}" "${S3_SECRET_ACCESS_KEY:?}"
D=$CEPH_DIR
rm -rf "$D"; mkdir -p "$D"/{mon,osd0,run,log,rgw}
FSID=$(cat /proc/sys/kernel/random/uuid)
C="$D/ceph.conf"
cat > "$C" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon allow pool delete = true
mon data avail warn = 2
mon data avail crit = 1
public network = 127.0.0.0/8
ms bind ipv6 = false
# Without all six "crc secure" lines radosgw hangs while authenticating.
ms mon client mode = crc secure
ms client mode = crc secure
ms mon service mode = crc secure
ms service mode = crc secure
ms mon cluster mode = crc secure
ms cluster mode = crc secure
run dir = $D/run
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
log file = $D/log/\$name.log
keyring = $D/keyring
osd objectstore = memstore
memstore device bytes = 2147483648
osd data = $D/osd\$id
mon data = $D/mon/\$id
[client.rgw.a]
# tcp_nodelay: without it every GET on a reused connection stalls ~44 ms (Nagle + delayed ACK).
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $D/rgw
rgw dns name = localhost
CONF
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$D/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap"
ceph-mon -c "$C" -i a
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
ID=$(ceph --connect-timeout 60 -c "$C" osd new "$OSD_UUID")
ceph-osd -c "$C" -i "$ID" --mkfs --osd-uuid "$OSD_UUID" 2>>"$D/log/osd-mkfs.log"
ceph-osd -c "$C" -i "$ID"
for _ in $(seq 1 120); do ceph --connect-timeout 10 -c "$C" osd stat 2>/dev/null | grep -q '1 up' && break; sleep 0.5; done
radosgw -c "$C" -n client.rgw.a --client-mount-timeout 30
for _ in $(seq 1 240); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$RGW_PORT") 2>/dev/null; then break; fi
  sleep 0.25
done
radosgw-admin -c "$C" user create --uid=themis-test --display-name=themis-test \
  --access-key="$S3_ACCESS_KEY_ID" --secret="$S3_SECRET_ACCESS_KEY" >/dev/null
# A second user with no grants on the first user's buckets, for access-denied tests.
if [ -n "${S3_OTHER_ACCESS_KEY_ID:-}" ]; then
  radosgw-admin -c "$C" user create --uid=themis-other --display-name=themis-other \
    --access-key="$S3_OTHER_ACCESS_KEY_ID" --secret="$S3_OTHER_SECRET_ACCESS_KEY" >/dev/null
fi
echo ready
