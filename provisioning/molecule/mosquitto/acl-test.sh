#!/bin/sh
# Run the installed broker config in a private network namespace and try the ACL from both
# sides with real clients: the hub on loopback, a device on the LAN listener.
# Usage: acl-test.sh OUTLET_ID LAN_ADDRESS DEVICE PASSWORD OTHER_DEVICE
set -eu
root="kitchen-sync/$1"; lan=$2; dev=$3; pw=$4; other=$5
work=$(mktemp -d); chown mosquitto "$work"
sed -e '/^persistence_location /d' -e '/^pid_file /d' -e '/^log_dest /d' \
  /etc/mosquitto/mosquitto.conf > "$work/m.conf"
printf 'persistence_location %s/\nlog_dest stderr\n' "$work" >> "$work/m.conf"
export root lan dev pw other work
unshare --net sh -eu -c '
  ip link set lo up; ip addr add "$lan" dev lo
  mosquitto -c "$work/m.conf" 2> "$work/broker.log" & broker=$!
  trap "kill $broker" EXIT
  sleep 1
  d="-h $lan -u $dev -P $pw"
  # What the device receives: its own ack and new orders, never another device'"'"'s ack.
  mosquitto_sub $d -t "$root/orders/ack/$dev" -t "$root/orders/new" -t "$root/orders/ack/$other" \
    -v -W 4 > "$work/device.out" 2>&1 &
  # What the hub receives from devices.
  mosquitto_sub -h 127.0.0.1 -t "$root/orders/submit" -t "$root/orders/new" -t "$root/orders/status" \
    -v -W 4 > "$work/hub.out" 2>&1 &
  sleep 1
  mosquitto_pub -h 127.0.0.1 -q 1 -t "$root/orders/ack/$dev" -m own-ack
  mosquitto_pub -h 127.0.0.1 -q 1 -t "$root/orders/ack/$other" -m other-ack
  mosquitto_pub -h 127.0.0.1 -q 1 -t "$root/orders/new" -m new-order
  mosquitto_pub $d -q 1 -t "$root/orders/submit" -m device-submit
  mosquitto_pub $d -q 1 -t "$root/orders/status" -m forged-status || true
  if mosquitto_pub -h "$lan" -u "$dev" -P wrong-password -t "$root/orders/submit" -m bad-password 2>/dev/null; then
    echo "wrong password accepted"; exit 1; fi
  if mosquitto_pub -h "$lan" -t "$root/orders/submit" -m anonymous 2>/dev/null; then
    echo "anonymous accepted on the LAN listener"; exit 1; fi
  sleep 4   # both subscribers stop by themselves (-W 4)
'
echo "--- device received"; cat "$work/device.out"
echo "--- hub received"; cat "$work/hub.out"
fail() { echo "ACL test: $*" >&2; exit 1; }
# (`! grep` would not stop a `set -e` script: POSIX exempts negated pipelines.)
grep -qx "$root/orders/ack/$dev own-ack" "$work/device.out" || fail "device missed its own ack"
grep -qx "$root/orders/new new-order" "$work/device.out" || fail "device missed orders/new"
if grep -q other-ack "$work/device.out"; then fail "device read another device's ack"; fi
grep -qx "$root/orders/submit device-submit" "$work/hub.out" || fail "hub missed the device's submit"
if grep -q forged-status "$work/hub.out"; then fail "device published outside orders/submit"; fi
if grep -q -e bad-password -e anonymous "$work/hub.out"; then fail "unauthenticated publish arrived"; fi
rm -rf "$work"
echo "ACL ok"
