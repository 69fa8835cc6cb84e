/* Minimal streaming JSON writer for --json output (host). */
#include <math.h>
#include <string.h>

#include "dfu_client.h"

void dfu_json_init(dfu_json_t *j, FILE *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

static void sep(dfu_json_t *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0 && j->need_comma[j->depth]) {
        fputc(',', j->out);
    }
    if (j->depth > 0) {
        j->need_comma[j->depth] = true;
    }
}

static void open_c(dfu_json_t *j, char ch)
{
    sep(j);
    fputc(ch, j->out);
    if (j->depth < 15) {
        j->depth++;
    }
    j->need_comma[j->depth] = false;
}

static void close_c(dfu_json_t *j, char ch)
{
    fputc(ch, j->out);
    if (j->depth > 0) {
        j->depth--;
    }
}

void dfu_json_obj(dfu_json_t *j)
{
    open_c(j, '{');
}

void dfu_json_obj_end(dfu_json_t *j)
{
    close_c(j, '}');
}

void dfu_json_arr(dfu_json_t *j)
{
    open_c(j, '[');
}

void dfu_json_arr_end(dfu_json_t *j)
{
    close_c(j, ']');
}

static void raw_str(dfu_json_t *j, const char *s)
{
    fputc('"', j->out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', j->out);
            fputc(*p, j->out);
        } else if (*p < 0x20) {
            fprintf(j->out, "\\u%04x", *p);
        } else {
            fputc(*p, j->out);
        }
    }
    fputc('"', j->out);
}

void dfu_json_key(dfu_json_t *j, const char *k)
{
    sep(j);
    raw_str(j, k);
    fputc(':', j->out);
    j->after_key = true;
}

void dfu_json_str(dfu_json_t *j, const char *s)
{
    sep(j);
    raw_str(j, s ? s : "");
}

void dfu_json_int(dfu_json_t *j, long long v)
{
    sep(j);
    fprintf(j->out, "%lld", v);
}

void dfu_json_num(dfu_json_t *j, double v)
{
    sep(j);
    if (isfinite(v)) {
        fprintf(j->out, "%.3f", v);
    } else {
        fputs("null", j->out);
    }
}

void dfu_json_bool(dfu_json_t *j, bool v)
{
    sep(j);
    fputs(v ? "true" : "false", j->out);
}

void dfu_json_null(dfu_json_t *j)
{
    sep(j);
    fputs("null", j->out);
}

void dfu_json_end(dfu_json_t *j)
{
    fputc('\n', j->out);
    fflush(j->out);
}

void dfu_json_err(dfu_json_t *j, const dfu_client_err_t *e)
{
    const dfu_client_explain_t *x = e->code == DFU_ERR_DEVICE
                                        ? dfu_client_explain(e->group, e->group_rc, e->rc)
                                        : dfu_client_explain_link(e->code, e->att);
    char msg[1024];
    dfu_client_err_format(e, msg, sizeof(msg));
    dfu_json_key(j, "error");
    dfu_json_obj(j);
    dfu_json_key(j, "request");
    dfu_json_str(j, e->what);
    dfu_json_key(j, "name");
    dfu_json_str(j, x->name);
    dfu_json_key(j, "meaning");
    dfu_json_str(j, x->meaning);
    dfu_json_key(j, "fix");
    dfu_json_str(j, x->fix);
    dfu_json_key(j, "rc");
    dfu_json_int(j, e->rc);
    dfu_json_key(j, "group");
    if (e->group_rc > 0) {
        dfu_json_int(j, e->group);
    } else {
        dfu_json_null(j);
    }
    dfu_json_key(j, "group_rc");
    dfu_json_int(j, e->group_rc);
    dfu_json_key(j, "rsn");
    dfu_json_str(j, e->rsn);
    dfu_json_key(j, "att");
    dfu_json_int(j, e->att);
    dfu_json_key(j, "code");
    dfu_json_int(j, e->code);
    dfu_json_key(j, "detail");
    dfu_json_str(j, e->detail);
    dfu_json_key(j, "message");
    dfu_json_str(j, msg);
    dfu_json_obj_end(j);
}

void dfu_json_slot(dfu_json_t *j, const dfu_client_state_t *st, int slot)
{
    const dfu_client_slot_t *s = &st->slots[slot];
    char hex[65];
    dfu_client_hex(s->hash, s->hash_len, hex);
    dfu_json_obj(j);
    dfu_json_key(j, "slot");
    dfu_json_int(j, slot);
    dfu_json_key(j, "version");
    dfu_json_str(j, s->version);
    dfu_json_key(j, "hash");
    dfu_json_str(j, hex);
    dfu_json_key(j, "bootable");
    dfu_json_bool(j, s->bootable);
    dfu_json_key(j, "pending");
    dfu_json_bool(j, s->pending);
    dfu_json_key(j, "confirmed");
    dfu_json_bool(j, s->confirmed);
    dfu_json_key(j, "active");
    dfu_json_bool(j, s->active);
    dfu_json_key(j, "permanent");
    dfu_json_bool(j, s->permanent);
    dfu_json_key(j, "next_reset");
    dfu_json_str(j, dfu_client_slot_fate(st, slot));
    dfu_json_obj_end(j);
}
