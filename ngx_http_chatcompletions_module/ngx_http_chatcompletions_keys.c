
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
} ngx_http_chatcompletions_key_t;


static char *ngx_http_chatcompletions_key_line(ngx_conf_t *cf,
    ngx_http_chatcompletions_keys_t *keys, u_char *line, size_t len,
    ngx_uint_t n);
static ngx_int_t ngx_http_chatcompletions_key_reject(ngx_http_request_t *r,
    ngx_int_t *rc, const char *message);


/* chat_completions_api_keys file [header=name] | off; */

char *
ngx_http_chatcompletions_api_keys(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    u_char                           *p, *last, *eol;
    ngx_str_t                        *value, text, file;
    ngx_uint_t                        n;
    ngx_http_chatcompletions_keys_t  *keys;

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

    cclcf->keys = keys;

    return NGX_CONF_OK;
}


/* "name hash [models=a,b]"; blank lines and "#" comments are skipped */

static char *
ngx_http_chatcompletions_key_line(ngx_conf_t *cf,
    ngx_http_chatcompletions_keys_t *keys, u_char *line, size_t len,
    ngx_uint_t n)
{
    u_char                          *p, *last, *start, *comma;
    ngx_str_t                        field[3], *model;
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

        if (nf == 3) {
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

    key->name.data = ngx_pstrdup(cf->pool, &field[0]);
    if (key->name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    key->name.len = field[0].len;
    ngx_strlow(key->hash, field[1].data, 64);
    key->models = NULL;

    if (nf < 3) {
        return NGX_CONF_OK;
    }

    if (field[2].len <= 7 || ngx_strncmp(field[2].data, "models=", 7) != 0) {
        goto invalid;
    }

    key->models = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
    if (key->models == NULL) {
        return NGX_CONF_ERROR;
    }

    p = field[2].data + 7;
    last = field[2].data + field[2].len;

    while (p < last) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        if (comma == p) {
            goto invalid;
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

invalid:

    /* the line is not shown: it may hold a key pasted by mistake */
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "API keys file, line %ui: expected \"name "
                       "<64 hex digits of SHA-256> [models=id,...]\"", n);
    return NGX_CONF_ERROR;
}


/*
 * The request's key: NGX_OK (ctx->key_name set), or NGX_DECLINED: the 401
 * was sent, and *rc is what the handler returns
 */

ngx_int_t
ngx_http_chatcompletions_key_check(ngx_http_request_t *r,
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


/* the key may use the model the request resolved to (after aliases) */

ngx_int_t
ngx_http_chatcompletions_key_model(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_str_t                       *m;
    ngx_uint_t                       i;
    ngx_http_chatcompletions_key_t  *key;

    key = ctx->key;

    if (key == NULL || key->models == NULL) {
        return NGX_OK;
    }

    m = key->models->elts;

    for (i = 0; i < key->models->nelts; i++) {
        if ((m[i].len == ctx->model_name.len
             && ngx_strncmp(m[i].data, ctx->model_name.data, m[i].len) == 0)
            || (m[i].len == ctx->model_id.len
                && ngx_strncmp(m[i].data, ctx->model_id.data, m[i].len)
                   == 0))
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
