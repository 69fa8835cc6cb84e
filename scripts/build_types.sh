#!/usr/bin/env bash
# Every CMake build type (Debug, Release, RelWithDebInfo, MinSizeRel) with gcc and clang, warnings
# are errors (-Werror in the project's warning sets): any warning in any configuration fails.
#
# Fast on purpose (no test suite, one configure per configuration): a build type changes only the
# optimisation/debug flags, and the warnings that depend on them (format-truncation, maybe-
# uninitialized, ...) come from the compiler, not the linker. So per configuration it
#   1. configures OUT/<cc>-<type> (CMake, same options as a user's first try),
#   2. really builds and links the `dfukit` executable (libraries + CLI),
#   3. compiles every other translation unit of compile_commands.json (tests, bench) with the
#      exact command CMake generated for that type, plus -S (output to /dev/null: the compiler's
#      warnings, optimiser ones included, without running the assembler); a file compiled for
#      several test targets with the same flags: once.
# The configurations run as a queue on JOBS workers (one compiler job each), so configure and
# link steps of one overlap compiles of another.
# Usage: scripts/build_types.sh [OUT_DIR]   (default build-types; JOBS=N workers, default 2)
#   COVERED_BY=BUILD_DIR: the configuration of an existing build (compiler and type read from its
#   CMake cache: make test's build/, compiled with the same -Werror flags) is listed as covered
#   and not built again.
set -uo pipefail
cd "$(dirname "$0")/.."

# one CC TYPE OUT: builds one configuration; prints one line; returns 1 on any warning.
one() {
    local cc=$1 type=$2 out=$3 d log n
    d=$out/$cc-$type
    log=$d.log
    : >"$log"
    if ! command -v "$cc" >/dev/null; then
        echo "build-types: $cc not installed (scripts/deps.sh installs it)"; return 1
    fi
    if ! CC=$cc cmake -S "$PWD" -B "$d" -DCMAKE_BUILD_TYPE="$type" >>"$log" 2>&1; then
        echo "build-types: $cc $type: configure failed (see $log)"; return 1
    fi
    if ! cmake --build "$d" -j 1 --target dfukit >>"$log" 2>&1; then
        echo "build-types: $cc $type: building dfukit failed:"
        grep -E 'warning|error' "$log" | sort -u | head -20; return 1
    fi
    # Every translation unit the dfukit build did not compile (its object file is missing).
    declare -A seen=()
    n=$(jq -j '.[] | (.command | capture(" -o (?<o>[^ ]+) ").o) as $o
            | "\(.directory)\u0001\($o)\u0001\(.command)\u0000"' "$d/compile_commands.json" |
        while IFS=$'\1' read -r -d '' dir obj cmd; do
            [ -f "$dir/$obj" ] && continue
            cmd="${cmd/ -o $obj / -o /dev/null } -S" # -S: all compiler warnings, no assembler
            [ -n "${seen[$cmd]:-}" ] && continue
            seen[$cmd]=1
            printf 'cd %q && %s\0' "$dir" "$cmd"
        done | xargs -0 -r -n 1 sh -c 2>>"$log" >&2; echo $?)
    if [ "$n" != 0 ] || grep -qE 'warning:|error:' "$log"; then
        echo "build-types: $cc $type: warnings/errors:"
        grep -E 'warning:|error:' "$log" | sort -u | head -20; return 1
    fi
    echo "build-types: $cc $type: clean ($(jq length "$d/compile_commands.json") files)"
}

if [ "${1:-}" = --one ]; then
    one "$2" "$3" "$BUILD_TYPES_OUT"
    exit $?
fi

OUT=${1:-build-types}
JOBS=${JOBS:-2}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
t0=$(date +%s)
COVERED=""
if [ -n "${COVERED_BY:-}" ] && [ -f "$COVERED_BY/CMakeCache.txt" ]; then
    id=$(sed -n 's/^set(CMAKE_C_COMPILER_ID "\(.*\)")$/\1/p' "$COVERED_BY"/CMakeFiles/*/CMakeCCompiler.cmake | head -1)
    type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$COVERED_BY/CMakeCache.txt")
    case $id in GNU) COVERED="gcc-$type" ;; Clang) COVERED="clang-$type" ;; esac
fi
queue=()
for cc in gcc clang; do
    for type in Debug Release RelWithDebInfo MinSizeRel; do
        if [ "$COVERED" = "$cc-$type" ]; then
            echo "build-types: $cc $type: covered by $COVERED_BY (the same flags, -Werror)"
        else
            queue+=("$cc $type")
        fi
    done
done
printf '%s\n' "${queue[@]}" | BUILD_TYPES_OUT=$OUT xargs -P "$JOBS" -L 1 bash "$0" --one \
    >"$OUT/summary.txt" 2>&1
fail=0
cat "$OUT/summary.txt"
grep -q 'warnings/errors\|failed\|not installed' "$OUT/summary.txt" && fail=1
[ "$(grep -c ': clean (' "$OUT/summary.txt")" -eq "${#queue[@]}" ] || fail=1
echo "build-types: ${#queue[@]} configurations in $(($(date +%s) - t0)) s"
exit $fail
