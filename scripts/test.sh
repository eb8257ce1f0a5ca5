#!/usr/bin/env bash
# test.sh - the README's second command (and .ci/run): install what the tests need, check the
# style rules, build three times (warnings as errors; ASan+UBSan; the fuzz targets), run each fuzz
# target for a short while, every test under ASan+UBSan, and every test but the two slowest (a
# real Kafka broker) again in the optimised build.
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
# The broker and soak tests (about 4.5 min, each alone on the machine) ran under ASan+UBSan
# above; the optimised build runs every other test again.
echo "== tests (test_kafka_broker and test_soak_faults ran above)"
ctest --test-dir build --output-on-failure -j2 -E "^(test_kafka_broker|test_soak_faults)$"
