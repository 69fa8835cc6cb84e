#!/usr/bin/env bash
# Every CMake build type (Debug, Release, RelWithDebInfo, MinSizeRel) with gcc and clang, warnings
# are errors (-Werror in the project's warning sets): any warning in any configuration fails.
#
# Fast on purpose (no test suite, one configure per configuration): a build type changes only the
# optimisation/debug flags, and the warnings that depend on them (format-truncation, maybe-
# uninitialized, ...) come from the compiler, not the linker. So per configuration it
#   1. configures OUT/<cc>-<type> (CMake, same options as a user's first try),
#   2. really builds and links the `dfukit` executable (libraries + CLI),
#   3. compiles every other translation unit of compile_commands.json (tests, bench) to
#      /dev/null with the exact command CMake generated for that type.
# Usage: scripts/build_types.sh [OUT_DIR]   (default build-types; JOBS=N, default 2)
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
OUT=${1:-build-types}
JOBS=${JOBS:-2}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
t0=$(date +%s)

# configs CC JOBS: the four build types with compiler CC, one after the other; returns 1 if any
# configuration failed.
configs() {
    local cc=$1 JOBS=$2 fail=0 type d log n
    if ! command -v "$cc" >/dev/null; then
        echo "build-types: $cc not installed (scripts/deps.sh installs it)"; return 1
    fi
    for type in Debug Release RelWithDebInfo MinSizeRel; do
        d=$OUT/$cc-$type
        log=$d.log
        : >"$log"
        if ! CC=$cc cmake -S "$SRC" -B "$d" -DCMAKE_BUILD_TYPE=$type >>"$log" 2>&1; then
            echo "build-types: $cc $type: configure failed (see $log)"; fail=1; continue
        fi
        if ! cmake --build "$d" -j "$JOBS" --target dfukit >>"$log" 2>&1; then
            echo "build-types: $cc $type: building dfukit failed:"
            grep -E 'warning|error' "$log" | sort -u | head -20; fail=1; continue
        fi
        # Every translation unit the dfukit build did not compile (its object file is missing).
        declare -A seen=()
        n=$(jq -j '.[] | (.command | capture(" -o (?<o>[^ ]+) ").o) as $o
                | "\(.directory)\u0001\($o)\u0001\(.command)\u0000"' "$d/compile_commands.json" |
            while IFS=$'\1' read -r -d '' dir obj cmd; do
                [ -f "$dir/$obj" ] && continue
                cmd=${cmd/ -o $obj / -o /dev/null }
                # the same source with the same flags in several test targets: compile it once
                [ -n "${seen[$cmd]:-}" ] && continue
                seen[$cmd]=1
                printf 'cd %q && %s\0' "$dir" "$cmd"
            done | xargs -0 -r -P "$JOBS" -n 1 sh -c 2>>"$log" >&2; echo $?)
        if [ "$n" != 0 ] || grep -qE 'warning:|error:' "$log"; then
            echo "build-types: $cc $type: warnings/errors:"
            grep -E 'warning:|error:' "$log" | sort -u | head -20; fail=1; continue
        fi
        echo "build-types: $cc $type: clean ($(jq length "$d/compile_commands.json") files)"
    done
    return $fail
}

# The two compilers' chains run side by side (JOBS split between them): configure and link
# steps are serial, so two chains keep both cores busy.
half=$(( JOBS > 1 ? JOBS / 2 : 1 ))
configs gcc "$half" & gcc_pid=$!
configs clang "$half"; fail=$?
wait $gcc_pid || fail=1
echo "build-types: 8 configurations in $(($(date +%s) - t0)) s"
exit $fail
