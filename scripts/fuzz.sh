#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, build/fuzz) and runs each for a bounded time,
# starting from seeds made from tests/fixtures: scripts/fuzz.sh SECONDS [TARGET...]
# A crash stops the run with the reproducer in build/fuzz/artifacts/; turn it into a Catch2 test.
# Prints one line per target: executions, coverage (edges) and features reached.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
targets=("$@")
((${#targets[@]})) || targets=(client_frame msgpack_decode json_decode serializer resp_reader cookie_header django_signing)
build=${TANDEM_FUZZ_BUILD_DIR:-build/fuzz}

scripts/build.sh "$build" -DTANDEM_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTANDEM_BUILD_SIDECAR=OFF -DTANDEM_BUILD_PYMODULE=OFF -DTANDEM_BUILD_TESTS=OFF -DTANDEM_WERROR=ON
rm -rf "$build/seeds"
python3 tests/fuzz/make_seeds.py "$build/seeds"
mkdir -p "$build/artifacts"

for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"  # grows across runs on one machine; seeds are never written to
  mkdir -p "$corpus"
  log="$build/$target.log"
  # -rss_limit_mb: a reply or payload that makes a parser allocate gigabytes is a finding too.
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" "$corpus" "$build/seeds/$target" \
      >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target failed; reproducer in $build/artifacts/ (log $log)" >&2
    exit 1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*corp: \([0-9]*\).*/cov=\1 ft=\2 corpus=\3/p')
  echo "fuzz: $target ${seconds}s execs=$execs $cov"
done
