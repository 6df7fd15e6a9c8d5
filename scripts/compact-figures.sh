#!/usr/bin/env bash
# Issue 11's figures for compact generated code, on the generation benchmark's synthetic
# model (300 properties, 300 services of 5 inputs and 5 outputs, 100 events):
#   - generated lines per TSL parameter, and
#   - `cargo build` time of a crate holding only the generated file (dependencies built
#     beforehand; the file touched before each build),
# for this checkout and for BASE (default: the commit before the compact output), both
# generated and built in the same run, the two builds taking turns so that load from
# elsewhere falls on both alike. Prints the medians of REPS builds and the ratios.
#
# usage: scripts/compact-figures.sh [BASE]     env: REPS (default 5), BENCH_DIR (temp dir),
#   PROFILE (default release): the cargo profile the two generators are built with; `dev`
#   reuses a debug build (the generated text is the same, only its making is slower)
# Nothing is written in the repository (BASE is checked out as a detached worktree in
# BENCH_DIR and removed at the end).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${1:-e4a2f43}
REPS=${REPS:-5}
PROFILE=${PROFILE:-release}
PROFILE_DIR=$([[ $PROFILE == dev ]] && echo debug || echo "$PROFILE")
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tsl-compact.XXXXXX")}
TOOLS=${CARGO_TARGET_DIR:-$ROOT/target}
unset CARGO_TARGET_DIR RUSTFLAGS
# Whole builds of the generated crate, as after a model change in CI or a fresh clone:
# incremental reuse would time how little changed, not the code.
export CARGO_INCREMENTAL=0
say() { echo "$*" >&2; }

git -C "$ROOT" worktree add -q --detach "$DIR/base-src" "$BASE"
trap 'git -C "$ROOT" worktree remove --force "$DIR/base-src" >/dev/null 2>&1 || true' EXIT

say "== the synthetic model (the generation benchmark writes it)"
TSL_BENCH_SAVE_MODEL="$DIR/model.json" CARGO_TARGET_DIR="$TOOLS" \
  cargo test -q --profile "$PROFILE" --manifest-path "$ROOT/Cargo.toml" -p tsl-codegen --bench generate \
  >"$DIR/bench.out"
PARAMS=$(sed -n 's/.* \([0-9]*\) parameters in all.*/\1/p' "$DIR/bench.out" | head -1)

say "== generating with this checkout and with $BASE"
for side in head base; do
  src=$ROOT
  if [[ $side == base ]]; then src=$DIR/base-src; fi
  # One target dir for both generators: the dependencies are shared, the two tsl-codegen
  # (different paths) are not.
  CARGO_TARGET_DIR="$TOOLS" cargo build -q --profile "$PROFILE" --manifest-path "$src/Cargo.toml" -p tsl-codegen
  mkdir -p "$DIR/$side/src"
  "$TOOLS/$PROFILE_DIR/tsl-codegen" generate "$DIR/model.json" >"$DIR/$side/src/generated.rs"
  cat >"$DIR/$side/Cargo.toml" <<TOML
[package]
name = "compact-$side"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
tsl-runtime = { path = "$src/runtime", default-features = false }

[workspace]
TOML
  cp "$src/Cargo.lock" "$DIR/$side/Cargo.lock"
  printf '//! The generated file alone.\n#[rustfmt::skip]\npub mod generated;\n' >"$DIR/$side/src/lib.rs"
  # Dependencies once, so the timed builds compile the generated crate only.
  CARGO_TARGET_DIR="$DIR/$side/target" cargo build -q --manifest-path "$DIR/$side/Cargo.toml"
done

# Wall time and CPU time (user, all of rustc's threads): on a shared machine the wall
# time swings with other load, the CPU time much less.
declare -A TIMES CPU
TIMEFORMAT='%R %U'
for ((i = 0; i < REPS; i++)); do
  for side in head base; do
    touch "$DIR/$side/src/generated.rs"
    took=$( { time CARGO_TARGET_DIR="$DIR/$side/target" cargo build -q \
      --manifest-path "$DIR/$side/Cargo.toml" 2>/dev/null; } 2>&1)
    TIMES[$side]+="$(awk -v t="${took% *}" 'BEGIN { printf "%d", t * 1000 }') "
    CPU[$side]+="$(awk -v t="${took#* }" 'BEGIN { printf "%d", t * 1000 }') "
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
HEAD_LINES=$(wc -l <"$DIR/head/src/generated.rs")
BASE_LINES=$(wc -l <"$DIR/base/src/generated.rs")
HEAD_T=$(echo "${TIMES[head]}" | median)
BASE_T=$(echo "${TIMES[base]}" | median)
HEAD_C=$(echo "${CPU[head]}" | median)
BASE_C=$(echo "${CPU[base]}" | median)
echo "model: $PARAMS TSL parameters (synthetic, 300 services); base = $BASE"
awk -v b="$BASE_LINES" -v h="$HEAD_LINES" -v p="$PARAMS" 'BEGIN {
  printf "generated lines: base %d (%.1f per parameter), head %d (%.1f per parameter), ratio %.2f\n", b, b / p, h, h / p, h / b }'
awk -v b="$BASE_T" -v h="$HEAD_T" -v n="$REPS" 'BEGIN {
  printf "cargo build of the generated crate (median of %d): base %.1f s, head %.1f s, ratio %.2f\n", n, b / 1000, h / 1000, h / b }'
awk -v b="$BASE_C" -v h="$HEAD_C" -v n="$REPS" 'BEGIN {
  printf "  CPU time (user) of those builds (median of %d): base %.1f s, head %.1f s, ratio %.2f\n", n, b / 1000, h / 1000, h / b }'
echo "each build, wall (ms): base ${TIMES[base]}; head ${TIMES[head]}"
echo "each build, CPU (ms): base ${CPU[base]}; head ${CPU[head]}"
