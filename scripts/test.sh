#!/usr/bin/env bash
# test.sh - the README's second command (and .ci/run): install what the tests need, build
# twice (warnings as errors; ASan+UBSan), run every test in both builds, check the style
# rules, and run each fuzz target for a short while.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$CTITAP_ROOT"

ctitap_install $CTITAP_BUILD_PKGS $CTITAP_TEST_PKGS

scripts/check-style.sh

ctitap_build build -DCTITAP_WERROR=ON
ctitap_build build-asan -DCTITAP_WERROR=ON -DCTITAP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ctitap_build build-fuzz -DCTITAP_FUZZ=ON -DCMAKE_C_COMPILER=clang -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Debug

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== fuzz targets (${CTITAP_FUZZ_SECONDS:-20} s each)"
fuzz/run.sh build-fuzz "${CTITAP_FUZZ_SECONDS:-20}"
echo "== tests under ASan+UBSan"
ctest --test-dir build-asan --output-on-failure -j2
echo "== tests"
ctest --test-dir build --output-on-failure -j2
