#!/usr/bin/env bash
# Peak memory and wall time of big batches through the CLI (issue 10), with a baseline
# measured in the same run:
#   (a) baseline: `tsl-codegen check` of the same model (the process's floor: the binary,
#       the allocator, the model);
#   (b) a 1,000,000-device `invoke --dry-run` (every call planned and signed, printed);
#   (c) a 100,000-device real `invoke` against `tsl-codegen emulate --any-device
#       --no-limits`, with the client's limit lifted too (--qps), journal on;
#   (d) a 1,000,000-device real `invoke` the same way (skipped with BENCH_QUICK=1).
# Prints peak RSS (MB) and wall time for each, and each as a ratio to (a).
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

echo "machine: $(nproc) cores, $(uname -m); $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-58s %10s %8s %10s %8s\n' "run" "peak MB" "x (a)" "wall s" "x (a)"
printf '%-58s %10s %8s %10s %8s\n' "(a) check of the model (baseline)" "$(mb "$base_kb")" 1.00 "$base_s" 1.00
printf '%-58s %10s %8s %10s %8s\n' "(b) invoke --dry-run, 1,000,000 devices ($dry_calls lines)" \
  "$(mb "$dry_kb")" "$(ratio "$dry_kb" "$base_kb")" "$dry_s" "$(ratio "$dry_s" "$base_s")"
printf '%-58s %10s %8s %10s %8s\n' "(c) invoke, 100,000 devices, emulator ($real_accepted accepted)" \
  "$(mb "$real_kb")" "$(ratio "$real_kb" "$base_kb")" "$real_s" "$(ratio "$real_s" "$base_s")"
if [ "${BENCH_QUICK:-0}" != 1 ]; then
  printf '%-58s %10s %8s %10s %8s\n' "(d) invoke, 1,000,000 devices, emulator ($big_accepted accepted)" \
    "$(mb "$big_kb")" "$(ratio "$big_kb" "$base_kb")" "$big_s" "$(ratio "$big_s" "$base_s")"
fi
