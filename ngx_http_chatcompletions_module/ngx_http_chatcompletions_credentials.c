
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "ngx_http_chatcompletions_chain.h"


/*
 * The credentials that sign Bedrock calls, in the order of AWS's SDKs:
 *
 *   1. the configuration's keys, or a Bedrock API key (directive or
 *      AWS_BEARER_TOKEN_BEDROCK), and the environment's keys: static, read
 *      by the worker for each call as before;
 *   2. the rest of the chain (web identity, a shared-file profile, the
 *      container endpoint, instance metadata: chain.c plans which, and
 *      fetches them), and a role assumed on top (chat_completions_
 *      assume_role): temporary, kept in a shared memory zone, one slot
 *      for the chain and one per role, for all workers.
 *
 * A slot is refreshed by one worker at a time (the slot's owner), from
 * the request that finds it due, while every worker keeps signing with
 * the set the slot holds until it expires.  A request that finds no valid
 * set waits (chat_completions_credentials_timeout), polling the slot,
 * then fails with 503 no_credentials saying what was tried.
 */


/* a set this close to its expiry signs nothing (chain.h) */

/* a worker that died while refreshing leaves the slot after this */
#define NGX_HTTP_CHATCOMPLETIONS_OWNER_MAX     60

/* how often a waiting request looks at the slot */
#define NGX_HTTP_CHATCOMPLETIONS_POLL          10


static ngx_int_t ngx_http_chatcompletions_static(
    ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_creds_t *creds);
static ngx_int_t ngx_http_chatcompletions_static_eval(ngx_http_request_t *r,
    ngx_http_chatcompletions_creds_t *creds);
static void ngx_http_chatcompletions_static_told(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_uint_t source);
static ngx_int_t ngx_http_chatcompletions_slot_get(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_uint_t slot,
    ngx_http_chatcompletions_creds_t *base,
    ngx_http_chatcompletions_creds_t *creds);
static ngx_int_t ngx_http_chatcompletions_copy(ngx_pool_t *pool,
    ngx_http_chatcompletions_slot_t *s,
    ngx_http_chatcompletions_creds_t *creds);
static ngx_int_t ngx_http_chatcompletions_wait(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_str_t *reason);
static void ngx_http_chatcompletions_wait_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_chatcompletions_no_credentials(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_str_t *reason);
static ngx_int_t ngx_http_chatcompletions_pass_env(ngx_conf_t *cf);


/* what the chain reads from the environment: workers keep it */
static char  *ngx_http_chatcompletions_env_names[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL",
    "HOME",
    NULL
};


/* chat_completions_assume_role arn [external_id=] [session_name=]
 * [duration=] */

char *
ngx_http_chatcompletions_assume_role(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    u_char                           *p;
    time_t                            d;
    ngx_str_t                        *value;
    ngx_uint_t                        i;
    ngx_http_chatcompletions_role_t  *role;

    if (cclcf->assume_role != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0 && cf->args->nelts == 2) {
        cclcf->assume_role = NULL;
        return NGX_CONF_OK;
    }

    /* arn:aws:iam::123456789012:role/name, and the other partitions */

    p = value[1].data;

    if (value[1].len < sizeof("arn:aws:iam::123456789012:role/x") - 1
        || ngx_strncmp(p, "arn:aws", 7) != 0
        || ngx_strstr(p, ":iam::") == NULL
        || ngx_strstr(p, ":role/") == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid role ARN \"%V\": it must look like "
                           "\"arn:aws:iam::123456789012:role/name\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    role = ngx_pcalloc(cf->pool, sizeof(ngx_http_chatcompletions_role_t));
    if (role == NULL) {
        return NGX_CONF_ERROR;
    }

    role->arn = value[1];

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "external_id=", 12) == 0
            && value[i].len > 12)
        {
            role->external_id.data = value[i].data + 12;
            role->external_id.len = value[i].len - 12;
            continue;
        }

        if (ngx_strncmp(value[i].data, "session_name=", 13) == 0
            && value[i].len > 13 && value[i].len <= 13 + 64)
        {
            role->session_name.data = value[i].data + 13;
            role->session_name.len = value[i].len - 13;
            continue;
        }

        if (ngx_strncmp(value[i].data, "duration=", 9) == 0) {
            ngx_str_t  s;

            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            d = ngx_parse_time(&s, 1);

            if (d == (time_t) NGX_ERROR || d < 900 || d > 43200) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid duration \"%V\": STS takes "
                                   "15m to 12h", &s);
                return NGX_CONF_ERROR;
            }

            role->duration = d;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    cclcf->assume_role = role;

    return NGX_CONF_OK;
}


