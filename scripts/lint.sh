#!/usr/bin/env bash
# Static analysis and format check over all project sources; any finding fails.
#   1. clang-format (.clang-format): every .c/.h under include/ src/ tests/ fuzz/ bench/ firmware/
#      ports/ formatted
#   2. cppcheck: warnings, portability and performance findings in src/, firmware/ and ports/
#      (the firmware once per board port, with that board's headers)
#   3. clang-tidy (.clang-tidy): analyzer + bugprone checks over src/ (needs build/compile_commands.json)
#      and over the firmware (Cortex-M target flags, once per board port)
# Usage: scripts/lint.sh [BUILD_DIR]   (FIX=1 reformats instead of checking)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
status=0
mapfile -t files < <(git ls-files 'include/*.h' 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' \
                                  'fuzz/*.c' 'bench/*.c' 'firmware/*.c' 'firmware/*.h' \
                                  'ports/*.c' 'ports/*.h')
if [ "${FIX:-0}" = 1 ]; then
    clang-format -i "${files[@]}"; echo "lint: reformatted ${#files[@]} files"; exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" >/tmp/dfu-format.log 2>&1; then
    echo "lint: clang-format: these files need 'FIX=1 scripts/lint.sh':"
    grep -oE '^[^ :]+\.(c|h):[0-9]+:' /tmp/dfu-format.log | cut -d: -f1 | sort -u | sed 's/^/  /'
    status=1
else
    echo "lint: clang-format clean (${#files[@]} files)"
fi
mapfile -t srcs < <(git ls-files 'src/*.c')
if cppcheck --quiet --std=c11 --language=c --enable=warning,portability,performance \
        --error-exitcode=1 --inline-suppr --suppress=missingIncludeSystem \
        -Iinclude -Isrc -D__GNUC__ "${srcs[@]}" 2>/tmp/dfu-cppcheck.log; then
    echo "lint: cppcheck clean (${#srcs[@]} files)"
else
    echo "lint: cppcheck findings:"; cat /tmp/dfu-cppcheck.log; status=1
fi
# Firmware (Cortex-M target code): the portable layer with each board port's headers.
for board in $(git ls-files 'ports/*/board.h' | cut -d/ -f2); do
    mapfile -t fw < <(git ls-files 'firmware/*.c' "ports/$board/*.c")
    if cppcheck --quiet --std=c11 --language=c --enable=warning,portability,performance \
            --error-exitcode=1 --inline-suppr --suppress=missingIncludeSystem \
            -Iinclude -Isrc -Isrc/crypto -Ifirmware -I"ports/$board" -D__GNUC__ -D__arm__ \
            "${fw[@]}" 2>/tmp/dfu-cppcheck-fw.log; then
        echo "lint: cppcheck clean (firmware for $board, ${#fw[@]} files)"
    else
        echo "lint: cppcheck findings (firmware for $board):"; cat /tmp/dfu-cppcheck-fw.log
        status=1
    fi
done
if [ -f "$BUILD/compile_commands.json" ]; then
    # Only files that are part of the build (present in compile_commands.json).
    mapfile -t tidy < <(for f in "${srcs[@]}"; do
        grep -q "\"file\": \"$PWD/$f\"" "$BUILD/compile_commands.json" && echo "$f"; done)
    if printf '%s\n' "${tidy[@]}" | xargs -P "$(nproc)" -n 8 clang-tidy -p "$BUILD" --quiet \
            >/tmp/dfu-tidy.log 2>&1; then
        echo "lint: clang-tidy clean (${#tidy[@]} files)"
    else
        echo "lint: clang-tidy findings:"; grep -E 'warning:|error:' /tmp/dfu-tidy.log | sort -u | head -60
        status=1
    fi
else
    echo "lint: $BUILD/compile_commands.json missing (run make build first)"; status=1
fi
# Firmware: not in the CMake build; parsed for the target (newlib headers, the firmware's build
# options; mbedTLS headers from the distribution package, the same 2.28 API).
inc=$(mktemp -d)
ln -s /usr/include/mbedtls "$inc/mbedtls"
for board in $(git ls-files 'ports/*/board.h' | cut -d/ -f2); do
    mapfile -t fw < <(git ls-files 'firmware/*.c' "ports/$board/*.c")
    if printf '%s\n' "${fw[@]}" | xargs -P "$(nproc)" -I{} clang-tidy {} --quiet -- \
            --target=thumbv7em-none-eabi -mcpu=cortex-m4 -mthumb -std=c11 \
            -isystem /usr/lib/arm-none-eabi/include -isystem "$inc" -Iinclude -Isrc -Isrc/crypto \
            -Ifirmware -I"ports/$board" '-DMBEDTLS_CONFIG_FILE="mbedtls_config.h"' \
            -DDFU_BOOT_STRATEGIES=1u -DDFU_IMAGE_ENC=0 >/tmp/dfu-tidy-fw.log 2>&1 &&
       ! grep -qE 'warning:|error:' /tmp/dfu-tidy-fw.log; then
        echo "lint: clang-tidy clean (firmware for $board, ${#fw[@]} files)"
    else
        echo "lint: clang-tidy findings (firmware for $board):"
        grep -E 'warning:|error:' /tmp/dfu-tidy-fw.log | sort -u | head -40; status=1
    fi
done
rm -rf "$inc"
exit $status
