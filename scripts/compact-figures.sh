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
# Generated functions are inline in debug builds (`#[cfg_attr(debug_assertions, inline)]`),
# so there the generated crate compiles none of them to machine code and a crate that uses
# them compiles those it uses. To show what that moves, the script then builds a crate that
# decodes every message the model has and encodes one service's input (every event's and
# reply's type read, one input checked) on this checkout's output, against the same file
# with those attributes taken out: after a change of the model (both crates) and after a
# change of the using crate alone.
#
# usage: scripts/compact-figures.sh [BASE]     env: REPS (default 5), BENCH_DIR (temp dir),
#   PROFILE (default release): the cargo profile the two generators are built with; `dev`
#   reuses a debug build (the generated text is the same, only its making is slower)
#   USERS (default 1): also time a crate that uses the generated code (below); 0 skips it;
#   RELEASE=1 adds its release rebuilds (a few minutes more)
# Nothing is written in the repository (BASE is checked out as a detached worktree in
# BENCH_DIR and removed at the end).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${1:-e4a2f43}
REPS=${REPS:-5}
USERS=${USERS:-1}
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

[[ $USERS == 0 ]] && exit 0
# Three builds of the same generated file: as generated (`with`), with the inline
# attributes taken out (`without`), and, for RELEASE=1 only, with each made a plain
# `#[inline]` (`plain`, what a release build would do if the attribute were not limited to
# debug builds). The runtime's enum_impls! is the same in all three.
say "== a crate using the generated code, with and without the generated inline attributes"
INLINE='#[cfg_attr(debug_assertions, inline)]'
SIDES="with without"
[[ ${RELEASE:-0} == 1 ]] && SIDES="with without plain"
for side in $SIDES; do
  lib=$DIR/lib-$side
  mkdir -p "$lib/src" "$DIR/user-$side/src"
  sed -e "s/^name = \"compact-head\"/name = \"compact-lib-$side\"/" "$DIR/head/Cargo.toml" >"$lib/Cargo.toml"
  cp "$DIR/head/Cargo.lock" "$lib/"
  cp "$DIR/head/src/lib.rs" "$lib/src/"
  case $side in
    with) cp "$DIR/head/src/generated.rs" "$lib/src/" ;;
    without) grep -vxF "    $INLINE" "$DIR/head/src/generated.rs" >"$lib/src/generated.rs" ;;
    plain) sed -e "s/^    #\[cfg_attr(debug_assertions, inline)\]$/    #[inline]/" \
      "$DIR/head/src/generated.rs" >"$lib/src/generated.rs" ;;
  esac
  cat >"$DIR/user-$side/Cargo.toml" <<TOML
[package]
name = "compact-user-$side"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
generated = { package = "compact-lib-$side", path = "$lib" }
tsl-runtime = { path = "$ROOT/runtime", default-features = false }

[workspace]
TOML
  cp "$DIR/head/Cargo.lock" "$DIR/user-$side/Cargo.lock"
  cat >"$DIR/user-$side/src/lib.rs" <<'RS'
//! What an application does with generated code: decode what devices send, encode a call.
use generated::generated::{Message, ModeRun0Input};
use tsl_runtime::received::RawMessage;

/// Every event and service reply of the model, read into its type.
pub fn decode(raw: &RawMessage) -> Message {
    Message::decode(raw)
}

/// One service's input, checked and encoded.
pub fn args(input: &ModeRun0Input) -> Result<String, tsl_runtime::value::ValueErrors> {
    tsl_runtime::value::to_args(input)
}
RS
done
echo "with: as generated; without: the same file with its $INLINE lines taken out"

# time_user SIDES PROFILE INCREMENTAL TOUCHED: median wall ms of REPS builds of each
# side's user crate after touching TOUCHED (lib: the generated file, user: the user crate)
declare -A UT
time_user() {
  local sides=$1 profile=$2 incremental=$3 touched=$4 side i took file
  for side in $sides; do
    UT[$side]=""
    CARGO_INCREMENTAL=$incremental CARGO_TARGET_DIR="$DIR/user-$side/target-$profile-$incremental" \
      cargo build -q --profile "$profile" --manifest-path "$DIR/user-$side/Cargo.toml"
  done
  for ((i = 0; i < REPS; i++)); do
    for side in $sides; do
      if [[ $touched == lib ]]; then file=$DIR/lib-$side/src/generated.rs; touch "$file"
      else file=$DIR/user-$side/src/lib.rs; echo "// edit $i" >>"$file"; fi
      took=$( { time CARGO_INCREMENTAL=$incremental \
        CARGO_TARGET_DIR="$DIR/user-$side/target-$profile-$incremental" cargo build -q \
        --profile "$profile" --manifest-path "$DIR/user-$side/Cargo.toml" 2>/dev/null; } 2>&1)
      UT[$side]+="$(awk -v t="${took% *}" 'BEGIN { printf "%d", t * 1000 }') "
    done
  done
  for side in $sides; do
    printf '  %s %.2f s (each, ms: %s)\n' "$side" \
      "$(echo "${UT[$side]}" | median | awk '{ print $1 / 1000 }')" "${UT[$side]}"
  done
}
echo "the generated crate and the user crate, after a change of the generated file (dev, not incremental):"
time_user "with without" dev 0 lib
echo "the user crate alone, after a change of its own code (dev, incremental as cargo's default):"
time_user "with without" dev 1 user
if [[ ${RELEASE:-0} == 1 ]]; then
  echo "the user crate alone, after a change of its own code (release):"
  time_user "with without plain" release 0 user
fi