/* a location's role gets its slot: one per distinct role */

char *
ngx_http_chatcompletions_merge_credentials(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf)
{
    ngx_uint_t                             i;
    ngx_http_chatcompletions_role_t       *role, **roles, **slot;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ngx_conf_merge_str_value(conf->credentials_location,
                             prev->credentials_location, "/_aws_credentials");
    ngx_conf_merge_msec_value(conf->credentials_timeout,
                              prev->credentials_timeout, 5000);
    ngx_conf_merge_ptr_value(conf->assume_role, prev->assume_role, NULL);

    if (conf->credentials_location.data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_credentials_location \"%V\" "
                           "must start with \"/\"",
                           &conf->credentials_location);
        return NGX_CONF_ERROR;
    }

    role = conf->assume_role;

    if (role == NULL || role->slot) {
        return NGX_CONF_OK;
    }

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_chatcompletions_module);

    roles = ccmcf->roles.elts;

    for (i = 0; i < ccmcf->roles.nelts; i++) {
        if (roles[i]->arn.len == role->arn.len
            && ngx_strncmp(roles[i]->arn.data, role->arn.data,
                           role->arn.len) == 0
            && roles[i]->external_id.len == role->external_id.len
            && ngx_strncmp(roles[i]->external_id.data,
                           role->external_id.data,
                           role->external_id.len) == 0
            && roles[i]->session_name.len == role->session_name.len
            && ngx_strncmp(roles[i]->session_name.data,
                           role->session_name.data,
                           role->session_name.len) == 0
            && roles[i]->duration == role->duration)
        {
            role->slot = roles[i]->slot;
            return NGX_CONF_OK;
        }
    }

    slot = ngx_array_push(&ccmcf->roles);
    if (slot == NULL) {
        return NGX_CONF_ERROR;
    }

    *slot = role;

    /* slot 0 is the chain's */
    role->slot = ccmcf->roles.nelts;

    return NGX_CONF_OK;
}


/* postconfiguration: the zone, and the environment the chain reads */

