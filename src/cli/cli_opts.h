/*
 * The one option parser of the dfukit command line. Every command describes its options in a
 * table (cli_opt_t); the parser, the help pages, the man page and the bash completion are all
 * made from those tables, so an option is added by adding one table entry.
 *
 * Syntax: "-k VALUE", "--key VALUE", "--key=VALUE" (one-value options), flags, "--custom-tlv A B"
 * (two values), positional arguments anywhere, "--" ends the options, "-" is a positional
 * argument (stdin/stdout). -h/--help anywhere asks for the command's help.
 */
#ifndef DFU_CLI_OPTS_H
#define DFU_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum cli_kind {
    CLI_TEXT = 0, /* any text */
    CLI_UINT,     /* a whole number in [lo, hi] */
    CLI_SECONDS,  /* a number of seconds, lo < value <= hi */
} cli_kind_t;

typedef struct cli_opt {
    const char *s;     /* short form ("-k") or NULL */
    const char *l;     /* long form ("--key") */
    int nargs;         /* values it takes: 0 (a flag), 1 or 2 */
    int id;            /* the caller's id (0 when the caller looks options up by name) */
    const char *meta;  /* value placeholder in help ("SEC"); NULL for flags */
    const char *help;  /* help text, lines separated by '\n'; NULL = described in the usage text */
    const char *verbs; /* options shared by a family of verbs: the verbs ('|'-separated) it is
                        * valid for; NULL = every verb the table is used for */
    cli_kind_t kind;   /* value check of a one-value option */
    double lo, hi;     /* range for CLI_UINT / CLI_SECONDS */
    const char *choices; /* the values allowed ('|'-separated), NULL = any (also completion) */
} cli_opt_t;

/* One table to look options up in; `verb` filters entries with a `verbs` list. */
typedef struct cli_optset {
    const cli_opt_t *opts;
    size_t n;
    const char *verb;
} cli_optset_t;

typedef struct cli_hit {
    const cli_opt_t *opt;
    const char *v[2]; /* the values as typed */
    double num;       /* the checked number (CLI_UINT / CLI_SECONDS) */
} cli_hit_t;

#define CLI_MAX_HITS 512
#define CLI_MAX_POS 8

typedef struct cli_args {
    cli_hit_t hit[CLI_MAX_HITS]; /* in command-line order */
    size_t nhit;
    const char *pos[CLI_MAX_POS];
    size_t npos;
    bool help; /* -h/--help was given */
} cli_args_t;

#define CLI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Parses argv[0..argc) (no program or verb name) into `a`, appending to what it holds. Options
 * are looked up in the sets in order (so a verb's own "-v" wins over a global "-v" given after
 * the verb). `who` ("dfukit image sign") prefixes messages; at most `maxpos` positional
 * arguments. Returns 0, or DFU_EXIT_USAGE after printing "<who>: <problem> (see '<who> --help')"
 * on stderr. */
int cli_parse(cli_args_t *a, const char *who, const cli_optset_t *sets, size_t nsets, int argc,
              char **argv, size_t maxpos);

/* Looks up "-x" / "--long" (len bytes of `arg`) in the sets; NULL if unknown. */
const cli_opt_t *cli_find(const cli_optset_t *sets, size_t nsets, const char *arg, size_t len);

/* True if `o` is valid for `verb` (no `verbs` list, or `verb` is in it). */
bool cli_opt_applies(const cli_opt_t *o, const char *verb);

/* True if `word` is one of the '|'-separated `list` (NULL list: false). */
bool cli_in_list(const char *list, const char *word);

/* Index of `word` in the '|'-separated `list`, or -1. */
int cli_list_index(const char *list, const char *word);

/* The last occurrence of the option with long name `lname`, or NULL. */
const cli_hit_t *cli_get(const cli_args_t *a, const char *lname);
bool cli_flag(const cli_args_t *a, const char *lname);
const char *cli_str(const cli_args_t *a, const char *lname, const char *def);
double cli_num(const cli_args_t *a, const char *lname, double def);

/* "-c, --conn CONN" / "    --clear" for help and man pages. */
void cli_opt_name(const cli_opt_t *o, char *buf, size_t cap);

/* Help lines for the entries of `opts` valid for `verb` ("  -c, --conn CONN   text"). */
void cli_opts_help(FILE *out, const cli_opt_t *opts, size_t n, const char *verb);

#endif
