#!/usr/bin/env bash
# check-style.sh - the rule of ../shared/STYLE.md a machine can enforce: no banned string
# functions in the project's C. (.clang-format describes the layout for editors; it is advice,
# not a gate: the generated and the older code are not reformatted wholesale.)
set -euo pipefail
cd "$(dirname "$0")/.."
banned='\b(strcpy|strcat|sprintf|vsprintf|strncpy|strtok|atoi|gets)[[:space:]]*\('
if hits=$(git grep -nE "$banned" -- '*.c' '*.h' ':!build*' 2>/dev/null) && [ -n "$hits" ]; then
	echo "banned functions (see ../shared/STYLE.md):"
	echo "$hits"
	exit 1
fi
