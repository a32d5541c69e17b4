
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "ngx_http_chatcompletions_chain.h"



/*
 * The shared memory zone of the credentials: created with the
 * configuration, kept over a reload while what the credentials come from
 * stays the same; a refresh's result written into its slot, and logged.
 */


/* a refresh that failed is not tried again before this, growing */
#define NGX_HTTP_CHATCOMPLETIONS_BACKOFF_MAX  30


static void ngx_http_chatcompletions_store(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_slot_t *s, ngx_uint_t ok, time_t now);
static u_char *ngx_http_chatcompletions_expiry(u_char *buf, time_t t);


/*
 * A reload keeps the credentials while what they come from is the same
 * (the roles, the environment of the chain); a failure, its backoff and
 * a refresh in flight are forgotten: a reload is how an operator fixes
 * what made them.
 */

ngx_int_t
ngx_http_chatcompletions_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_chatcompletions_shctx_t *osh = data;

    size_t                                 size;
    ngx_uint_t                             i;
    ngx_slab_pool_t                       *shpool;
    ngx_http_chatcompletions_slot_t       *s;
    ngx_http_chatcompletions_shctx_t      *sh;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = shm_zone->data;

    size = sizeof(ngx_http_chatcompletions_shctx_t)
           + ccmcf->roles.nelts * sizeof(ngx_http_chatcompletions_slot_t);

    if (osh && osh->nslots == ccmcf->roles.nelts + 1) {
        shm_zone->data = osh;

        if (osh->layout != ccmcf->layout) {
            ngx_memzero(osh, size);
            osh->layout = ccmcf->layout;
            osh->nslots = ccmcf->roles.nelts + 1;
            return NGX_OK;
        }

        for (i = 0; i < osh->nslots; i++) {
            s = &osh->slots[i];
            s->owner = 0;
            s->owner_until = 0;
            s->failures = 0;
            s->retry_at = 0;
            s->reason_len = 0;
        }

        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    sh = ngx_slab_calloc(shpool, size);
    if (sh == NULL) {
        return NGX_ERROR;
    }

    sh->layout = ccmcf->layout;
    sh->nslots = ccmcf->roles.nelts + 1;

    shpool->data = sh;
    shm_zone->data = sh;

    return NGX_OK;
}


/* the roles and the chain's environment: what the credentials come from */

uint32_t
ngx_http_chatcompletions_layout(ngx_conf_t *cf,
    ngx_http_chatcompletions_main_conf_t *ccmcf, char **names)
{
    uint32_t                          crc;
    ngx_str_t                         v;
    ngx_uint_t                        i, n;
    ngx_http_chatcompletions_role_t **roles;

    ngx_crc32_init(crc);

    roles = ccmcf->roles.elts;

    for (i = 0; i < ccmcf->roles.nelts; i++) {
        ngx_crc32_update(&crc, roles[i]->arn.data, roles[i]->arn.len);
        ngx_crc32_update(&crc, (u_char *) "|", 1);
        ngx_crc32_update(&crc, roles[i]->external_id.data,
                         roles[i]->external_id.len);
        ngx_crc32_update(&crc, (u_char *) "|", 1);
        ngx_crc32_update(&crc, roles[i]->session_name.data,
                         roles[i]->session_name.len);
        ngx_crc32_update(&crc, (u_char *) &roles[i]->duration,
                         sizeof(time_t));
    }

    ngx_crc32_update(&crc, ccmcf->ecs_endpoint.data, ccmcf->ecs_endpoint.len);

    /* the chain's environment as the workers will see it */

    for (n = 0; names[n]; n++) {
        (void) ngx_http_chatcompletions_conf_getenv(cf, names[n], &v);

        ngx_crc32_update(&crc, (u_char *) "|", 1);
        ngx_crc32_update(&crc, v.data, v.len);
    }

    ngx_crc32_final(crc);

    return crc;
}


ngx_http_chatcompletions_shctx_t *
ngx_http_chatcompletions_zone(ngx_http_request_t *r,
    ngx_slab_pool_t **shpool)
{
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_get_module_main_conf(r,
                                          ngx_http_chatcompletions_module);

    *shpool = (ngx_slab_pool_t *) ccmcf->creds_zone->shm.addr;

    return ccmcf->creds_zone->data;
}


