
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "cc_crypto.h"


/*
 * Client API keys: chat_completions_api_keys names a file read with the
 * configuration (nginx -s reload reads it again), one key per line:
 *
 *     # name   SHA-256 of the key (hex)   [models=id,id,...]
 *     vapi     9f86d081884c7d65...        models=gpt-4o-mini
 *
 * A request's key (Authorization: Bearer, or the configured header) is
 * hashed and its hash compared with every key's, each comparison taking
 * the same time whatever matches: how long a wrong key takes tells
 * nothing of a right one.  The key itself is never kept, logged or sent
 * on (the module's subrequests carry headers of their own).
 */


#define NGX_HTTP_CHATCOMPLETIONS_KEYS_MAX  10000


typedef struct {
    ngx_str_t                         name;
    u_char                            hash[64];   /* lowercase hex */
    ngx_array_t                      *models;     /* of ngx_str_t, or NULL */
    ngx_uint_t                        tpm;        /* tokens a minute */
    ngx_uint_t                        tpd;        /* tokens a day */
    ngx_uint_t                        concurrency; /* answers at once */
    ngx_int_t                         slot;       /* budget, or -1 */
    ngx_int_t                         label;      /* in the metrics */
} ngx_http_chatcompletions_key_t;


/* a key's tokens in the current minute and day, for all workers */
typedef struct {
    ngx_atomic_t                      minute;     /* time / 60 */
    ngx_atomic_t                      minute_used;
    ngx_atomic_t                      day;        /* time / 86400 */
    ngx_atomic_t                      day_used;
    ngx_atomic_t                      open;       /* answers running */
    ngx_atomic_t                      pending;    /* tokens reserved */
    ngx_atomic_t                      peak;       /* one request's most */
} ngx_http_chatcompletions_budget_t;


static char *ngx_http_chatcompletions_key_line(ngx_conf_t *cf,
    ngx_http_chatcompletions_keys_t *keys, u_char *line, size_t len,
    ngx_uint_t n);
static ngx_int_t ngx_http_chatcompletions_key_reject(ngx_http_request_t *r,
    ngx_int_t *rc, const char *message);
static char *ngx_http_chatcompletions_key_param(ngx_conf_t *cf,
    ngx_http_chatcompletions_key_t *key, ngx_str_t *param);
static ngx_http_chatcompletions_budget_t *ngx_http_chatcompletions_budget(
    ngx_http_request_t *r, ngx_http_chatcompletions_key_t *key);
static ngx_int_t ngx_http_chatcompletions_budget_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static ngx_int_t ngx_http_chatcompletions_budget_log(ngx_http_request_t *r);
static ngx_uint_t ngx_http_chatcompletions_estimate(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx);
static ngx_uint_t ngx_http_chatcompletions_window_used(ngx_atomic_t *window,
    ngx_atomic_t *used, time_t now, time_t period);
static ngx_uint_t *ngx_http_chatcompletions_local_open(ngx_http_request_t *r,
    ngx_http_chatcompletions_key_t *key);
static ngx_int_t ngx_http_chatcompletions_limit_header(ngx_http_request_t *r,
    char *name, ngx_uint_t value, char *suffix);
static ngx_int_t ngx_http_chatcompletions_over_budget(ngx_http_request_t *r,
    ngx_int_t *rc, ngx_uint_t limit, ngx_uint_t used, ngx_uint_t requested,
    time_t reset, const char *per);
static ngx_int_t ngx_http_chatcompletions_budget_check(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_chatcompletions_key_t *key,
    ngx_int_t *rc);


/* chat_completions_api_keys file [header=name] | off; */

