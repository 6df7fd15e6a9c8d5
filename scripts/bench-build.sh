#!/usr/bin/env bash
# Build times of one crate with its typed code from each front end (issue 5):
#   macro         #[tsl_model(path = ...)] on a module
#   build-script  tsl_codegen::Builder into OUT_DIR, include!d
#   checked-in    a file written by `tsl-codegen generate`, declared `mod lamp;`
# for the street-lamp model and the synthetic model of the generation benchmark (300
# properties, 300 services of 5 inputs and 5 outputs, 100 events), in two scenarios:
#   clean  `cargo clean -p <crate>`, then `cargo build -p <crate>` (dependencies already built)
#   touch  `touch` the model (checked-in: the stub, as regenerating it would), then build
# Each figure is the median of REPS runs, the three ways taking turns within a run so that
# load from elsewhere falls on all of them alike, and is printed with its ratio to the
# checked-in way of the same model and scenario.
#
# usage: scripts/bench-build.sh [small|synthetic|all]     (default: all)
# env:   REPS (default 3 for small, 1 for synthetic), BENCH_DIR (default: a fresh temp dir),
#        WAYS (default "checked-in macro build-script"; keep checked-in, the baseline),
#        BUILD_OVERRIDE_OPT (e.g. 3: `[profile.dev.build-override] opt-level`, which compiles
#        the macro and build scripts with their dependencies optimized; default: Cargo's 0),
#        TOOLS_TARGET_DIR (where the generator CLI is built; default $CARGO_TARGET_DIR or target/)
# Nothing is written in the repository; the synthetic model (2.6 MB) is made in BENCH_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WHICH=${1:-all}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tsl-bench-build.XXXXXX")}
TOOLS_TARGET_DIR=${TOOLS_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}}
TARGET="$BENCH_DIR/target"
read -r -a WAYS <<<"${WAYS:-checked-in macro build-script}"
unset CARGO_TARGET_DIR RUSTFLAGS

say() { echo "$*" >&2; }

# The generator's command line, built once.
CARGO_TARGET_DIR="$TOOLS_TARGET_DIR" cargo build -q --release --manifest-path "$ROOT/Cargo.toml" -p tsl-codegen
CLI="$TOOLS_TARGET_DIR/release/tsl-codegen"

make_model() { # name -> $BENCH_DIR/<name>/models/lamp.json
  local name=$1 dir="$BENCH_DIR/$1/models"
  mkdir -p "$dir"
  case $name in
    small) cp "$ROOT/examples/models/street-lamp.json" "$dir/lamp.json" ;;
    synthetic)
      # The generation benchmark's model maker writes it (one quick round of that bench).
      TSL_BENCH_SAVE_MODEL="$dir/lamp.json" CARGO_TARGET_DIR="$TOOLS_TARGET_DIR" \
        cargo test -q --release --manifest-path "$ROOT/Cargo.toml" -p tsl-codegen \
        --bench generate >/dev/null
      ;;
  esac
}

make_workspace() { # name: three crates over $BENCH_DIR/<name>/models/lamp.json
  local ws="$BENCH_DIR/$1"
  cat >"$ws/Cargo.toml" <<TOML
[workspace]
resolver = "2"
members = ["macro", "build-script", "checked-in"]

[workspace.dependencies]
tsl-runtime = { path = "$ROOT/runtime", default-features = false }
tsl-macros = { path = "$ROOT/tsl-macros" }
tsl-codegen = { path = "$ROOT/tsl-codegen", default-features = false }
TOML
  if [[ -n ${BUILD_OVERRIDE_OPT:-} ]]; then
    printf '\n[profile.dev.build-override]\nopt-level = %s\n' "$BUILD_OVERRIDE_OPT" >>"$ws/Cargo.toml"
  fi
  cp "$ROOT/Cargo.lock" "$ws/Cargo.lock"
  for way in checked-in macro build-script; do
    mkdir -p "$ws/$way/src"
    {
      printf '[package]\nname = "bench-%s"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n' "$way"
      printf '[dependencies]\ntsl-runtime.workspace = true\n'
      case $way in
        macro) printf 'tsl-macros.workspace = true\n' ;;
        build-script) printf '\n[build-dependencies]\ntsl-codegen.workspace = true\n' ;;
      esac
    } >"$ws/$way/Cargo.toml"
  done
  cat >"$ws/macro/src/main.rs" <<'RS'
