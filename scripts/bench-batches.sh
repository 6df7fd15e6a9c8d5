#!/usr/bin/env bash
# Peak memory and wall time of big batches through the CLI (issue 10), with a baseline
# measured in the same run:
#   (a) memory baseline: `tsl-codegen check` of the same model (the process's floor: the
#       binary, the allocator, the model);
#   (b) a 1,000,000-device `invoke --dry-run` (every call planned, signed and printed), and
#       the same for the first 100,000 devices: the time baselines of the real runs;
#   (c) a 100,000-device real `invoke` against `tsl-codegen emulate --any-device
#       --no-limits`, with the client's limit lifted too (--qps), journal on;
#   (d) a 1,000,000-device real `invoke` the same way (skipped with BENCH_QUICK=1).
# Prints peak RSS (MB) as a ratio to (a), and wall time as a ratio to the dry run of the
# same devices (what the calls through the emulator add to planning and signing them).
#
# Usage: bash scripts/bench-batches.sh   (from the repository's root; builds release)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian: apt-get install time)"; exit 2; }
cargo build --release --locked -q -p tsl-codegen
bin=target/release/tsl-codegen
model=examples/models/street-lamp.json
args='{"Schedule":[{"At":60,"Brightness":40,"Enabled":true}],"ValidFrom":1700000000000}'

work=$(mktemp -d)
emulator_pid=
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

seq -f 'lamp-%07g' 0 999999 >"$work/1m.txt"
head -n 100000 "$work/1m.txt" >"$work/100k.txt"

export ALIBABA_CLOUD_ACCESS_KEY_ID=emulator-id
export ALIBABA_CLOUD_ACCESS_KEY_SECRET=emulator-secret
export ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true
unset ALIBABA_CLOUD_SECURITY_TOKEN

# Runs a command under /usr/bin/time; prints "seconds peak_kb".
measure() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || true
  cat "$work/time"
}

read -r base_s base_kb < <(measure "$bin" check "$model")

read -r dry_s dry_kb < <(measure "$bin" invoke --model "$model" --service UploadSchedule \
  --args "$args" --devices-file "$work/1m.txt" --endpoint http://127.0.0.1:9/ --dry-run)
dry_calls=$(wc -l <"$work/out")
read -r dry100_s dry100_kb < <(measure "$bin" invoke --model "$model" --service UploadSchedule \
  --args "$args" --devices-file "$work/100k.txt" --endpoint http://127.0.0.1:9/ --dry-run)

"$bin" emulate --model "$model" --any-device --no-limits --quiet >"$work/emulator.out" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "$work/emulator.out" 2>/dev/null && break
  sleep 0.1
done
endpoint=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/emulator.out" | head -n 1)
[ -n "$endpoint" ] || { echo "the emulator did not start:"; cat "$work/emulator.out"; exit 1; }

real() { # devices-file
  measure "$bin" invoke --model "$model" --service UploadSchedule --args "$args" \
    --devices-file "$1" --endpoint "$endpoint" --qps InvokeThingsService=100000 \
    --max-in-flight 32 --journal "$work/journal-$(basename "$1").jsonl" --quiet
}
read -r real_s real_kb < <(real "$work/100k.txt")
real_accepted=$(grep -c '"status":"accepted"' "$work/out" || true)

if [ "${BENCH_QUICK:-0}" != 1 ]; then
  read -r big_s big_kb < <(real "$work/1m.txt")
  big_accepted=$(grep -c '"status":"accepted"' "$work/out" || true)
fi

mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
row() { printf '%-52s %8s %7s %8s %7s %11s\n' "$@"; }

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
row "run" "peak MB" "x (a)" "wall s" "x dry" "devices/s"
row "(a) check of the model (memory baseline)" "$(mb "$base_kb")" 1.00 "$base_s" "" ""
row "(b) --dry-run, 100,000 devices (time baseline of c)" "$(mb "$dry100_kb")" "$(ratio "$dry100_kb" "$base_kb")" "$dry100_s" 1.00 "$(rate 100000 "$dry100_s")"
row "(b) --dry-run, 1,000,000 devices ($dry_calls requests)" "$(mb "$dry_kb")" "$(ratio "$dry_kb" "$base_kb")" "$dry_s" 1.00 "$(rate 1000000 "$dry_s")"
row "(c) invoke, 100,000 devices ($real_accepted accepted)" "$(mb "$real_kb")" "$(ratio "$real_kb" "$base_kb")" "$real_s" "$(ratio "$real_s" "$dry100_s")" "$(rate 100000 "$real_s")"
if [ "${BENCH_QUICK:-0}" != 1 ]; then
  row "(d) invoke, 1,000,000 devices ($big_accepted accepted)" "$(mb "$big_kb")" "$(ratio "$big_kb" "$base_kb")" "$big_s" "$(ratio "$big_s" "$dry_s")" "$(rate 1000000 "$big_s")"
fi
