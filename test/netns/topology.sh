#!/usr/bin/env bash
# The A—B—C test line in network namespaces; nothing is created in the root namespace.
#
#   PREFIX-a [seg1 10.77.1.1] ── br1 ── [seg1 10.77.1.2] PREFIX-b [seg2 10.77.2.2] ── br2 ── [seg2 10.77.2.3] PREFIX-c
#
# br1 and br2 live in PREFIX-sw (the "switch"). B has ip_forward=0, so A and C can only meet
# through B at the application level. Every segment interface carries a 224.0.0.0/4 route so
# multicast leaves through it (without one, sends fail with ENETUNREACH).
#
# Usage: topology.sh up PREFIX     create it (fails if PREFIX-* already exists)
#        topology.sh down PREFIX   kill processes inside and delete it; safe to run twice
set -euo pipefail

usage() {
  echo "usage: $0 up|down PREFIX   (PREFIX: 1-20 chars of [A-Za-z0-9_-])" >&2
  exit 2
}

[ "$#" -eq 2 ] || usage
action=$1
prefix=$2
[[ "$prefix" =~ ^[A-Za-z0-9_-]{1,20}$ ]] || usage

namespaces=("$prefix-a" "$prefix-b" "$prefix-c" "$prefix-sw")
sw="$prefix-sw"

ns_exists() {
  ip netns list | awk '{print $1}' | grep -qxF -- "$1"
}

down() {
  local ns pids
  for ns in "${namespaces[@]}"; do
    if ns_exists "$ns"; then
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      if [ -n "$pids" ]; then
        # shellcheck disable=SC2086 # one pid per word
        kill -TERM $pids 2>/dev/null || true
        sleep 0.2
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
      fi
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}

# link NS IFNAME BRIDGE ADDRESS/PREFIX METRIC: a veth from the switch bridge into NS.
link() {
  local ns="$prefix-$1" ifname=$2 bridge=$3 addr=$4 metric=$5
  local swside="$1-$ifname"
  ip -n "$sw" link add "$swside" type veth peer name "$ifname" netns "$ns"
  ip -n "$sw" link set "$swside" master "$bridge" up
  ip -n "$ns" addr add "$addr" dev "$ifname"
  ip -n "$ns" link set "$ifname" up
  ip -n "$ns" route add 224.0.0.0/4 dev "$ifname" metric "$metric"
}

up() {
  local ns
  for ns in "${namespaces[@]}"; do
    if ns_exists "$ns"; then
      echo "$0: namespace $ns already exists; run: $0 down $prefix" >&2
      exit 1
    fi
  done
  trap 'echo "$0: setup failed; removing partial topology" >&2; down' ERR
  for ns in "${namespaces[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  for br in br1 br2; do
    # IGMP snooping off: the bridge floods the mDNS group to every port like a dumb switch.
    ip -n "$sw" link add "$br" type bridge mcast_snooping 0
    ip -n "$sw" link set "$br" up
  done
  link a seg1 br1 10.77.1.1/24 10
  link b seg1 br1 10.77.1.2/24 10
  link b seg2 br2 10.77.2.2/24 20
  link c seg2 br2 10.77.2.3/24 10
  ip netns exec "$prefix-b" sysctl -q -w net.ipv4.ip_forward=0
  trap - ERR
}

case "$action" in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