char *
ngx_http_chatcompletions_api_keys(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    u_char                                *p, *last, *eol;
    ngx_str_t                             *value, text, file;
    ngx_uint_t                             n;
    ngx_http_chatcompletions_key_t        *key;
    ngx_http_chatcompletions_keys_t       *keys;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    if (cclcf->keys != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0 && cf->args->nelts == 2) {
        cclcf->keys = NULL;
        return NGX_CONF_OK;
    }

    keys = ngx_pcalloc(cf->pool, sizeof(ngx_http_chatcompletions_keys_t));
    if (keys == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_str_set(&keys->header, "Authorization");

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "header=", 7) != 0
            || value[2].len == 7)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": expected "
                               "\"header=<name>\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        keys->header.data = value[2].data + 7;
        keys->header.len = value[2].len - 7;
        keys->raw = 1;
    }

    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_chatcompletions_read_small_file(cf->pool, cf->log,
                                                 file.data, &text)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read the API keys file \"%V\"", &file);
        return NGX_CONF_ERROR;
    }

    keys->keys = ngx_array_create(cf->pool, 8,
                                  sizeof(ngx_http_chatcompletions_key_t));
    if (keys->keys == NULL) {
        return NGX_CONF_ERROR;
    }

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_chatcompletions_module);
    keys->base = ccmcf->nbudgets;

    p = text.data;
    last = text.data + text.len;

    for (n = 1; p < last; n++) {
        eol = ngx_strlchr(p, last, LF);
        if (eol == NULL) {
            eol = last;
        }

        if (ngx_http_chatcompletions_key_line(cf, keys, p, eol - p, n)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        p = eol + 1;
    }

    if (keys->keys->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the API keys file \"%V\" holds no key", &file);
        return NGX_CONF_ERROR;
    }

    ccmcf->nbudgets += keys->budgets;

    /* the keys' names: a label of the metrics */

    key = keys->keys->elts;

    for (n = 0; n < keys->keys->nelts; n++) {
        key[n].label = ngx_http_chatcompletions_metrics_label(cf,
                                                              &ccmcf->m_keys,
                                                              &key[n].name);
        if (key[n].label == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }
    }

    cclcf->keys = keys;

    return NGX_CONF_OK;
}


/* "name hash [models=a,b]"; blank lines and "#" comments are skipped */

static char *
ngx_http_chatcompletions_key_line(ngx_conf_t *cf,
    ngx_http_chatcompletions_keys_t *keys, u_char *line, size_t len,
    ngx_uint_t n)
{
    u_char                          *p, *last, *start;
    ngx_str_t                        field[5];
    ngx_uint_t                       nf, i;
    ngx_http_chatcompletions_key_t  *key, *k;

    p = line;
    last = line + len;
    nf = 0;

    while (p < last) {
        while (p < last && (*p == ' ' || *p == '\t' || *p == CR)) {
            p++;
        }

        if (p == last || *p == '#') {
            break;
        }

        start = p;

        while (p < last && *p != ' ' && *p != '\t' && *p != CR) {
            p++;
        }

        if (nf == 5) {
            goto invalid;
        }

        field[nf].data = start;
        field[nf].len = p - start;
        nf++;
    }

    if (nf == 0) {
        return NGX_CONF_OK;
    }

    if (nf < 2 || field[1].len != 64) {
        goto invalid;
    }

    for (i = 0; i < 64; i++) {
        if (!((field[1].data[i] >= '0' && field[1].data[i] <= '9')
              || (field[1].data[i] >= 'a' && field[1].data[i] <= 'f')
              || (field[1].data[i] >= 'A' && field[1].data[i] <= 'F')))
        {
            goto invalid;
        }
    }

    k = keys->keys->elts;

    for (i = 0; i < keys->keys->nelts; i++) {
        if (k[i].name.len == field[0].len
            && ngx_strncmp(k[i].name.data, field[0].data, field[0].len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "API keys file, line %ui: the name \"%V\" "
                               "is there twice", n, &field[0]);
            return NGX_CONF_ERROR;
        }
    }

    if (keys->keys->nelts == NGX_HTTP_CHATCOMPLETIONS_KEYS_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "API keys file, line %ui: more than %d keys", n,
                           NGX_HTTP_CHATCOMPLETIONS_KEYS_MAX);
        return NGX_CONF_ERROR;
    }

    key = ngx_array_push(keys->keys);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(key, sizeof(ngx_http_chatcompletions_key_t));

    key->name.data = ngx_pstrdup(cf->pool, &field[0]);
    if (key->name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    key->name.len = field[0].len;
    ngx_strlow(key->hash, field[1].data, 64);
    key->slot = -1;

    for (i = 2; i < nf; i++) {
        if (ngx_http_chatcompletions_key_param(cf, key, &field[i])
            != NGX_CONF_OK)
        {
            goto invalid;
        }
    }

    if (key->tpm || key->tpd || key->concurrency) {
        key->slot = keys->base + keys->budgets++;
    }

    return NGX_CONF_OK;

invalid:

    /* the line is not shown: it may hold a key pasted by mistake */
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "API keys file, line %ui: expected \"name "
                       "<64 hex digits of SHA-256> [models=id,...] [tpm=N] "
                       "[tpd=N]\"", n);
    return NGX_CONF_ERROR;
}


