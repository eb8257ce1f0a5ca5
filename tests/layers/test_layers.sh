#!/usr/bin/env bash
# test_layers.sh BUILD_DIR SOURCE_DIR - the layers point down only (docs/architecture.md):
#   app -> web -> sinks -> records -> correlator -> decoders -> capture -> util
# 1. No source file includes a header of a layer above its own.
# 2. No layer's static library uses a symbol that only a layer above it defines. (The link
#    order alone does not catch this: a symbol another library pulled in already resolves.)
set -euo pipefail
build=$1
src=$2
layers=(util capture decoders correlator records sinks web app)
fail=0
checks=0

rank() {
	local i
	for i in "${!layers[@]}"; do
		[ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}

for i in "${!layers[@]}"; do
	dir=${layers[$i]}
	for f in "$src/$dir"/*.[ch]; do
		while IFS= read -r inc; do
			up=${inc#*../}
			up=${up%%/*}
			r=$(rank "$up")
			checks=$((checks + 1))
			if [ "$r" -gt "$i" ]; then
				echo "FAIL: $(basename "$dir")/$(basename "$f") includes $inc (layer $up is above $dir)"
				fail=1
			fi
		done < <(grep -o '#include "\.\./[a-z_]*/[^"]*"' "$f" || true)
	done
done

declare -A owner # symbol -> rank of the layer that defines it
for i in "${!layers[@]}"; do
	lib="$build/libctitap_${layers[$i]}.a"
	[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
	while read -r sym; do
		owner[$sym]=$i
	done < <(nm --defined-only -g "$lib" 2>/dev/null | awk 'NF == 3 { print $3 }')
done
for i in "${!layers[@]}"; do
	lib="$build/libctitap_${layers[$i]}.a"
	while read -r sym; do
		[ -n "${owner[$sym]:-}" ] || continue # libc, libpcap, librdkafka, asn1c ...
		checks=$((checks + 1))
		if [ "${owner[$sym]}" -gt "$i" ]; then
			echo "FAIL: ${layers[$i]} uses $sym, defined in ${layers[${owner[$sym]}]} above it"
			fail=1
		fi
	done < <(nm -u "$lib" 2>/dev/null | awk 'NF == 2 && $1 == "U" { print $2 }' | sort -u)
done
[ "$checks" -gt 0 ] || { echo "FAIL: nothing was checked"; exit 1; }
echo "$checks includes and symbol uses checked"
exit $fail
