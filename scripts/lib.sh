# lib.sh - shared by demo.sh and test.sh: install missing Debian packages, build quietly.
# Sourced, not run.

CTITAP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# What building ctitap needs (Debian 12 package names).
CTITAP_BUILD_PKGS="build-essential cmake ninja-build pkg-config asn1c libpcap-dev libxml2-dev librdkafka-dev
  libzstd-dev libsodium-dev libxxhash-dev zstd libmicrohttpd-dev libcap-ng-dev libsndfile1-dev libspandsp-dev
  libopus-dev libjansson-dev"
# What the tests add: cmocka, tshark as the independent oracle, python3 for the golden and
# CLI tests, clang for the libFuzzer targets, tcpdump and iproute2 for the live capture test;
# for the operations tests: prometheus (its promtool checks /metrics), curl, openssl (a test
# certificate), libcap2-bin (setcap), systemd (systemd-analyze verify), man-db and groff-base
# (the man page), dpkg-dev (CPack's dpkg-shlibdeps); time (/usr/bin/time -v: bench/floods); sox
# reads the recorder's WAV files with decoders that are not libsndfile's; Chromium (headless) and
# python3-websocket (its DevTools protocol) for the call view's browser test.
CTITAP_TEST_PKGS="libcmocka-dev tshark python3 python3-jsonschema libxml2-utils clang libclang-rt-14-dev tcpdump iproute2 util-linux time
  openjdk-17-jre-headless maven prometheus curl openssl libcap2-bin systemd man-db groff-base dpkg-dev sox chromium python3-websocket"

# What the benchmarks add (bench/run.sh installs what is missing): the tools ctitap is measured
# beside (tcpdump, tshark, sngrep), /usr/bin/time for peak RSS, perf for the profiles in
# bench/README.md. Neither builds nor tests need them.
CTITAP_BENCH_PKGS="tcpdump tshark sngrep time linux-perf"

# What regenerating pcaps/kamailio/kamailio-topoh.pcap needs (pcaps/kamailio/make.sh): a real
# topology-hiding SIP server and SIP endpoints to drive it. Neither builds nor tests need them.
CTITAP_CAPTURE_PKGS="kamailio sip-tester tcpdump"

# Installs the packages of the list that are missing; silent when none are.
ctitap_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	echo "installing: ${missing[*]}"
	# tshark asks whether non-root users may capture: answer no, without a prompt
	echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections 2>/dev/null || true
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ctitap_build DIR [cmake options...]: configure once, build; output only on failure.
ctitap_build() {
	local dir=$1
	shift
	local log="$dir/ctitap-build.log" # inside the build folder: never beside the sources
	mkdir -p "$dir"
	if [ ! -f "$dir/build.ninja" ]; then
		cmake -S "$CTITAP_ROOT" -B "$dir" -G Ninja "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
	fi
	ninja -C "$dir" >"$log" 2>&1 || { cat "$log"; return 1; }
}