/* models=a,b  tpm=N  tpd=N */

static char *
ngx_http_chatcompletions_key_param(ngx_conf_t *cf,
    ngx_http_chatcompletions_key_t *key, ngx_str_t *param)
{
    u_char     *p, *last, *comma;
    ngx_int_t   v;
    ngx_str_t  *model;

    if (param->len > 12 && ngx_strncmp(param->data, "concurrency=", 12) == 0)
    {
        v = ngx_atoi(param->data + 12, param->len - 12);
        if (v <= 0) {
            return NGX_CONF_ERROR;
        }

        key->concurrency = v;
        return NGX_CONF_OK;
    }

    if (param->len > 4
        && (ngx_strncmp(param->data, "tpm=", 4) == 0
            || ngx_strncmp(param->data, "tpd=", 4) == 0))
    {
        v = ngx_atoi(param->data + 4, param->len - 4);
        if (v <= 0) {
            return NGX_CONF_ERROR;
        }

        if (param->data[2] == 'm') {
            key->tpm = v;
        } else {
            key->tpd = v;
        }

        return NGX_CONF_OK;
    }

    if (param->len <= 7 || ngx_strncmp(param->data, "models=", 7) != 0
        || key->models)
    {
        return NGX_CONF_ERROR;
    }

    key->models = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
    if (key->models == NULL) {
        return NGX_CONF_ERROR;
    }

    p = param->data + 7;
    last = param->data + param->len;

    while (p < last) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        if (comma == p) {
            return NGX_CONF_ERROR;
        }

        model = ngx_array_push(key->models);
        if (model == NULL) {
            return NGX_CONF_ERROR;
        }

        model->len = comma - p;
        model->data = ngx_pnalloc(cf->pool, model->len);
        if (model->data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(model->data, p, model->len);

        p = comma + 1;
    }

    return NGX_CONF_OK;
}


/*
 * The request's key and its budget: NGX_OK (ctx->key_name set), or
 * NGX_DECLINED: the 401 or 429 was sent, and *rc is what the handler
 * returns
 */

ngx_int_t
ngx_http_chatcompletions_key_check(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_int_t *rc)
{
    if (ngx_http_chatcompletions_key_identify(r, ctx, rc) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (ctx->key == NULL) {
        return NGX_OK;
    }

    return ngx_http_chatcompletions_budget_check(r, ctx, ctx->key, rc);
}


/*
 * The request's key alone (models.c lists what it may use): NGX_OK, with
 * ctx->key NULL when the location has no keys, or NGX_DECLINED as above
 */

ngx_int_t
ngx_http_chatcompletions_key_identify(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_int_t *rc)
{
    u_char                                hash[65], diff;
    ngx_str_t                             presented;
    ngx_uint_t                            i, j, n, found;
    ngx_list_part_t                      *part;
    ngx_table_elt_t                      *h;
    ngx_http_chatcompletions_key_t       *key;
    ngx_http_chatcompletions_keys_t      *keys;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);
    keys = cclcf->keys;

    if (keys == NULL) {
        return NGX_OK;
    }

    /* the header, once: two of them is no key */

    ngx_str_null(&presented);
    n = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == keys->header.len
            && ngx_strncasecmp(h[i].key.data, keys->header.data,
                               keys->header.len) == 0)
        {
            presented = h[i].value;
            n++;
        }
    }

    if (n == 0 || presented.len == 0) {
        return ngx_http_chatcompletions_key_reject(r, rc, "You didn't "
                   "provide an API key. You need to provide your API key in an "
                   "Authorization header using Bearer auth (i.e. "
                   "Authorization: Bearer YOUR_KEY).");
    }

    if (n > 1) {
        return ngx_http_chatcompletions_key_reject(r, rc, "More than one "
                                                   "API key was provided.");
    }

    if (!keys->raw) {
        if (presented.len < 7
            || ngx_strncasecmp(presented.data, (u_char *) "Bearer ", 7) != 0)
        {
            return ngx_http_chatcompletions_key_reject(r, rc, "The API key "
                                  "must be sent as \"Authorization: Bearer "
                                  "YOUR_KEY\".");
        }

        presented.data += 7;
        presented.len -= 7;

        while (presented.len && presented.data[0] == ' ') {
            presented.data++;
            presented.len--;
        }
    }

    if (cc_sha256_hex(presented.data, presented.len, hash) != CC_OK) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    /*
     * The key is no longer needed: its bytes are overwritten where nginx
     * keeps the header, so that nothing later in the request ($http_
     * variables in a log, a map's debug line, a proxied subrequest) can
     * show it.  nginx's own debug log has printed the header as it was
     * parsed (README: "Client API keys").
     */
    ngx_memset(presented.data, '*', presented.len);

    /* every key compared in full: the time does not depend on a match */

    key = keys->keys->elts;
    found = keys->keys->nelts;

    for (i = 0; i < keys->keys->nelts; i++) {
        diff = 0;

        for (j = 0; j < 64; j++) {
            diff |= key[i].hash[j] ^ hash[j];
        }

        /* no branch on diff: the index is picked arithmetically */
        found ^= (found ^ i) & (ngx_uint_t) -(ngx_int_t) (diff == 0
                                                 && found
                                                    == keys->keys->nelts);
    }

    if (found == keys->keys->nelts) {
        return ngx_http_chatcompletions_key_reject(r, rc, "Incorrect API key "
                                                   "provided.");
    }

    ctx->key = &key[found];
    ctx->key_name = key[found].name;

    return NGX_OK;
}


