#!/usr/bin/env bash
# What a nightly delta costs a running head-end (BENCHMARKS.md, "Registry deltas while serving"):
# four runs, alternately without and with a delta. Each starts a fresh `dccsim serve --zero-wan`
# and `dccsim receive`, loads them with signed 4.8.1 reads at RATE (default 1000/s) for 16 s
# from two users, and in the "delta" runs applies a 1,000-device delta (`dccsim registry apply`)
# 8 s in; it prints the load's latency line and the head-end's reload message.
#   benches/registry-reload.sh            B=BINARY RATE=N to change them
set -u
B=$(realpath "${B:-target/release/dccsim}"); RATE=${RATE:-1000}
mix=$(realpath "$(dirname "$0")/mix-481.toml")
for mode in none delta none delta; do
  w=$(mktemp -d); cd "$w" || exit 1
  $B receive > receive.log 2>&1 & R=$!
  $B serve --state st --zero-wan > serve.log 2>&1 & S=$!
  sleep 22
  $B registry --state st show | awk -F, 'NR==1{print "action," $0; next} $3=="ESME" && n<1000 {print "upsert," $0; n++}' > delta.csv
  $B load --target https://localhost:8443/api/v1/serviceS --mix $mix --pki st/pki --users 90-B3-D5-1F-30-01-00-00,90-B3-D5-1F-30-02-00-00 --rate $RATE --duration 16 --signed 20000 > load.out 2>&1 &
  L=$!
  sleep 8
  if [ $mode = delta ]; then /usr/bin/time -f "apply %e s" $B registry --state st apply delta.csv 2>&1 | tail -1; fi
  wait $L
  echo "$mode: $(grep -E "^ +$RATE " load.out | head -1)"
  grep "registry reloaded" serve.log
  kill $S $R; wait 2>/dev/null; cd / && rm -rf "$w"
done