#[tsl_macros::tsl_model(path = "../models/lamp.json")]
#[allow(dead_code)]
mod lamp {}

fn main() {
    println!("{}", lamp::PRODUCT_KEY);
}
RS
  cat >"$ws/build-script/build.rs" <<'RS'
fn main() {
    if let Err(e) = tsl_codegen::Builder::new()
        .model("../models/lamp.json")
        .out_file("lamp.rs")
        .generate_to_out_dir()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
RS
  cat >"$ws/build-script/src/main.rs" <<'RS'
#[allow(dead_code)]
mod lamp {
    include!(concat!(env!("OUT_DIR"), "/lamp.rs"));
}

fn main() {
    println!("{}", lamp::PRODUCT_KEY);
}
RS
  "$CLI" generate -o "$ws/checked-in/src/lamp.rs" "$ws/models/lamp.json" 2>/dev/null
  cat >"$ws/checked-in/src/main.rs" <<'RS'
#[rustfmt::skip]
#[allow(dead_code)]
mod lamp;

fn main() {
    println!("{}", lamp::PRODUCT_KEY);
}
RS
}

build() { # ws crate -> milliseconds
  local ws=$1 crate=$2 start end
  start=$(date +%s%N)
  CARGO_TARGET_DIR="$TARGET" cargo build -q --offline --manifest-path "$ws/Cargo.toml" -p "$crate"
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

declare -A TIMES

measure() { # name reps
  local name=$1 reps=$2 ws="$BENCH_DIR/$1" way crate
  make_model "$name"
  make_workspace "$name"
  # Dependencies first, so that every figure is the crate's own work.
  CARGO_TARGET_DIR="$TARGET" cargo build -q --offline --manifest-path "$ws/Cargo.toml" --workspace
  for ((rep = 1; rep <= reps; rep++)); do
    for way in "${WAYS[@]}"; do
      crate=bench-$way
      CARGO_TARGET_DIR="$TARGET" cargo clean -q --offline --manifest-path "$ws/Cargo.toml" -p "$crate"
      TIMES[$name,$way,clean]+="$(build "$ws" "$crate") "
      if [[ $way == checked-in ]]; then touch "$ws/checked-in/src/lamp.rs"; else touch "$ws/models/lamp.json"; fi
      TIMES[$name,$way,touch]+="$(build "$ws" "$crate") "
      say "$name rep $rep/$reps $way: clean ${TIMES[$name,$way,clean]}ms, touch ${TIMES[$name,$way,touch]}ms"
    done
  done
}

report() { # name
  local name=$1 scenario way base t
  local bytes lines
  bytes=$(wc -c <"$BENCH_DIR/$name/models/lamp.json")
  lines=$(wc -l <"$BENCH_DIR/$name/checked-in/src/lamp.rs")
  echo
  echo "### $name model ($bytes bytes of JSON, $lines lines of generated Rust)"
  echo
  echo "| scenario | checked-in | macro | build-script |"
  echo "| --- | ---: | ---: | ---: |"
  for scenario in clean touch; do
    base=$(echo ${TIMES[$name,checked-in,$scenario]} | tr ' ' '\n' | median)
    printf '| %s |' "$scenario"
    for way in "${WAYS[@]}"; do
      t=$(echo ${TIMES[$name,$way,$scenario]} | tr ' ' '\n' | median)
      printf ' %s ms (%s×) |' "$t" "$(awk -v t="$t" -v b="$base" 'BEGIN {printf "%.2f", t / b}')"
    done
    echo
  done
}

say "bench dir: $BENCH_DIR"
echo "rustc: $(rustc --version); cores: $(nproc); load at start: $(cut -d' ' -f1-3 /proc/loadavg); build-override opt-level: ${BUILD_OVERRIDE_OPT:-0 (default)}"
case $WHICH in
  small) measure small "${REPS:-3}"; report small ;;
  synthetic) measure synthetic "${REPS:-1}"; report synthetic ;;
  all)
    measure small "${REPS:-3}"
    measure synthetic "${REPS:-1}"
    report small
    report synthetic
    ;;
  *) say "usage: $0 [small|synthetic|all]"; exit 2 ;;
esac