/*
 * The key's budget before any Bedrock call: a key whose tokens of the
 * minute or the day are spent gets OpenAI's 429.  A stream in progress is
 * not cut: its tokens are charged when it ends (budget_log()), so a burst
 * overspends by at most what the requests let in before it was charged.
 */

static ngx_int_t
ngx_http_chatcompletions_budget_check(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_chatcompletions_key_t *key,
    ngx_int_t *rc)
{
    time_t                              now;
    ngx_uint_t                          used;
    ngx_atomic_int_t                    open;
    ngx_http_chatcompletions_budget_t  *b;

    b = ngx_http_chatcompletions_budget(r, key);
    if (b == NULL) {
        return NGX_OK;
    }

    now = ngx_time();

    used = ngx_http_chatcompletions_window_used(&b->minute, &b->minute_used,
                                                now, 60);
    if (key->tpm && used >= key->tpm) {
        return ngx_http_chatcompletions_over_budget(r, rc, key->tpm, used, 0,
                                                    60 - now % 60, "min");
    }

    used = ngx_http_chatcompletions_window_used(&b->day, &b->day_used,
                                                now, 86400);
    if (key->tpd && used >= key->tpd) {
        return ngx_http_chatcompletions_over_budget(r, rc, key->tpd, used, 0,
                                                    86400 - now % 86400,
                                                    "day");
    }

    if (key->concurrency) {

        /*
         * signed: a worker of the previous configuration may give back
         * what it took from the zone before a reload started it afresh
         */

        open = (ngx_atomic_int_t) ngx_atomic_fetch_add(&b->open, 1);

        if (open >= (ngx_atomic_int_t) key->concurrency) {
            (void) ngx_atomic_fetch_add(&b->open, (ngx_atomic_int_t) -1);
            return ngx_http_chatcompletions_over_budget(r, rc,
                                                        key->concurrency,
                                                        key->concurrency, 0,
                                                        1, "concurrent");
        }

        /* given back when the request ends: budget_log() */
        ctx->key_open = 1;
    }

    return NGX_OK;
}


/*
 * Once the body is known, before any Bedrock call: the tokens the request
 * may spend are reserved in its key's budgets until it is charged
 * (budget_log()), so that a burst of requests cannot all pass a budget
 * that only one of them fits.  The estimate is the larger of the key's
 * largest request so far and, when the request's output is bounded (its
 * max tokens, or chat_completions_max_tokens), the body's size (with the
 * system prompt) / 4 plus that bound; without either it is unknown.  A
 * request that does not fit what is left, with the others' reservations,
 * or whose estimate is unknown, gets a 429, except the first of a
 * worker's requests for the key while the budget is not spent: a request
 * that is alone may cross the budget (its tokens are charged when its
 * usage arrives), so a burst overspends by at most one request's tokens
 * per worker, plus what requests spend beyond their estimate.
 */

