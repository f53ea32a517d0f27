#!/usr/bin/env bash
# The README's "Use it from your project" snippets are copies of code the
# tests build and run: each block between `[readme:NAME]` and
# `[readme:NAME-end]` markers in the files below must appear, verbatim
# (indentation removed), in README.md.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
for spec in cmake:fortran-tests/CMakeLists.txt fortran:fortran-tests/module_dgesvdocl.f90 preload:tests/consumers.sh \
            python:python/tests/test_readme_example.py; do
    name=${spec%%:*}
    file=$ROOT/${spec#*:}
    block=$(sed -n "/\[readme:$name\]/,/\[readme:$name-end\]/p" "$file" | sed '1d;$d')
    indent=$(printf '%s\n' "$block" | grep -v '^ *$' | sed 's/[^ ].*//' | awk '{ print length }' | sort -n | head -1)
    block=$(printf '%s\n' "$block" | sed "s/^ \{0,${indent:-0}\}//")
    if [ -z "$block" ]; then
        failed=$((failed + 1)); echo "  FAIL no [readme:$name] block in ${spec#*:}"
    elif python3 - "$ROOT/README.md" "$block" <<'PY'
import sys
readme, block = open(sys.argv[1]).read(), sys.argv[2]
sys.exit(0 if block in readme else 1)
PY
    then
        passed=$((passed + 1)); echo "  ok   README has the [readme:$name] block of ${spec#*:}"
    else
        failed=$((failed + 1)); echo "  FAIL README lacks the [readme:$name] block of ${spec#*:}:"; printf '%s\n' "$block"
    fi
done
echo "readme snippets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
