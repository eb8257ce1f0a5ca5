#!/usr/bin/env bash
# check-style.sh - the rules of ../shared/STYLE.md a machine can check: no banned string
# functions in the project's C, and (where clang-format is installed) the .clang-format layout
# of the capture layer.
set -euo pipefail
cd "$(dirname "$0")/.."
banned='\b(strcpy|strcat|sprintf|vsprintf|strncpy|strtok|atoi|gets)[[:space:]]*\('
if hits=$(git grep -nE "$banned" -- '*.c' '*.h' ':!build*' 2>/dev/null) && [ -n "$hits" ]; then
	echo "banned functions (see ../shared/STYLE.md):"
	echo "$hits"
	exit 1
fi