ngx_int_t
ngx_http_chatcompletions_key_reserve(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_int_t *rc)
{
    time_t                              now;
    ngx_uint_t                          est, used, *local, limit, reset;
    ngx_atomic_int_t                    others;
    const char                         *per;
    ngx_http_chatcompletions_key_t     *key;
    ngx_http_chatcompletions_budget_t  *b;

    key = ctx->key;

    if (key == NULL || (key->tpm == 0 && key->tpd == 0)) {
        return NGX_OK;
    }

    b = ngx_http_chatcompletions_budget(r, key);
    if (b == NULL) {
        return NGX_OK;
    }

    local = ngx_http_chatcompletions_local_open(r, key);
    if (local == NULL) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    est = ngx_max(ngx_http_chatcompletions_estimate(r, ctx),
                  (ngx_uint_t) b->peak);

    others = (ngx_atomic_int_t) ngx_atomic_fetch_add(&b->pending, est);
    if (others < 0) {
        others = 0;
    }

    now = ngx_time();
    per = NULL;
    used = 0;
    limit = 0;
    reset = 0;

    if (key->tpm) {
        used = ngx_http_chatcompletions_window_used(&b->minute,
                                                    &b->minute_used, now, 60);
        if (est == 0 || used + others + est > key->tpm) {
            per = "min";
            limit = key->tpm;
            reset = 60 - now % 60;
        }
    }

    if (per == NULL && key->tpd) {
        used = ngx_http_chatcompletions_window_used(&b->day, &b->day_used,
                                                    now, 86400);
        if (est == 0 || used + others + est > key->tpd) {
            per = "day";
            limit = key->tpd;
            reset = 86400 - now % 86400;
        }
    }

    if (per && (*local > 0 || used >= limit)) {
        (void) ngx_atomic_fetch_add(&b->pending, -(ngx_atomic_int_t) est);

        /* when what is reserved is given back, if the window lasts */
        if (used < limit && est && used + est <= limit) {
            reset = 1;
        }

        return ngx_http_chatcompletions_over_budget(r, rc, limit, used, est,
                                                    reset, per);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "chat_completions: key \"%V\" reserves %ui tokens%s",
                   &key->name, est, per ? " (alone in this worker)" : "");

    (*local)++;
    ctx->key_reserved = est;
    ctx->key_pending = 1;

    return NGX_OK;
}


/* the body's size and the system prompt's / 4 plus the max tokens, or 0 */

static ngx_uint_t
ngx_http_chatcompletions_estimate(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx)
{
    off_t                                 size;
    ngx_buf_t                            *b;
    ngx_chain_t                          *cl;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    if (ctx->conv->chat.max_tokens <= 0) {
        return 0;
    }

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    size = cclcf->system_prompt.len;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            b = cl->buf;
            size += b->in_file ? b->file_last - b->file_pos
                               : b->last - b->pos;
        }
    }

    return (ngx_uint_t) (size / 4 + ctx->conv->chat.max_tokens);
}


/* a window's tokens: none if the window is not the current one */

static ngx_uint_t
ngx_http_chatcompletions_window_used(ngx_atomic_t *window, ngx_atomic_t *used,
    time_t now, time_t period)
{
    if ((time_t) *window != now / period) {
        return 0;
    }

    return (ngx_uint_t) *used;
}


/* this worker's requests in progress that reserved a key's tokens */

static ngx_uint_t *
ngx_http_chatcompletions_local_open(ngx_http_request_t *r,
    ngx_http_chatcompletions_key_t *key)
{
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    static ngx_uint_t   *local;
    static ngx_cycle_t  *cycle;

    ccmcf = ngx_http_get_module_main_conf(r, ngx_http_chatcompletions_module);

    if (local == NULL || cycle != ngx_cycle) {
        local = ngx_pcalloc(ngx_cycle->pool,
                            ccmcf->nbudgets * sizeof(ngx_uint_t));
        if (local == NULL) {
            return NULL;
        }

        cycle = (ngx_cycle_t *) ngx_cycle;
    }

    return &local[key->slot];
}


/* the key may use the model the request resolved to (after aliases) */

ngx_int_t
ngx_http_chatcompletions_key_model(ngx_http_chatcompletions_ctx_t *ctx)
{
    return ngx_http_chatcompletions_key_allows(ctx->key, &ctx->model_name,
                                               &ctx->model_id);
}