void
ngx_http_chatcompletions_finish(ngx_http_chatcompletions_refresh_t *rf,
    ngx_uint_t ok)
{
    u_char                            until[48];
    time_t                            now;
    ngx_str_t                         name;
    ngx_uint_t                        tell, valid, level;
    ngx_slab_pool_t                  *shpool;
    ngx_http_chatcompletions_slot_t  *s;
    ngx_http_chatcompletions_shctx_t *sh;

    if (rf->finished) {
        return;
    }

    rf->finished = 1;

    if (ok
        && (rf->creds.access_key.len > NGX_HTTP_CHATCOMPLETIONS_KEY_MAX
            || rf->creds.secret_key.len > NGX_HTTP_CHATCOMPLETIONS_KEY_MAX
            || rf->creds.session_token.len
               > NGX_HTTP_CHATCOMPLETIONS_TOKEN_MAX))
    {
        (void) ngx_http_chatcompletions_reason(rf, "the credentials are too "
                                               "large to keep");
        ok = 0;
    }

    now = ngx_time();

    /*
     * A set that would be refreshed at once (a skewed clock, a source
     * handing out sets about to expire) is a failure: with its backoff,
     * not a fetch per request.
     */

    if (ok && rf->creds.expiration
        && (time_t) rf->creds.expiration
           <= now + 2 * NGX_HTTP_CHATCOMPLETIONS_VALID_MARGIN)
    {
        name = ngx_http_chatcompletions_source_name(rf->source);

        if ((time_t) rf->creds.expiration > now) {
            (void) ngx_http_chatcompletions_reason(rf, "the set from %V "
                                   "expires in %T s, too soon to use (is "
                                   "the clock right?)", &name,
                                   (time_t) rf->creds.expiration - now);
        } else {
            (void) ngx_http_chatcompletions_reason(rf, "the set from %V "
                                   "expired %T s ago (is the clock right?)",
                                   &name,
                                   now - (time_t) rf->creds.expiration);
        }

        ok = 0;
    }

    sh = ngx_http_chatcompletions_zone(rf->ctx->request, &shpool);
    s = &sh->slots[rf->slot];

    ngx_shmtx_lock(&shpool->mutex);

    ngx_http_chatcompletions_store(rf, s, ok, now);

    tell = ok && s->logged != rf->source;
    if (tell) {
        s->logged = rf->source;
    }

    valid = s->akid_len && (s->expires == 0 || now < s->expires);

    (void) ngx_http_chatcompletions_expiry(until, s->expires);

    ngx_shmtx_unlock(&shpool->mutex);

    name = ngx_http_chatcompletions_source_name(rf->source);

    if (!rf->aborted) {
        ngx_http_chatcompletions_metric_refresh(rf->ctx->request, rf->source,
                                                ok);
    }

    if (ok) {
        /* the source once at notice; its rotations at info */
        level = tell ? NGX_LOG_NOTICE : NGX_LOG_INFO;

        ngx_log_error(level, rf->ctx->request->connection->log, 0,
                      "chat_completions: AWS credentials from %V%s, "
                      "valid %s", &name, tell ? "" : " refreshed", until);
        return;
    }

    if (rf->aborted) {
        return;
    }

    if (valid) {
        ngx_log_error(NGX_LOG_ERR, rf->ctx->request->connection->log, 0,
                      "chat_completions: cannot refresh the AWS credentials "
                      "from %V: %V; the current ones stay in use %s",
                      &name, &rf->reason, until);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rf->ctx->request->connection->log, 0,
                  "chat_completions: cannot get AWS credentials: %V",
                  &rf->reason);
}


/* with the zone locked */

static void
ngx_http_chatcompletions_store(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_slot_t *s, ngx_uint_t ok, time_t now)
{
    time_t      margin, life;
    ngx_uint_t  backoff;

    s->owner = 0;
    s->owner_until = 0;

    if (!ok) {
        if (rf->aborted) {
            /* not the source's failure */
            return;
        }

        s->failures++;

        backoff = (s->failures > 5) ? NGX_HTTP_CHATCOMPLETIONS_BACKOFF_MAX
                                    : ((ngx_uint_t) 1 << (s->failures - 1));

        if (backoff > NGX_HTTP_CHATCOMPLETIONS_BACKOFF_MAX) {
            backoff = NGX_HTTP_CHATCOMPLETIONS_BACKOFF_MAX;
        }

        s->retry_at = now + backoff;

        s->reason_len = ngx_min(rf->reason.len,
                                NGX_HTTP_CHATCOMPLETIONS_REASON_MAX);
        ngx_memcpy(s->reason, rf->reason.data, s->reason_len);

        return;
    }

    s->akid_len = rf->creds.access_key.len;
    ngx_memcpy(s->akid, rf->creds.access_key.data, s->akid_len);
    s->secret_len = rf->creds.secret_key.len;
    ngx_memcpy(s->secret, rf->creds.secret_key.data, s->secret_len);
    s->token_len = rf->creds.session_token.len;
    ngx_memcpy(s->token, rf->creds.session_token.data, s->token_len);

    s->expires = (time_t) rf->creds.expiration;
    s->source = rf->source;
    s->failures = 0;
    s->retry_at = 0;
    s->reason_len = 0;

    /*
     * Well before the expiry: 5 minutes, or a quarter of a short life,
     * and a little more at random so that gateways sharing a role do not
     * all refresh at once.
     */

    if (s->expires) {
        life = s->expires - now;
        margin = ngx_max(ngx_min(300, life / 4),
                         2 * NGX_HTTP_CHATCOMPLETIONS_VALID_MARGIN);

        s->refresh_at = s->expires - margin
                        - (margin >= 5 ? (time_t) (ngx_random() % (margin / 5))
                                       : 0);
    }
}


/* "until 2026-12-06T12:00:00Z", or "with no expiry" */

static u_char *
ngx_http_chatcompletions_expiry(u_char *buf, time_t t)
{
    ngx_tm_t  tm;

    if (t == 0) {
        return ngx_sprintf(buf, "with no expiry%Z");
    }

    ngx_gmtime(t, &tm);

    return ngx_sprintf(buf, "until %4d-%02d-%02dT%02d:%02d:%02dZ%Z",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                       tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
}


/* rf->reason, for the log and the 503: never a secret */

ngx_int_t
ngx_http_chatcompletions_reason(ngx_http_chatcompletions_refresh_t *rf,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    p = ngx_pnalloc(rf->ctx->request->pool,
                    NGX_HTTP_CHATCOMPLETIONS_REASON_MAX);
    if (p == NULL) {
        ngx_str_set(&rf->reason, "out of memory");
        return NGX_DECLINED;
    }

    va_start(args, fmt);
    rf->reason.len = ngx_vslprintf(p, p + NGX_HTTP_CHATCOMPLETIONS_REASON_MAX,
                                   fmt, args)
                     - p;
    va_end(args);

    rf->reason.data = p;

    return NGX_DECLINED;
}
