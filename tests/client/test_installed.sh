#!/bin/sh
# test_client_installed: installs the build into a temporary prefix the way a user or packager
# does (cmake --install), checks what lands there, then runs the newcomer's trial
# (test_client_trial) against the INSTALLED dfukit.
#   - bin/dfukit, include/dfukit/*.h, lib*/libdfu_*.a, lib*/pkgconfig/dfukit.pc, dfukit(1), the
#     bash completion;
#   - a program using the device libraries compiles and links with `pkg-config --cflags --libs
#     dfukit` from the prefix alone, and runs;
#   - the man page renders without groff warnings; the completion completes verbs, options
#     (also after global options given before the verb) and --mode values.
# Usage: test_installed.sh BUILD_DIR TRIAL_BINARY [EXTRA_CFLAGS]
set -u
build=$1
trial=$2
extra_cflags=${3:-}
fails=0
check() { # check DESCRIPTION COMMAND...
    what=$1; shift
    if "$@" >/dev/null 2>&1; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
prefix=$(mktemp -d /tmp/dfukit-prefix.XXXXXX) || exit 1
if ! cmake --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1; then
    echo "FAIL: cmake --install $build --prefix $prefix"; cat "$prefix.log"; exit 1
fi
libdir=$(cd "$(dirname "$(find "$prefix" -name dfukit.pc | head -1)")/.." && pwd)
check "bin/dfukit runs from the prefix" "$prefix/bin/dfukit" --version
check "public headers" test -f "$prefix/include/dfukit/dfu_err.h" -a -f "$prefix/include/dfukit/dfu_smp.h"
for lib in dfu_common dfu_flash dfu_image dfu_crypto dfu_boot dfu_smp dfu_transport; do
    check "lib$lib.a" test -f "$libdir/lib$lib.a"
done
check "man page" test -f "$prefix/share/man/man1/dfukit.1"
groff -man -ww -z -Tutf8 "$prefix/share/man/man1/dfukit.1" >"$prefix.groff" 2>&1
check "dfukit(1) renders without warnings (groff-base)" test ! -s "$prefix.groff"
comp="$prefix/share/bash-completion/completions/dfukit"
check "bash completion installed" test -f "$comp"
complete_words() { # complete_words WORD... : what the completion offers for the last word
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dfukit; echo " ${COMPREPLY[*]} "' \
        _ "$comp" "$@" 2>&1
}
check "completes image verbs" sh -c "echo '$(complete_words dfukit image l)' | grep -q ' list '"
check "completes update options" sh -c "echo '$(complete_words dfukit update --m)' | grep -q ' --mode '"
check "completes --mode values" sh -c "echo '$(complete_words dfukit update --mode test-)' | grep -q ' test-confirm test-only '"
check "completes after global options" sh -c "echo '$(complete_words dfukit -c udp:h image list --j)' | grep -q ' --json '"
check "completes top-level commands" sh -c "echo '$(complete_words dfukit upd)' | grep -q ' update '"

# A program against the installed device libraries, through pkg-config only.
cat >"$prefix/use.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <dfukit/dfu_err.h>
#include <dfukit/dfu_framing.h>
#include <dfukit/dfu_image.h>
#include <dfukit/dfu_smp.h>
int main(void)
{
    dfu_smp_hdr_t h, back;
    memset(&h, 0, sizeof(h));
    h.group = 1;
    h.id = 0;
    h.seq = 7;
    uint8_t raw[DFU_SMP_HDR_SIZE];
    dfu_smp_hdr_encode(&h, raw);
    if (dfu_smp_hdr_decode(raw, sizeof(raw), &back) != DFU_OK || back.seq != 7) {
        return 1;
    }
    uint8_t junk[32] = {0};
    dfu_image_reader_t rd;
    dfu_image_header_t hdr;
    dfu_image_reader_mem(&rd, junk, sizeof(junk));
    int rc = dfu_image_header_read(&rd, &hdr);
    printf("%s; crc %04x\n", dfu_strerror(rc), dfu_crc16_xmodem(0, raw, sizeof(raw)));
    return rc == DFU_ERR_BAD_MAGIC ? 0 : 1;
}
EOF
pc="PKG_CONFIG_PATH=$libdir/pkgconfig"
flags=$(env "$pc" pkg-config --cflags --libs dfukit 2>&1)
check "pkg-config --cflags --libs dfukit ($flags)" env "$pc" pkg-config --exists dfukit
# shellcheck disable=SC2086
check "a program links against the installed libraries" \
    cc -std=c11 -Wall -Werror $extra_cflags "$prefix/use.c" -o "$prefix/use" $flags
check "and runs" "$prefix/use"

# The trial, with the installed binary.
DFUKIT_BIN="$prefix/bin/dfukit" "$trial"
trial_rc=$?
[ "$trial_rc" -eq 0 ] || { echo "FAIL: test_client_trial with the installed dfukit"; fails=$((fails + 1)); }
if [ "$fails" -eq 0 ]; then
    rm -rf "$prefix" "$prefix.log" "$prefix.groff"
    echo "test_client_installed: all checks passed"
else
    echo "test_client_installed: $fails failed (prefix kept: $prefix)"
fi
[ "$fails" -eq 0 ]
