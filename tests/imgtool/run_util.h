/* Test helpers for the imgtool tests: run the dfukit binary with captured output, temp dirs,
 * whole-file reads, a tiny shell-like argument splitter. */
#ifndef IMGTOOL_TEST_RUN_UTIL_H
#define IMGTOOL_TEST_RUN_UTIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int code;        /* exit status, or -1 if the process did not exit normally */
    char out[65536]; /* captured stdout (truncated, NUL-terminated) */
    char err[8192];  /* captured stderr (truncated, NUL-terminated) */
} run_result_t;

/* Runs DFU_BUILD_DIR/dfukit with argv (argv[0] is ignored and replaced) in directory `cwd`
 * (NULL = current). Returns r->code. */
int run_dfukit(run_result_t *r, const char *cwd, char *const argv[]);
/* Same with a printf-built command line split by split_args (single quotes group words). */
int run_dfukitf(run_result_t *r, const char *cwd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Splits `line` in place into at most max-1 words (NULL-terminated); returns the count. */
int split_args(char *line, char **argv, int max);

/* Creates a fresh temp directory; returns its path (static storage per call site is the
 * caller's: copies into `buf`). */
const char *make_temp_dir(char *buf, size_t n);
/* Removes a directory tree (rm -rf). */
void remove_tree(const char *path);

/* Reads a file into a malloc'd, NUL-terminated buffer (*len = file size); NULL if missing. */
uint8_t *read_file(const char *path, size_t *len);
/* Counts '\n' in s. */
int count_lines(const char *s);

#endif
