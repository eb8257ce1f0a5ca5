# common.sh - sourced by the operations tests (test_signals.sh, test_monitor.sh, test_privs.sh,
# test_install.sh): counted checks, and skips that become failures in CI.
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}
# skip WHY: exit 77 (ctest's skip), or, where CI=true says the environment has everything
# (scripts/lib.sh installs it and CI runs as root), a failure.
skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $* (CI=true: the environment should have it)"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed ($2)"; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root ($1)"; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# The tests must not read a settings file that happens to be on the machine.
export CTITAP_CONFIG=
# ids FILE...: the record ids of JSON-lines files (.zst decoded), one a line, sorted (duplicates kept).
ids() {
	local f
	for f in "$@"; do
		case $f in
		*.zst) zstd -q -dc "$f" ;;
		*) cat "$f" ;;
		esac
	done | python3 -c 'import json, sys
for line in sys.stdin:
    print(json.loads(line)["id"])' | sort
}
