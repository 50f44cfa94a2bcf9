#!/usr/bin/env bash
# Side-by-side runs of the head-end with signed 4.8.1 reads (BENCHMARKS.md, "Head-end").
#   benches/headend-side-by-side.sh rate BINARY RATE   one 8 s fixed-rate run: achieved rate,
#                                                      sync p99, CPU per read of serve and of all
#   benches/headend-side-by-side.sh max BINARY         --find-max under p99 < 25 ms, errors < 0.1%
# Each run starts a fresh `dccsim serve --zero-wan` and `dccsim receive` from BINARY in a scratch
# folder, waits for the key cache to warm, and loads it with the supplier and the network
# operator as two users. Run two binaries alternately and compare medians: the machine is noisy.
# SERVE_FLAGS adds flags to `dccsim serve` (e.g. SERVE_FLAGS=--sign-acknowledgements); SLO sets
# the find-max objective (default p99<25ms,errors<0.1%).
set -eu
mode=$1 bin=$(realpath "$2") rate=${3:-1600}
mix=$(realpath "$(dirname "$0")/mix-481.toml")
work=$(mktemp -d)
cd "$work"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
"$bin" receive > receive.log 2>&1 & receiver=$!
# shellcheck disable=SC2086 # SERVE_FLAGS is a list of flags
"$bin" serve --state st --zero-wan ${SERVE_FLAGS:-} > serve.log 2>&1 & server=$!
trap 'kill $server $receiver 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
sleep 22
users=90-B3-D5-1F-30-01-00-00,90-B3-D5-1F-30-02-00-00
load=("$bin" load --target https://localhost:8443/api/v1/serviceS --mix "$mix" --pki st/pki --users "$users")
if [ "$mode" = max ]; then
    "${load[@]}" --rate 400 --duration 4 --find-max --max-rate 12800 \
        --slo "${SLO:-p99<25ms,errors<0.1%}" --signed 120000 2>/dev/null | grep -i "highest"
    exit
fi
s0=$(ticks $server) r0=$(ticks $receiver)
/usr/bin/time -f "%U %S" -o load.time "${load[@]}" --rate "$rate" --duration 8 --signed 14000 > load.out 2>/dev/null
sleep 1
s1=$(ticks $server) r1=$(ticks $receiver)
read -r _ achieved requests _ _ _ p99 _ < <(grep -E "^ +$rate " load.out | head -1 | tr -d '|')
read -r lu ls < load.time
awk -v s=$((s1 - s0)) -v r=$((r1 - r0)) -v lu="$lu" -v ls="$ls" -v n="$requests" -v hz="$(getconf CLK_TCK)" \
    -v a="$achieved" -v p="$p99" -v rate="$rate" 'BEGIN {
    printf "rate %s achieved %s p99 %s ms serve %.0f us/read all %.0f us/read\n",
        rate, a, p, s / hz / n * 1e6, (s / hz + r / hz + lu + ls) / n * 1e6 }'