/* NGX_OK: the key (NULL: none) may use the model by its name or its id */

ngx_int_t
ngx_http_chatcompletions_key_allows(void *k, ngx_str_t *name, ngx_str_t *id)
{
    ngx_str_t                       *m;
    ngx_uint_t                       i;
    ngx_http_chatcompletions_key_t  *key;

    key = k;

    if (key == NULL || key->models == NULL) {
        return NGX_OK;
    }

    m = key->models->elts;

    for (i = 0; i < key->models->nelts; i++) {
        if ((m[i].len == name->len
             && ngx_strncmp(m[i].data, name->data, m[i].len) == 0)
            || (m[i].len == id->len
                && ngx_strncmp(m[i].data, id->data, m[i].len) == 0))
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_chatcompletions_key_reject(ngx_http_request_t *r, ngx_int_t *rc,
    const char *message)
{
    ngx_str_t  msg;

    msg.data = (u_char *) message;
    msg.len = ngx_strlen(message);

    *rc = ngx_http_discard_request_body(r);

    if (*rc != NGX_OK) {
        return NGX_DECLINED;
    }

    /* the key is not in the log line: only that it was refused */
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "chat_completions: client API key refused: %V", &msg);

    *rc = ngx_http_chatcompletions_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                              "invalid_request_error",
                                              "invalid_api_key", NULL, &msg);

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_chatcompletions_over_budget(ngx_http_request_t *r, ngx_int_t *rc,
    ngx_uint_t limit, ngx_uint_t used, ngx_uint_t requested, time_t reset,
    const char *per)
{
    u_char     *p;
    ngx_str_t   msg;

    *rc = ngx_http_discard_request_body(r);
    if (*rc != NGX_OK) {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, 256);
    if (p == NULL) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    msg.data = p;

    if (per[0] == 'c') {
        msg.len = ngx_sprintf(p, "Rate limit reached for concurrent "
                              "requests: Limit %ui. Please try again when "
                              "one of them has ended.", limit)
                  - p;

    } else if (requested) {
        msg.len = ngx_sprintf(p, "Rate limit reached for tokens per %s: "
                              "Limit %ui, Used %ui, Requested %ui. Please "
                              "try again in %Ts.", per, limit, used,
                              requested, reset)
                  - p;

    } else {
        msg.len = ngx_sprintf(p, "Rate limit reached for tokens per %s: "
                              "Limit %ui, Used %ui. Please try again in "
                              "%Ts.", per, limit, used, reset)
                  - p;
    }

    if (per[0] == 'c') {
        goto send;
    }

    /* as OpenAI's: the limit, what is left, when it resets */

    if (ngx_http_chatcompletions_limit_header(r, "x-ratelimit-limit-tokens",
                                              limit, "") != NGX_OK
        || ngx_http_chatcompletions_limit_header(r,
                                   "x-ratelimit-remaining-tokens",
                                   used < limit ? limit - used : 0, "")
           != NGX_OK
        || ngx_http_chatcompletions_limit_header(r, "x-ratelimit-reset-tokens",
                                                 (ngx_uint_t) reset, "s")
           != NGX_OK)
    {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

send:

    /* when the budget resets (send_error() says 1 s otherwise) */

    if (ngx_http_chatcompletions_limit_header(r, "Retry-After",
                                              (ngx_uint_t) reset, "")
        != NGX_OK)
    {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "chat_completions: client API key over its limit (%s)",
                  per);

    *rc = ngx_http_chatcompletions_send_error(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                              "tokens", "rate_limit_exceeded",
                                              NULL, &msg);

    return NGX_DECLINED;
}


/* a response header whose value is a number (and a suffix) */

static ngx_int_t
ngx_http_chatcompletions_limit_header(ngx_http_request_t *r, char *name,
    ngx_uint_t value, char *suffix)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN + ngx_strlen(suffix));
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.len = ngx_sprintf(h->value.data, "%ui%s", value, suffix)
                   - h->value.data;

    return NGX_OK;
}


static ngx_http_chatcompletions_budget_t *
ngx_http_chatcompletions_budget(ngx_http_request_t *r,
    ngx_http_chatcompletions_key_t *key)
{
    ngx_http_chatcompletions_budget_t     *b;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    if (key->slot < 0) {
        return NULL;
    }

    ccmcf = ngx_http_get_module_main_conf(r, ngx_http_chatcompletions_module);

    if (ccmcf->budgets_zone == NULL || ccmcf->budgets_zone->data == NULL) {
        return NULL;
    }

    b = ccmcf->budgets_zone->data;

    return &b[key->slot];
}


