#!/usr/bin/env bash
# The documents point at code and tests (SECURITY.md's checklist above all):
# every `path` and `path:test` they name must exist, and a named test must be
# a registered Check test (tcase_add_test) or a Python test method, so a
# rename cannot leave a requirement pointing at nothing.
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
for doc in SECURITY.md README.md docs/cli.md test/sim/README.md; do
    [ -f "$doc" ] || continue
    refs=$(grep -o '`\(src\|test\|include\|scripts\|examples\|proto\)/[A-Za-z0-9_./-]*\(:[A-Za-z0-9_]*\)\?`' "$doc" | tr -d '`' | sort -u)
    for ref in $refs; do
        path=${ref%%:*} name=
        [ "$path" != "$ref" ] && name=${ref#*:}
        if [ ! -e "$path" ]; then
            echo "FAIL $doc names $path, which does not exist"; fail=$((fail + 1)); continue
        fi
        if [ -n "$name" ]; then
            if grep -qE "tcase_add_(loop_)?test\([a-z_]+, $name[,)]|def $name\(" "$path"; then
                pass=$((pass + 1))
            else
                echo "FAIL $doc names test $name in $path, which registers no such test"; fail=$((fail + 1))
            fi
        else
            pass=$((pass + 1))
        fi
    done
done
echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
