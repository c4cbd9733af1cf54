#!/usr/bin/env bash
# A real S3 server for tests and development: single-node Ceph (one mon, one in-memory OSD,
# no auth inside the cluster) with radosgw (beast frontend) on loopback, all as plain
# processes whose files live in DIR. Data is in RAM: `stop` (or a reboot) forgets it.
#
#   RGW_ACCESS_KEY=… RGW_SECRET_KEY=… scripts/radosgw.sh start DIR PORT
#   scripts/radosgw.sh stop DIR
#
# Keys come from the environment so they do not show up in `ps` of this script.
# `start` is idempotent: when DIR's gateway already answers on PORT it only (re)sets the
# user's keys. Exit codes: 0 ready, 1 failed, 2 usage, 3 the Debian packages cannot be installed.
# RGW_KEEP_FAILED=1 leaves a half-started cluster running to look at.
set -euo pipefail

APT_PACKAGES=(radosgw ceph-mon ceph-osd ceph-common uuid-runtime curl)
RGW_USER=sohoa

usage() { echo "usage: $0 start DIR PORT | stop DIR  (start reads RGW_ACCESS_KEY, RGW_SECRET_KEY)" >&2; exit 2; }

install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || { echo "cannot install ${missing[*]}: not root and no sudo" >&2; exit 3; }
    sudo="sudo -n"
  fi
  echo "installing system packages: ${missing[*]}" >&2
  # Other installs may hold the dpkg lock for a while: wait for it rather than fail.
  $sudo apt-get update -qq -o DPkg::Lock::Timeout=600 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null || { echo "apt-get install failed" >&2; exit 3; }
}

answers() { [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/" || true)" = 200 ]; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A live process of this cluster (a zombie counts as gone: init reaps it when it gets to it).
ours() { [ -r "/proc/$1/stat" ] && grep -qE 'ceph|radosgw' "/proc/$1/comm" && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }

stop_cluster() {
  local dir=$1 pidfile pids=() pid
  for pidfile in "$dir"/run/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile"); rm -f "$pidfile"
    ours "$pid" && pids+=("$pid")
  done
  ((${#pids[@]})) || return 0
  kill "${pids[@]}" 2>/dev/null || true
  # The data is in RAM and thrown away anyway: a few seconds of grace, then SIGKILL.
  for _ in $(seq 30); do
    for pid in "${pids[@]}"; do ours "$pid" && break; pid=""; done
    [ -z "$pid" ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do ours "$pid" && kill -9 "$pid" 2>/dev/null; done
  return 0
}

write_conf() {
  local dir=$1 port=$2 mon_port=$3 fsid=$4
  cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
mon initial members = a
public addr = 127.0.0.1
ms bind msgr1 = false
# auth none inside the cluster: it is reachable from this machine only; S3 keys still apply.
auth cluster required = none
auth service required = none
auth client required = none
# Daemons default to "secure" mode towards the mon, which auth none cannot give.
ms mon client mode = crc
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
mon data = $dir/mon/\$name
osd data = $dir/osd/\$name
osd objectstore = memstore
memstore device bytes = 2147483648
# The OSD is placed in the CRUSH map by hand below; nothing to detect at start.
osd crush update on start = false
osd class update on start = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
# Daemons of one machine talk over loopback: no checksums on the wire, no in-memory debug
# logs. Both cost server CPU that a test or benchmark on a shared machine would pay.
ms crc data = false
ms crc header = false
debug ms = 0/0
debug osd = 0/0
debug rgw = 0/0
debug objclass = 0/0

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port tcp_nodelay=1
rgw data = $dir/rgw
rgw enable usage log = false
rgw enable ops log = false
EOF
}

start_cluster() {
  local dir=$1 port=$2 mon_port fsid osd_uuid osd_id
  mon_port=$(free_port); fsid=$(uuidgen); osd_uuid=$(uuidgen)
  rm -rf "${dir:?}"/{mon,osd,run,log,rgw,monmap,ceph.conf}
  mkdir -p "$dir"/{mon/mon.a,run,log,rgw}
  write_conf "$dir" "$port" "$mon_port" "$fsid"
  local c=(-c "$dir/ceph.conf")
  monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap"
  ceph-mon "${c[@]}" -i a
  osd_id=$(timeout 30 ceph "${c[@]}" osd new "$osd_uuid")
  mkdir -p "$dir/osd/osd.$osd_id"
  ceph-osd "${c[@]}" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" 2>>"$dir/log/mkfs.log"
  timeout 30 ceph "${c[@]}" osd crush add-bucket node host >/dev/null 2>&1
  timeout 30 ceph "${c[@]}" osd crush move node root=default >/dev/null 2>&1
  timeout 30 ceph "${c[@]}" osd crush add "osd.$osd_id" 1.0 host=node >/dev/null 2>&1
  # Each daemon forks into the background once it has joined the cluster.
  timeout 60 ceph-osd "${c[@]}" -i "$osd_id" 2>>"$dir/log/start.log"
  timeout 120 radosgw "${c[@]}" -n client.rgw 2>>"$dir/log/start.log"
}

set_user() {
  local c=(-c "$1/ceph.conf")
  # radosgw-admin prints the keys: keep its output out of every log.
  if ! radosgw-admin "${c[@]}" user info --uid="$RGW_USER" >/dev/null 2>&1; then
    radosgw-admin "${c[@]}" user create --uid="$RGW_USER" --display-name="$RGW_USER" \
      --access-key="$RGW_ACCESS_KEY" --secret-key="$RGW_SECRET_KEY" >/dev/null
  else
    radosgw-admin "${c[@]}" key create --uid="$RGW_USER" --key-type=s3 \
      --access-key="$RGW_ACCESS_KEY" --secret-key="$RGW_SECRET_KEY" >/dev/null
  fi
}

cmd=${1:-}; dir=${2:-}
[ -n "$dir" ] || usage
case "$cmd" in
  stop)
    [ -d "$dir" ] && stop_cluster "$(realpath "$dir")"
    exit 0 ;;
  start)
    port=${3:-}
    [[ "$port" =~ ^[0-9]+$ ]] || usage
    : "${RGW_ACCESS_KEY:?RGW_ACCESS_KEY is not set}" "${RGW_SECRET_KEY:?RGW_SECRET_KEY is not set}"
    install_packages
    mkdir -p "$dir"; dir=$(realpath "$dir")
    if answers "$port"; then
      pid=$(cat "$dir/run/client.rgw.pid" 2>/dev/null || true)
      if [ -z "$pid" ] || ! ours "$pid"; then
        echo "port $port answers but is not the gateway of $dir" >&2; exit 1
      fi
      set_user "$dir"
      echo "radosgw already running on 127.0.0.1:$port" >&2; exit 0
    fi
    stop_cluster "$dir"
    ! listening "$port" || { echo "port $port is taken by another program" >&2; exit 1; }
    # On any failure below (set -e), leave nothing running unless asked to, for debugging.
    trap 'echo "radosgw start failed; logs in $dir/log" >&2; [ -n "${RGW_KEEP_FAILED:-}" ] || stop_cluster "$dir"' EXIT
    start_cluster "$dir" "$port"
    deadline=$((SECONDS + 30))
    until answers "$port"; do
      ((SECONDS < deadline)) || { echo "radosgw does not answer on $port" >&2; exit 1; }
      sleep 0.2
    done
    set_user "$dir"
    trap - EXIT
    echo "radosgw ready on http://127.0.0.1:$port" >&2 ;;
  *) usage ;;
esac
