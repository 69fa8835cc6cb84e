/*
 * Minimal test helpers: CHECK records a failure with file:line and continues; the test's main
 * returns dfu_test_finish(), which prints "N passed, N failed" and returns non-zero on failure.
 */
#ifndef DFU_TEST_H
#define DFU_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dfu_test_pass_count;
static int dfu_test_fail_count;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            dfu_test_pass_count++;                                                                 \
        } else {                                                                                   \
            dfu_test_fail_count++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (va_ == vb_) {                                                                          \
            dfu_test_pass_count++;                                                                 \
        } else {                                                                                   \
            dfu_test_fail_count++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__, __LINE__,  \
                    #a, #b, va_, vb_);                                                             \
        }                                                                                          \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

/* Returns 1 if ../shared is present; otherwise prints one line saying the compatibility checks
 * named `what` are skipped. */
static inline int dfu_test_have_shared(const char *what)
{
    FILE *f = fopen(DFU_SHARED_DIR "/vectors/imgtool/MANIFEST.md", "r");
    if (f) {
        fclose(f);
        return 1;
    }
    printf("note: %s not found; %s compatibility checks not run\n", DFU_SHARED_DIR, what);
    return 0;
}

static inline int dfu_test_finish(const char *name)
{
    printf("%s: %d checks passed, %d failed\n", name, dfu_test_pass_count, dfu_test_fail_count);
    return dfu_test_fail_count ? 1 : 0;
}

#endif