ngx_int_t
ngx_http_chatcompletions_credentials_init(ngx_conf_t *cf)
{
    size_t                                 size;
    ngx_str_t                              name;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_chatcompletions_module);

    if (ccmcf->ecs_endpoint.data == NULL) {
        ngx_str_set(&ccmcf->ecs_endpoint, "http://169.254.170.2");
    }

    size = sizeof(ngx_http_chatcompletions_shctx_t)
           + ccmcf->roles.nelts * sizeof(ngx_http_chatcompletions_slot_t)
           + 8 * ngx_pagesize;

    size = ngx_align(size, ngx_pagesize);

    ngx_str_set(&name, "chat_completions_credentials");

    ccmcf->creds_zone = ngx_shared_memory_add(cf, &name, size,
                                              &ngx_http_chatcompletions_module);
    if (ccmcf->creds_zone == NULL) {
        return NGX_ERROR;
    }

    ccmcf->creds_zone->init = ngx_http_chatcompletions_init_zone;
    ccmcf->creds_zone->data = ccmcf;

    if (ngx_http_chatcompletions_pass_env(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    ccmcf->layout = ngx_http_chatcompletions_layout(cf, ccmcf,
                                          ngx_http_chatcompletions_env_names);

    return NGX_OK;
}


/*
 * The region of the shared files' profile, for a configuration that sets
 * none (no directive, no AWS_REGION or AWS_DEFAULT_REGION), as the SDKs
 * take it; read once per configuration load.  Empty when there is none.
 */

ngx_int_t
ngx_http_chatcompletions_profile_region(ngx_conf_t *cf, ngx_str_t *region)
{
    cc_str_t                               name;
    ngx_str_t                              profile, files[2];
    cc_alloc_t                             alloc;
    cc_aws_profile_t                       prof;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_chatcompletions_module);

    if (!ccmcf->profile_read) {
        ccmcf->profile_read = 1;

        if (ngx_http_chatcompletions_profile_files(cf, cf->pool, cf->log,
                                                   &profile, files)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        alloc.alloc = ngx_http_chatcompletions_pool_alloc;
        alloc.data = cf->pool;

        name.data = profile.data;
        name.len = profile.len;

        if (cc_profile_find(&alloc, files[0].data, files[0].len,
                            files[1].data, files[1].len, &name, &prof)
            == CC_OK
            && prof.found)
        {
            ccmcf->profile_region.data = prof.region.data;
            ccmcf->profile_region.len = prof.region.len;
        }
    }

    *region = ccmcf->profile_region;

    return NGX_OK;
}


/*
 * Workers see only the environment the "env" directive names: the
 * variables of the chain are named here, as the SDKs read them, unless
 * the configuration names them already (its "env NAME=value" wins).
 */

static ngx_int_t
ngx_http_chatcompletions_pass_env(ngx_conf_t *cf)
{
    size_t            len;
    ngx_str_t        *var;
    ngx_uint_t        i, n;
    ngx_core_conf_t  *ccf;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    for (n = 0; ngx_http_chatcompletions_env_names[n]; n++) {

        len = ngx_strlen(ngx_http_chatcompletions_env_names[n]);
        var = ccf->env.elts;

        for (i = 0; i < ccf->env.nelts; i++) {
            if (var[i].len == len
                && ngx_strncmp(var[i].data,
                               ngx_http_chatcompletions_env_names[n], len)
                   == 0)
            {
                break;
            }
        }

        if (i < ccf->env.nelts) {
            continue;
        }

        var = ngx_array_push(&ccf->env);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->data = (u_char *) ngx_http_chatcompletions_env_names[n];
        var->len = len;
    }

    return NGX_OK;
}


/*
 * The credentials for a Bedrock call.  NGX_OK: in creds; NGX_AGAIN: a
 * refresh runs, the request waits (the wait timer wakes it); NGX_DECLINED:
 * none can be had, ctx->fault says why; NGX_ERROR.
 */

ngx_int_t
ngx_http_chatcompletions_credentials(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_creds_t *creds)
{
    ngx_int_t                             rc;
    ngx_http_chatcompletions_creds_t      base;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    ngx_memzero(creds, sizeof(ngx_http_chatcompletions_creds_t));

    rc = ngx_http_chatcompletions_static(ctx, creds);

    if (rc == NGX_DECLINED) {
        rc = ngx_http_chatcompletions_slot_get(ctx, 0, NULL, creds);
    }

    if (rc == NGX_OK && cclcf->assume_role && creds->bearer.len == 0) {
        base = *creds;
        rc = ngx_http_chatcompletions_slot_get(ctx, cclcf->assume_role->slot,
                                               &base, creds);
    }

    switch (rc) {

    case NGX_OK:
        if (creds->source <= NGX_HTTP_CHATCOMPLETIONS_SRC_ENV) {
            /* the chain's sources are told by zone.c */
            ngx_http_chatcompletions_static_told(ctx, creds->source);
        }

        ngx_http_chatcompletions_credentials_cancel(ctx);
        ctx->creds_deadline = 0;
        ctx->creds_source = ngx_http_chatcompletions_source_name(
                                                             creds->source);
        return NGX_OK;

    case NGX_AGAIN:
        return ngx_http_chatcompletions_wait(ctx, NULL);

    case NGX_DECLINED:
        return NGX_DECLINED;

    default:
        return NGX_ERROR;
    }
}


/* the static credentials: NGX_DECLINED when there are none */

static ngx_int_t
ngx_http_chatcompletions_static(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_creds_t *creds)
{
    ngx_int_t            rc;
    ngx_uint_t           level;
    ngx_http_request_t  *r;

    r = ctx->request;

    /*
     * Credentials may come from variables, and nginx's script engine and
     * map module print the values they compute at debug level.
     */
    level = r->connection->log->log_level;
    r->connection->log->log_level &= ~(ngx_uint_t) NGX_LOG_DEBUG_ALL;

    rc = ngx_http_chatcompletions_static_eval(r, creds);

    r->connection->log->log_level = level;

    return rc;
}


/*
 * A static source is told once at notice, as the chain's are: once per
 * process without a lock, once for all workers through the zone.
 */

static void
ngx_http_chatcompletions_static_told(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_uint_t source)
{
    ngx_uint_t                         bit, tell;
    ngx_str_t                          name;
    ngx_slab_pool_t                   *shpool;
    ngx_http_chatcompletions_shctx_t  *sh;

    static ngx_uint_t  told;

    bit = (ngx_uint_t) 1 << source;

    if (told & bit) {
        return;
    }

    told |= bit;

    sh = ngx_http_chatcompletions_zone(ctx->request, &shpool);

    ngx_shmtx_lock(&shpool->mutex);

    tell = !(sh->static_told & bit);
    sh->static_told |= bit;

    ngx_shmtx_unlock(&shpool->mutex);

    if (tell) {
        name = ngx_http_chatcompletions_source_name(source);

        ngx_log_error(NGX_LOG_NOTICE, ctx->request->connection->log, 0,
                      "chat_completions: AWS credentials from %V", &name);
    }
}


static ngx_int_t
ngx_http_chatcompletions_static_eval(ngx_http_request_t *r,
    ngx_http_chatcompletions_creds_t *creds)
{
    ngx_str_t                             profile;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    /* the configuration wins over the environment; keys over an API key */

    if (cclcf->access_key_id) {
        if (ngx_http_complex_value(r, cclcf->access_key_id,
                                   &creds->access_key)
            != NGX_OK
            || ngx_http_complex_value(r, cclcf->secret_access_key,
                                      &creds->secret_key)
               != NGX_OK
            || (cclcf->session_token
                && ngx_http_complex_value(r, cclcf->session_token,
                                          &creds->session_token)
                   != NGX_OK))
        {
            return NGX_ERROR;
        }

        if (creds->access_key.len && creds->secret_key.len) {
            creds->source = NGX_HTTP_CHATCOMPLETIONS_SRC_CONFIG;
            return NGX_OK;
        }
    }

    if (cclcf->api_key) {
        if (ngx_http_complex_value(r, cclcf->api_key, &creds->bearer)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (creds->bearer.len) {
            creds->source = NGX_HTTP_CHATCOMPLETIONS_SRC_API_KEY;
            return NGX_OK;
        }
    }

    /* as the AWS SDKs do, a Bedrock API key in the environment wins */

    (void) ngx_http_chatcompletions_getenv("AWS_BEARER_TOKEN_BEDROCK",
                                           &creds->bearer);

    if (creds->bearer.len) {
        creds->source = NGX_HTTP_CHATCOMPLETIONS_SRC_API_KEY;
        return NGX_OK;
    }

    /*
     * AWS_PROFILE names the profile to use: the environment's keys are
     * then its source at most (credential_source = Environment), as in
     * AWS's JavaScript SDK
     */

    if (ngx_http_chatcompletions_getenv("AWS_PROFILE", &profile)) {
        ngx_memzero(creds, sizeof(ngx_http_chatcompletions_creds_t));
        return NGX_DECLINED;
    }

    (void) ngx_http_chatcompletions_getenv("AWS_ACCESS_KEY_ID",
                                           &creds->access_key);
    (void) ngx_http_chatcompletions_getenv("AWS_SECRET_ACCESS_KEY",
                                           &creds->secret_key);
    (void) ngx_http_chatcompletions_getenv("AWS_SESSION_TOKEN",
                                           &creds->session_token);

    if (creds->access_key.len && creds->secret_key.len) {
        creds->source = NGX_HTTP_CHATCOMPLETIONS_SRC_ENV;
        return NGX_OK;
    }

    ngx_memzero(creds, sizeof(ngx_http_chatcompletions_creds_t));

    return NGX_DECLINED;
}


/*
 * A slot's set, and its refresh when due: NGX_OK, NGX_AGAIN (a refresh
 * runs, here or in another worker), NGX_DECLINED (the last refresh
 * failed and none is valid: ctx->fault is set), NGX_ERROR.
 */

static ngx_int_t
ngx_http_chatcompletions_slot_get(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_uint_t slot, ngx_http_chatcompletions_creds_t *base,
    ngx_http_chatcompletions_creds_t *creds)
{
    time_t                                 now;
    ngx_int_t                              rc;
    ngx_str_t                              reason;
    ngx_uint_t                             valid, due, start, busy;
    ngx_slab_pool_t                       *shpool;
    ngx_http_chatcompletions_slot_t       *s;
    ngx_http_chatcompletions_shctx_t      *sh;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_get_module_main_conf(ctx->request,
                                          ngx_http_chatcompletions_module);

    shpool = (ngx_slab_pool_t *) ccmcf->creds_zone->shm.addr;
    sh = ccmcf->creds_zone->data;
    s = &sh->slots[slot];

    now = ngx_time();
    rc = NGX_OK;
    start = 0;
    ngx_str_null(&reason);

    ngx_shmtx_lock(&shpool->mutex);

    valid = s->akid_len
            && (s->expires == 0
                || now + NGX_HTTP_CHATCOMPLETIONS_VALID_MARGIN < s->expires);

    due = !valid || (s->expires && now >= s->refresh_at);

    busy = s->owner && now < s->owner_until;

    if (due && !busy && now >= s->retry_at
        && (ctx->refresh == NULL || ngx_http_chatcompletions_refresh_done(
                                                              ctx->refresh)))
    {
        s->owner = ngx_pid;
        s->owner_until = now + NGX_HTTP_CHATCOMPLETIONS_OWNER_MAX;
        start = 1;
    }

    if (valid) {
        rc = ngx_http_chatcompletions_copy(ctx->request->pool, s, creds);

    } else if (!start && !busy && s->reason_len) {
        reason.data = ngx_pnalloc(ctx->request->pool, s->reason_len);
        if (reason.data != NULL) {
            ngx_memcpy(reason.data, s->reason, s->reason_len);
            reason.len = s->reason_len;
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (start) {
        rc = ngx_http_chatcompletions_refresh_start(ctx, slot, base);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DONE && !valid) {
            /* it ended at once: the slot says how */
            return ngx_http_chatcompletions_slot_get(ctx, slot, base, creds);
        }
    }

    if (valid) {
        return NGX_OK;
    }

    if (start || busy) {
        return NGX_AGAIN;
    }

    return ngx_http_chatcompletions_no_credentials(ctx, &reason);
}


static ngx_int_t
ngx_http_chatcompletions_copy(ngx_pool_t *pool,
    ngx_http_chatcompletions_slot_t *s,
    ngx_http_chatcompletions_creds_t *creds)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->akid_len + s->secret_len + s->token_len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    creds->access_key.data = p;
    creds->access_key.len = s->akid_len;
    p = ngx_cpymem(p, s->akid, s->akid_len);

    creds->secret_key.data = p;
    creds->secret_key.len = s->secret_len;
    p = ngx_cpymem(p, s->secret, s->secret_len);

    creds->session_token.data = p;
    creds->session_token.len = s->token_len;
    ngx_memcpy(p, s->token, s->token_len);

    ngx_str_null(&creds->bearer);

    creds->source = s->source;

    return NGX_OK;
}


/* NGX_AGAIN while the request may wait; then the 503 */

static ngx_int_t
ngx_http_chatcompletions_wait(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_str_t *reason)
{
    ngx_str_t                             why;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    if (ctx->creds_deadline == 0) {
        ctx->creds_deadline = ngx_current_msec + cclcf->credentials_timeout;

    } else if ((ngx_msec_int_t) (ngx_current_msec - ctx->creds_deadline)
               >= 0)
    {
        /* a refresh of this request's own ends now, as failed */
        ngx_http_chatcompletions_refresh_stop(ctx);

        /* logged by no_credentials() */
        ngx_str_set(&why, "they were not obtained in time "
                          "(chat_completions_credentials_timeout)");

        return ngx_http_chatcompletions_no_credentials(ctx,
                                                      reason ? reason : &why);
    }

    ctx->creds_wait.handler = ngx_http_chatcompletions_wait_handler;
    ctx->creds_wait.data = ctx;
    ctx->creds_wait.log = ctx->request->connection->log;
    ctx->creds_wait.cancelable = 1;

    if (!ctx->creds_wait.timer_set) {
        ngx_add_timer(&ctx->creds_wait, NGX_HTTP_CHATCOMPLETIONS_POLL);
    }

    return NGX_AGAIN;
}


/* the request looks again: ngx_http_chatcompletions_wake() */

static void
ngx_http_chatcompletions_wait_handler(ngx_event_t *ev)
{
    ngx_http_request_t              *r;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->request;

    if (ctx->state != NGX_HTTP_CHATCOMPLETIONS_CREDENTIALS) {
        return;
    }

    (void) ngx_http_post_request(r, NULL);

    ngx_http_run_posted_requests(r->connection);
}


static ngx_int_t
ngx_http_chatcompletions_no_credentials(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_str_t *reason)
{
    u_char  *p, *msg;
    size_t   len;

    len = sizeof("No AWS credentials could be obtained for Amazon Bedrock: "
                 ".") - 1 + reason->len;

    msg = ngx_pnalloc(ctx->request->pool, len);
    if (msg == NULL) {
        return NGX_ERROR;
    }

    if (reason->len) {
        p = ngx_sprintf(msg, "No AWS credentials could be obtained for "
                             "Amazon Bedrock: %V.", reason);

    } else {
        p = ngx_sprintf(msg, "No AWS credentials could be obtained for "
                             "Amazon Bedrock.");
    }

    ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                  "chat_completions: no AWS credentials for Bedrock: %V",
                  reason);

    ngx_http_chatcompletions_set_fault(ctx,
                                 NGX_HTTP_CHATCOMPLETIONS_FAULT_UNREACHABLE,
                                 "server_error", "no_credentials",
                                 msg, p - msg);

    ctx->bedrock_status = NGX_HTTP_SERVICE_UNAVAILABLE;

    return NGX_DECLINED;
}


/* the request ends: its wait, and a refresh of its own, end too */

void
ngx_http_chatcompletions_credentials_cancel(
    ngx_http_chatcompletions_ctx_t *ctx)
{
    if (ctx->creds_wait.timer_set) {
        ngx_del_timer(&ctx->creds_wait);
    }
}