/* after the configuration: the budgets' zone and the charging */

ngx_int_t
ngx_http_chatcompletions_keys_init(ngx_conf_t *cf)
{
    size_t                                 size;
    ngx_str_t                              name;
    ngx_http_handler_pt                   *h;
    ngx_http_core_main_conf_t             *cmcf;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_chatcompletions_module);

    if (ccmcf->nbudgets == 0) {
        return NGX_OK;
    }

    size = ngx_align(ccmcf->nbudgets
                     * sizeof(ngx_http_chatcompletions_budget_t)
                     + 8 * ngx_pagesize, ngx_pagesize);

    ngx_str_set(&name, "chat_completions_budgets");

    ccmcf->budgets_zone = ngx_shared_memory_add(cf, &name, size,
                                              &ngx_http_chatcompletions_module);
    if (ccmcf->budgets_zone == NULL) {
        return NGX_ERROR;
    }

    ccmcf->budgets_zone->init = ngx_http_chatcompletions_budget_zone;
    ccmcf->budgets_zone->data = ccmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_chatcompletions_budget_log;

    return NGX_OK;
}


/* a reload starts the budgets afresh (the key file may have changed) */

static ngx_int_t
ngx_http_chatcompletions_budget_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t                       *shpool;
    ngx_http_chatcompletions_budget_t     *b;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shpool->data) {
        ngx_slab_free(shpool, shpool->data);
    }

    b = ngx_slab_calloc(shpool,
               ccmcf->nbudgets * sizeof(ngx_http_chatcompletions_budget_t));
    if (b == NULL) {
        return NGX_ERROR;
    }

    shpool->data = b;
    shm_zone->data = b;

    return NGX_OK;
}


/* the request is over: its tokens (the winning attempts') are charged */

static ngx_int_t
ngx_http_chatcompletions_budget_log(ngx_http_request_t *r)
{
    time_t                              now;
    ngx_uint_t                         *local;
    ngx_atomic_uint_t                   tokens, w, peak;
    ngx_http_chatcompletions_ctx_t     *ctx;
    ngx_http_chatcompletions_budget_t  *b;

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);
    if (ctx == NULL || ctx->key == NULL) {
        return NGX_OK;
    }

    b = ngx_http_chatcompletions_budget(r, ctx->key);
    if (b == NULL) {
        return NGX_OK;
    }

    if (ctx->key_open) {
        ctx->key_open = 0;
        (void) ngx_atomic_fetch_add(&b->open, (ngx_atomic_int_t) -1);
    }

    tokens = ctx->stream.usage.input + ctx->stream.usage.output;

    if (ctx->key_pending) {
        ctx->key_pending = 0;

        local = ngx_http_chatcompletions_local_open(r, ctx->key);
        if (local && *local) {
            (*local)--;
        }

        (void) ngx_atomic_fetch_add(&b->pending,
                                    -(ngx_atomic_int_t) ctx->key_reserved);

        /* the key's largest request: the next requests' estimate */
        for (peak = b->peak; tokens > peak; peak = b->peak) {
            if (ngx_atomic_cmp_set(&b->peak, peak, tokens)) {
                break;
            }
        }
    }

    if (tokens == 0) {
        return NGX_OK;
    }

    now = ngx_time();

    /* a new window: the worker that sees it first starts it from 0 */

    w = b->minute;
    if (w != (ngx_atomic_uint_t) (now / 60)
        && ngx_atomic_cmp_set(&b->minute, w, now / 60))
    {
        b->minute_used = 0;
    }

    w = b->day;
    if (w != (ngx_atomic_uint_t) (now / 86400)
        && ngx_atomic_cmp_set(&b->day, w, now / 86400))
    {
        b->day_used = 0;
    }

    (void) ngx_atomic_fetch_add(&b->minute_used, tokens);
    (void) ngx_atomic_fetch_add(&b->day_used, tokens);

    return NGX_OK;
}


/* the metrics' index of the request's key, or -1 */

ngx_int_t
ngx_http_chatcompletions_key_label(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_http_chatcompletions_key_t  *key;

    key = ctx->key;

    return key ? key->label : -1;
}
