/* The dfukit command line's option parser and option help (tables: cli_opts.h). */
#include "cli_opts.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int usage_error(const char *who, const char *what, const char *name)
{
    fprintf(stderr, "%s: %s '%s' (see '%s --help')\n", who, what, name, who);
    return DFU_EXIT_USAGE;
}

int cli_list_index(const char *list, const char *word)
{
    size_t n = strlen(word);
    int k = 0;
    for (const char *p = list; p != NULL && *p; k++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0) {
            return k;
        }
        p += len + (bar ? 1 : 0);
    }
    return -1;
}

bool cli_in_list(const char *list, const char *word)
{
    return cli_list_index(list, word) >= 0;
}

bool cli_opt_applies(const cli_opt_t *o, const char *verb)
{
    return o->verbs == NULL || verb == NULL || cli_in_list(o->verbs, verb);
}

static bool name_is(const char *name, const char *arg, size_t len)
{
    return name != NULL && strlen(name) == len && strncmp(name, arg, len) == 0;
}

const cli_opt_t *cli_find(const cli_optset_t *sets, size_t nsets, const char *arg, size_t len)
{
    for (size_t k = 0; k < nsets; k++) {
        for (size_t i = 0; i < sets[k].n; i++) {
            const cli_opt_t *o = &sets[k].opts[i];
            if ((name_is(o->s, arg, len) || name_is(o->l, arg, len)) &&
                cli_opt_applies(o, sets[k].verb)) {
                return o;
            }
        }
    }
    return NULL;
}

/* Checks a numeric value; returns 0 or DFU_EXIT_USAGE after printing what is wanted. */
static int check_value(const char *who, cli_hit_t *h)
{
    const cli_opt_t *o = h->opt;
    if (o->choices != NULL && !cli_in_list(o->choices, h->v[0])) {
        fprintf(stderr, "%s: %s is one of ", who, o->l);
        for (const char *p = o->choices; *p; p++) {
            if (*p == '|') {
                fputs(", ", stderr);
            } else {
                fputc(*p, stderr);
            }
        }
        fprintf(stderr, ", not '%s' (see '%s --help')\n", h->v[0], who);
        return DFU_EXIT_USAGE;
    }
    if (o->kind == CLI_TEXT) {
        return 0;
    }
    const char *v = h->v[0];
    char *end = NULL;
    double x = o->kind == CLI_UINT ? (double)strtol(v, &end, 10) : strtod(v, &end);
    bool ok = *v != '\0' && *end == '\0' &&
              (o->kind == CLI_UINT ? (x >= o->lo && x <= o->hi) : (x > o->lo && x <= o->hi));
    if (!ok) {
        if (o->kind == CLI_UINT) {
            fprintf(stderr, "%s: %s wants a whole number %.0f..%.0f, not '%s'\n", who, o->l, o->lo,
                    o->hi, v);
        } else {
            fprintf(stderr, "%s: %s wants seconds (%g < %s <= %g), not '%s'\n", who, o->l, o->lo,
                    o->meta ? o->meta : "SEC", o->hi, v);
        }
        return DFU_EXIT_USAGE;
    }
    h->num = x;
    return 0;
}

int cli_parse(cli_args_t *a, const char *who, const cli_optset_t *sets, size_t nsets, int argc,
              char **argv, size_t maxpos)
{
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool positional = only_pos || arg[0] != '-' || arg[1] == '\0';
        if (!positional && strcmp(arg, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (!positional && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            a->help = true;
            continue;
        }
        if (positional) {
            if (a->npos >= maxpos || a->npos >= CLI_MAX_POS) {
                return usage_error(who, "unexpected argument", arg);
            }
            a->pos[a->npos++] = arg;
            continue;
        }
        const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const cli_opt_t *o = cli_find(sets, nsets, arg, len);
        if (o == NULL) {
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), arg);
            return usage_error(who, "unknown option", name);
        }
        if (a->nhit >= CLI_MAX_HITS) {
            return usage_error(who, "too many options; stopped at", arg);
        }
        cli_hit_t *h = &a->hit[a->nhit];
        memset(h, 0, sizeof(*h));
        h->opt = o;
        if (eq != NULL && o->nargs != 1) {
            fprintf(stderr, "%s: option %s does not take '=VALUE' (see '%s --help')\n", who, o->l,
                    who);
            return DFU_EXIT_USAGE;
        }
        if (eq != NULL) {
            h->v[0] = eq + 1;
        }
        for (int k = 0; eq == NULL && k < o->nargs; k++) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: option %s needs %s (see '%s --help')\n", who, o->l,
                        o->nargs == 2 ? "two values" : "a value", who);
                return DFU_EXIT_USAGE;
            }
            h->v[k] = argv[++i];
        }
        if (o->nargs == 1 && check_value(who, h) != 0) {
            return DFU_EXIT_USAGE;
        }
        a->nhit++;
    }
    return 0;
}

const cli_hit_t *cli_get(const cli_args_t *a, const char *lname)
{
    for (size_t i = a->nhit; i-- > 0;) {
        if (strcmp(a->hit[i].opt->l, lname) == 0) {
            return &a->hit[i];
        }
    }
    return NULL;
}

bool cli_flag(const cli_args_t *a, const char *lname)
{
    return cli_get(a, lname) != NULL;
}

const char *cli_str(const cli_args_t *a, const char *lname, const char *def)
{
    const cli_hit_t *h = cli_get(a, lname);
    return h ? h->v[0] : def;
}

double cli_num(const cli_args_t *a, const char *lname, double def)
{
    const cli_hit_t *h = cli_get(a, lname);
    return h ? h->num : def;
}

void cli_opt_name(const cli_opt_t *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s%s%s", o->s ? o->s : "  ", o->s ? ", " : "  ", o->l,
             o->meta ? " " : "", o->meta ? o->meta : "");
}

void cli_opts_help(FILE *out, const cli_opt_t *opts, size_t n, const char *verb)
{
    for (size_t i = 0; i < n; i++) {
        const cli_opt_t *o = &opts[i];
        if (o->help == NULL || !cli_opt_applies(o, verb)) {
            continue;
        }
        char name[64];
        cli_opt_name(o, name, sizeof(name));
        const char *p = o->help;
        bool first = true;
        while (*p) {
            const char *nl = strchr(p, '\n');
            int len = nl ? (int)(nl - p) : (int)strlen(p);
            if (first && strlen(name) <= 22) {
                fprintf(out, "  %-22s  %.*s\n", name, len, p);
            } else {
                if (first) {
                    fprintf(out, "  %s\n", name);
                }
                fprintf(out, "  %-22s  %.*s\n", "", len, p);
            }
            first = false;
            p += len + (nl ? 1 : 0);
        }
    }
}
