
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "ngx_http_chatcompletions_chain.h"
#include "cc_awscreds.h"
#include "cc_sigv4.h"


/*
 * The refresh of a slot: a plan (which source of the chain, and the steps
 * that fetch from it), then its steps, each a background subrequest to
 * the credentials location (chat_completions_credentials_location) whose
 * answer the body filter hands to ngx_http_chatcompletions_fetch_body(),
 * and the result stored in the slot for every worker.
 *
 *   web identity       POST STS AssumeRoleWithWebIdentity (token file
 *                      read at each refresh)
 *   profile            its keys, or AssumeRole with its source's
 *                      credentials (source_profile, credential_source,
 *                      web_identity_token_file)
 *   container          GET the container endpoint (authorization token
 *                      file read at each refresh)
 *   instance metadata  PUT the IMDSv2 token (kept in the zone until its
 *                      TTL), GET the role, GET its credentials
 *   assumed role       POST STS AssumeRole signed with the set below it
 */


#define NGX_HTTP_CHATCOMPLETIONS_STEPS        12

/* a refresh that failed is not tried again before this, growing */
#define NGX_HTTP_CHATCOMPLETIONS_BACKOFF_MAX  30
#define NGX_HTTP_CHATCOMPLETIONS_FETCH_MAX    65536
#define NGX_HTTP_CHATCOMPLETIONS_IMDS_TTL     21600
#define NGX_HTTP_CHATCOMPLETIONS_PROFILE_DEPTH  4


typedef enum {
    NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_TOKEN = 0,
    NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE,
    NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_CREDS,
    NGX_HTTP_CHATCOMPLETIONS_STEP_CONTAINER,
    NGX_HTTP_CHATCOMPLETIONS_STEP_WEB_IDENTITY,
    NGX_HTTP_CHATCOMPLETIONS_STEP_ASSUME_ROLE
} ngx_http_chatcompletions_step_e;


typedef struct {
    ngx_http_chatcompletions_step_e   kind;
    ngx_str_t                         url;          /* container */
    ngx_str_t                         role_arn;
    ngx_str_t                         session_name;
    ngx_str_t                         external_id;
    ngx_str_t                         token_file;   /* web identity */
    int64_t                           duration;
} ngx_http_chatcompletions_step_t;


struct ngx_http_chatcompletions_refresh_s {
    ngx_http_chatcompletions_ctx_t   *ctx;
    ngx_uint_t                        slot;
    ngx_uint_t                        source;

    ngx_http_chatcompletions_step_t   steps[NGX_HTTP_CHATCOMPLETIONS_STEPS];
    ngx_uint_t                        nsteps;
    ngx_uint_t                        cur;

    /* the set so far: a static base, or what the last step fetched */
    cc_aws_creds_t                    creds;

    ngx_str_t                         imds;         /* its endpoint */
    ngx_str_t                         imds_token;
    ngx_str_t                         imds_role;
    ngx_str_t                         skipped;      /* not configured */
    ngx_str_t                         reason;       /* why it failed */

    /* the fetch that runs */
    ngx_http_request_t               *sr;
    ngx_str_t                         url;
    ngx_str_t                         host;
    ngx_uint_t                        status;
    cc_buf_t                          body;

    unsigned                          imds_retried:1;
    unsigned                          aborted:1;    /* not the source's */
    unsigned                          truncated:1;
    unsigned                          settled:1;
    unsigned                          finished:1;
};


static ngx_int_t ngx_http_chatcompletions_plan(
    ngx_http_chatcompletions_refresh_t *rf);
static ngx_int_t ngx_http_chatcompletions_plan_profile(
    ngx_http_chatcompletions_refresh_t *rf, ngx_str_t *files,
    cc_str_t *name, cc_aws_profile_t *p, ngx_uint_t depth);
static ngx_int_t ngx_http_chatcompletions_plan_container(
    ngx_http_chatcompletions_refresh_t *rf);
static ngx_int_t ngx_http_chatcompletions_plan_imds(
    ngx_http_chatcompletions_refresh_t *rf);
static ngx_http_chatcompletions_step_t *ngx_http_chatcompletions_step_add(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_e kind);
static ngx_int_t ngx_http_chatcompletions_next_step(
    ngx_http_chatcompletions_refresh_t *rf);
static ngx_int_t ngx_http_chatcompletions_step_request(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st);
static ngx_int_t ngx_http_chatcompletions_sts_request(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st);
static ngx_int_t ngx_http_chatcompletions_step_result(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st);
static ngx_int_t ngx_http_chatcompletions_fetch(
    ngx_http_chatcompletions_refresh_t *rf, ngx_uint_t method,
    ngx_str_t *url, ngx_table_elt_t *headers, ngx_uint_t nheaders,
    ngx_str_t *body, char *type);
static ngx_int_t ngx_http_chatcompletions_fetch_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_chatcompletions_finish(
    ngx_http_chatcompletions_refresh_t *rf, ngx_uint_t ok);
static void ngx_http_chatcompletions_store(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_slot_t *s, ngx_uint_t ok, time_t now);
static void ngx_http_chatcompletions_refresh_cleanup(void *data);
static ngx_int_t ngx_http_chatcompletions_reason(
    ngx_http_chatcompletions_refresh_t *rf, const char *fmt, ...);
static u_char *ngx_http_chatcompletions_expiry(u_char *buf, time_t t);
static ngx_int_t ngx_http_chatcompletions_skip(
    ngx_http_chatcompletions_refresh_t *rf, const char *what);
static ngx_int_t ngx_http_chatcompletions_getenv(const char *name,
    ngx_str_t *value);
static ngx_int_t ngx_http_chatcompletions_read_token(
    ngx_http_chatcompletions_refresh_t *rf, ngx_str_t *path,
    ngx_str_t *token);
static ngx_int_t ngx_http_chatcompletions_split_url(ngx_str_t *url,
    ngx_str_t *host);
static void ngx_http_chatcompletions_trim(ngx_str_t *s);
static ngx_http_chatcompletions_shctx_t *ngx_http_chatcompletions_zone(
    ngx_http_chatcompletions_refresh_t *rf, ngx_slab_pool_t **shpool);


static ngx_str_t  ngx_http_chatcompletions_source_names[] = {
    ngx_string(""),
    ngx_string("configuration"),
    ngx_string("api_key"),
    ngx_string("environment"),
    ngx_string("web_identity"),
    ngx_string("profile"),
    ngx_string("container"),
    ngx_string("instance_metadata"),

    ngx_string(""),
    ngx_string("configuration+assume_role"),
    ngx_string("api_key"),
    ngx_string("environment+assume_role"),
    ngx_string("web_identity+assume_role"),
    ngx_string("profile+assume_role"),
    ngx_string("container+assume_role"),
    ngx_string("instance_metadata+assume_role")
};


ngx_str_t
ngx_http_chatcompletions_source_name(ngx_uint_t source)
{
    ngx_uint_t  i;

    i = source & 0x0f;

    if (i > NGX_HTTP_CHATCOMPLETIONS_SRC_IMDS) {
        i = 0;
    }

    if (source & NGX_HTTP_CHATCOMPLETIONS_SRC_ASSUMED) {
        i += 8;
    }

    return ngx_http_chatcompletions_source_names[i];
}


ngx_int_t
ngx_http_chatcompletions_refresh_start(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_uint_t slot, ngx_http_chatcompletions_creds_t *base)
{
    ngx_int_t                             rc;
    ngx_pool_cleanup_t                   *cln;
    ngx_http_chatcompletions_step_t      *st;
    ngx_http_chatcompletions_role_t      *role;
    ngx_http_chatcompletions_refresh_t   *rf;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    rf = ngx_pcalloc(ctx->request->pool,
                     sizeof(ngx_http_chatcompletions_refresh_t));
    if (rf == NULL) {
        goto failed;
    }

    cln = ngx_pool_cleanup_add(ctx->request->pool, 0);
    if (cln == NULL) {
        goto failed;
    }

    rf->ctx = ctx;
    rf->slot = slot;
    rf->body.min = 1024;

    cln->handler = ngx_http_chatcompletions_refresh_cleanup;
    cln->data = rf;

    ctx->refresh = rf;

    if (slot == 0) {
        rc = ngx_http_chatcompletions_plan(rf);

    } else {
        /* a role on top of the set that signs its AssumeRole */

        cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                             ngx_http_chatcompletions_module);
        role = cclcf->assume_role;

        rf->source = base->source | NGX_HTTP_CHATCOMPLETIONS_SRC_ASSUMED;
        rf->creds.access_key.data = base->access_key.data;
        rf->creds.access_key.len = base->access_key.len;
        rf->creds.secret_key.data = base->secret_key.data;
        rf->creds.secret_key.len = base->secret_key.len;
        rf->creds.session_token.data = base->session_token.data;
        rf->creds.session_token.len = base->session_token.len;

        st = ngx_http_chatcompletions_step_add(rf,
                                   NGX_HTTP_CHATCOMPLETIONS_STEP_ASSUME_ROLE);
        if (st == NULL) {
            goto failed;
        }

        st->role_arn = role->arn;
        st->session_name = role->session_name;
        st->external_id = role->external_id;
        st->duration = role->duration;

        rc = NGX_OK;
    }

    if (rc == NGX_ERROR) {
        goto failed;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_chatcompletions_finish(rf, 0);
        return NGX_DONE;
    }

    rc = ngx_http_chatcompletions_next_step(rf);

    if (rc == NGX_ERROR) {
        goto failed;
    }

    return rf->finished ? NGX_DONE : NGX_OK;

failed:

    if (rf) {
        (void) ngx_http_chatcompletions_reason(rf, "internal error");
        ngx_http_chatcompletions_finish(rf, 0);
        return NGX_DONE;
    }

    return NGX_ERROR;
}


ngx_uint_t
ngx_http_chatcompletions_refresh_done(ngx_http_chatcompletions_refresh_t *rf)
{
    return rf->finished;
}


/* the request no longer waits: a fetch of its own ends, as failed */

void
ngx_http_chatcompletions_refresh_stop(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_http_chatcompletions_refresh_t  *rf;

    rf = ctx->refresh;

    if (rf == NULL || rf->finished) {
        return;
    }

    if (rf->sr && !rf->settled) {
        (void) ngx_http_chatcompletions_stop_upstream(rf->sr, 1);
    }

    if (!rf->finished) {
        (void) ngx_http_chatcompletions_reason(rf, "timed out");
        ngx_http_chatcompletions_finish(rf, 0);
    }
}


/* ------------------------------------------------------------ the plan */


static ngx_int_t
ngx_http_chatcompletions_plan(ngx_http_chatcompletions_refresh_t *rf)
{
    u_char                           *p;
    ngx_int_t                         rc;
    ngx_uint_t                        i;
    ngx_str_t                         file, role, session, profile, home;
    ngx_str_t                         files[2];
    cc_str_t                          name;
    cc_aws_profile_t                  prof;
    ngx_http_chatcompletions_step_t  *st;

    /* web identity: EKS IRSA and any OIDC provider */

    if (ngx_http_chatcompletions_getenv("AWS_WEB_IDENTITY_TOKEN_FILE", &file)
        && ngx_http_chatcompletions_getenv("AWS_ROLE_ARN", &role))
    {
        rf->source = NGX_HTTP_CHATCOMPLETIONS_SRC_WEB_IDENTITY;

        st = ngx_http_chatcompletions_step_add(rf,
                                  NGX_HTTP_CHATCOMPLETIONS_STEP_WEB_IDENTITY);
        if (st == NULL) {
            return NGX_ERROR;
        }

        st->token_file = file;
        st->role_arn = role;

        if (ngx_http_chatcompletions_getenv("AWS_ROLE_SESSION_NAME",
                                            &session))
        {
            st->session_name = session;
        }

        return NGX_OK;
    }

    if (ngx_http_chatcompletions_skip(rf, "environment, web identity")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the shared files */

    if (!ngx_http_chatcompletions_getenv("AWS_PROFILE", &profile)) {
        ngx_str_set(&profile, "default");
    }

    home.len = 0;
    (void) ngx_http_chatcompletions_getenv("HOME", &home);

    if (!ngx_http_chatcompletions_getenv("AWS_SHARED_CREDENTIALS_FILE",
                                         &files[0]))
    {
        p = ngx_pnalloc(rf->ctx->request->pool,
                        home.len + sizeof("/.aws/credentials"));
        if (p == NULL) {
            return NGX_ERROR;
        }

        files[0].data = p;
        files[0].len = ngx_sprintf(p, "%V/.aws/credentials%Z", &home) - p - 1;
    }

    if (!ngx_http_chatcompletions_getenv("AWS_CONFIG_FILE", &files[1])) {
        p = ngx_pnalloc(rf->ctx->request->pool,
                        home.len + sizeof("/.aws/config"));
        if (p == NULL) {
            return NGX_ERROR;
        }

        files[1].data = p;
        files[1].len = ngx_sprintf(p, "%V/.aws/config%Z", &home) - p - 1;
    }

    for (i = 0; i < 2; i++) {
        ngx_str_null(&file);

        /* a missing file holds no profile */
        if (ngx_http_chatcompletions_read_small_file(rf->ctx->request->pool,
                                          rf->ctx->request->connection->log,
                                          files[i].data, &file)
            == NGX_ERROR)
        {
            return NGX_ERROR;
        }

        files[i] = file;
    }

    name.data = profile.data;
    name.len = profile.len;

    if (cc_profile_find(&rf->ctx->alloc, files[0].data, files[0].len,
                        files[1].data, files[1].len, &name, &prof)
        != CC_OK)
    {
        return ngx_http_chatcompletions_reason(rf, "profile \"%V\": the "
                                             "shared files cannot be read",
                                             &profile);
    }

    if (prof.found) {
        rf->source = NGX_HTTP_CHATCOMPLETIONS_SRC_PROFILE;
        return ngx_http_chatcompletions_plan_profile(rf, files, &name, &prof,
                                                     0);
    }

    if (getenv("AWS_PROFILE") != NULL) {
        return ngx_http_chatcompletions_reason(rf, "profile \"%V\" "
                                               "(AWS_PROFILE) is in neither "
                                               "shared file", &profile);
    }

    if (ngx_http_chatcompletions_skip(rf, "profile \"default\"") != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_chatcompletions_plan_container(rf);

    if (rc != NGX_DECLINED) {
        if (rc == NGX_OK) {
            rf->source = NGX_HTTP_CHATCOMPLETIONS_SRC_CONTAINER;
        }

        return rc;
    }

    if (ngx_http_chatcompletions_skip(rf, "container") != NGX_OK) {
        return NGX_ERROR;
    }

    rf->source = NGX_HTTP_CHATCOMPLETIONS_SRC_IMDS;

    return ngx_http_chatcompletions_plan_imds(rf);
}


static ngx_int_t
ngx_http_chatcompletions_plan_profile(ngx_http_chatcompletions_refresh_t *rf,
    ngx_str_t *files, cc_str_t *name, cc_aws_profile_t *p, ngx_uint_t depth)
{
    ngx_int_t                         rc;
    ngx_str_t                         n;
    cc_aws_profile_t                  src;
    ngx_http_chatcompletions_step_t  *st;

    n.data = name->data;
    n.len = name->len;

    if (p->role_arn.data == NULL) {
        if (p->access_key.len == 0 || p->secret_key.len == 0) {
            return ngx_http_chatcompletions_reason(rf, "profile \"%V\" has "
                                                 "neither keys nor a "
                                                 "role_arn", &n);
        }

        rf->creds.access_key = p->access_key;
        rf->creds.secret_key = p->secret_key;
        rf->creds.session_token = p->session_token;
        rf->creds.expiration = 0;

        return NGX_OK;
    }

    if (depth == NGX_HTTP_CHATCOMPLETIONS_PROFILE_DEPTH) {
        return ngx_http_chatcompletions_reason(rf, "profile \"%V\": its "
                                             "source_profile chain is too "
                                             "long", &n);
    }

    if (p->web_identity_token_file.len) {
        st = ngx_http_chatcompletions_step_add(rf,
                                  NGX_HTTP_CHATCOMPLETIONS_STEP_WEB_IDENTITY);
        if (st == NULL) {
            return NGX_ERROR;
        }

        st->token_file.data = p->web_identity_token_file.data;
        st->token_file.len = p->web_identity_token_file.len;
        st->role_arn.data = p->role_arn.data;
        st->role_arn.len = p->role_arn.len;
        st->session_name.data = p->role_session_name.data;
        st->session_name.len = p->role_session_name.len;

        return NGX_OK;
    }

    if (p->source_profile.len) {

        if (cc_str_cmp(&p->source_profile, name) == 0
            && p->access_key.len && p->secret_key.len)
        {
            /* a profile may assume its role with its own keys */
            rf->creds.access_key = p->access_key;
            rf->creds.secret_key = p->secret_key;
            rf->creds.session_token = p->session_token;

        } else {
            if (cc_profile_find(&rf->ctx->alloc, files[0].data, files[0].len,
                                files[1].data, files[1].len,
                                &p->source_profile, &src)
                != CC_OK || !src.found)
            {
                n.data = p->source_profile.data;
                n.len = p->source_profile.len;

                return ngx_http_chatcompletions_reason(rf, "source_profile "
                                                     "\"%V\" is in neither "
                                                     "shared file", &n);
            }

            rc = ngx_http_chatcompletions_plan_profile(rf, files,
                                                       &p->source_profile,
                                                       &src, depth + 1);
            if (rc != NGX_OK) {
                return rc;
            }
        }

    } else if (cc_str_eq(&p->credential_source, "Environment")) {

        if (!ngx_http_chatcompletions_getenv("AWS_ACCESS_KEY_ID",
                                   (ngx_str_t *) &rf->creds.access_key)
            || !ngx_http_chatcompletions_getenv("AWS_SECRET_ACCESS_KEY",
                                   (ngx_str_t *) &rf->creds.secret_key))
        {
            return ngx_http_chatcompletions_reason(rf, "profile \"%V\": "
                                                 "credential_source "
                                                 "Environment, and no keys "
                                                 "in the environment", &n);
        }

        (void) ngx_http_chatcompletions_getenv("AWS_SESSION_TOKEN",
                                   (ngx_str_t *) &rf->creds.session_token);

    } else if (cc_str_eq(&p->credential_source, "Ec2InstanceMetadata")) {

        rc = ngx_http_chatcompletions_plan_imds(rf);
        if (rc != NGX_OK) {
            return rc;
        }

    } else if (cc_str_eq(&p->credential_source, "EcsContainer")) {

        rc = ngx_http_chatcompletions_plan_container(rf);

        if (rc == NGX_DECLINED) {
            return ngx_http_chatcompletions_reason(rf, "profile \"%V\": "
                                                 "credential_source "
                                                 "EcsContainer, and no "
                                                 "container endpoint", &n);
        }

        if (rc != NGX_OK) {
            return rc;
        }

    } else {
        return ngx_http_chatcompletions_reason(rf, "profile \"%V\" has a "
                                             "role_arn without a usable "
                                             "source_profile or "
                                             "credential_source", &n);
    }

    st = ngx_http_chatcompletions_step_add(rf,
                                   NGX_HTTP_CHATCOMPLETIONS_STEP_ASSUME_ROLE);
    if (st == NULL) {
        return NGX_ERROR;
    }

    st->role_arn.data = p->role_arn.data;
    st->role_arn.len = p->role_arn.len;
    st->session_name.data = p->role_session_name.data;
    st->session_name.len = p->role_session_name.len;
    st->external_id.data = p->external_id.data;
    st->external_id.len = p->external_id.len;
    st->duration = p->duration_seconds;

    return NGX_OK;
}


/* NGX_DECLINED: no container endpoint is configured */

static ngx_int_t
ngx_http_chatcompletions_plan_container(ngx_http_chatcompletions_refresh_t *rf)
{
    u_char                                *p;
    ngx_str_t                              rel, full, host;
    ngx_http_chatcompletions_step_t       *st;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_get_module_main_conf(rf->ctx->request,
                                          ngx_http_chatcompletions_module);

    if (ngx_http_chatcompletions_getenv(
                              "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", &rel))
    {
        p = ngx_pnalloc(rf->ctx->request->pool,
                        ccmcf->ecs_endpoint.len + rel.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        full.data = p;
        full.len = ngx_sprintf(p, "%V%V", &ccmcf->ecs_endpoint, &rel) - p;

    } else if (ngx_http_chatcompletions_getenv(
                                  "AWS_CONTAINER_CREDENTIALS_FULL_URI", &full))
    {
        if (ngx_http_chatcompletions_split_url(&full, &host) != NGX_OK) {
            return ngx_http_chatcompletions_reason(rf, "container: "
                                     "AWS_CONTAINER_CREDENTIALS_FULL_URI is "
                                     "not an http(s) URL");
        }

        /* as the SDKs: plain http only to the container or loopback hosts */

        if (full.len > 7 && ngx_strncmp(full.data, "http://", 7) == 0
            && !(ngx_strncmp(host.data, "127.", 4) == 0
                 || (host.len >= 9
                     && ngx_strncmp(host.data, "localhost", 9) == 0)
                 || (host.len >= 5 && ngx_strncmp(host.data, "[::1]", 5) == 0)
                 || (host.len >= 12
                     && ngx_strncmp(host.data, "169.254.170.", 12) == 0
                     && (host.len == 13 || host.data[13] == ':'
                         || (host.len >= 14 && host.data[12] == '2'
                             && host.data[13] == '3'
                             && (host.len == 14 || host.data[14] == ':'))))))
        {
            return ngx_http_chatcompletions_reason(rf, "container: "
                                     "AWS_CONTAINER_CREDENTIALS_FULL_URI "
                                     "over http must name a loopback or "
                                     "container host");
        }

    } else {
        return NGX_DECLINED;
    }

    st = ngx_http_chatcompletions_step_add(rf,
                                     NGX_HTTP_CHATCOMPLETIONS_STEP_CONTAINER);
    if (st == NULL) {
        return NGX_ERROR;
    }

    st->url = full;

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_plan_imds(ngx_http_chatcompletions_refresh_t *rf)
{
    ngx_str_t  v;

    if (ngx_http_chatcompletions_getenv("AWS_EC2_METADATA_DISABLED", &v)
        && v.len == 4 && ngx_strncasecmp(v.data, (u_char *) "true", 4) == 0)
    {
        return ngx_http_chatcompletions_reason(rf, "no source is configured "
                                             "(%V; instance metadata is "
                                             "disabled by "
                                             "AWS_EC2_METADATA_DISABLED)",
                                             &rf->skipped);
    }

    if (!ngx_http_chatcompletions_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                         &rf->imds))
    {
        ngx_str_set(&rf->imds, "http://169.254.169.254");
    }

    while (rf->imds.len && rf->imds.data[rf->imds.len - 1] == '/') {
        rf->imds.len--;
    }

    if (ngx_http_chatcompletions_step_add(rf,
                                  NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_TOKEN)
           == NULL
        || ngx_http_chatcompletions_step_add(rf,
                                  NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE)
           == NULL
        || ngx_http_chatcompletions_step_add(rf,
                                  NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_CREDS)
           == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_http_chatcompletions_step_t *
ngx_http_chatcompletions_step_add(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_e kind)
{
    ngx_http_chatcompletions_step_t  *st;

    if (rf->nsteps == NGX_HTTP_CHATCOMPLETIONS_STEPS) {
        return NULL;
    }

    st = &rf->steps[rf->nsteps++];
    st->kind = kind;

    return st;
}


/* ----------------------------------------------------------- the steps */


/* the steps go on until one fetches; NGX_ERROR only if nothing can end */

static ngx_int_t
ngx_http_chatcompletions_next_step(ngx_http_chatcompletions_refresh_t *rf)
{
    ngx_int_t  rc;

    while (rf->cur < rf->nsteps) {

        rc = ngx_http_chatcompletions_step_request(rf, &rf->steps[rf->cur]);

        if (rc == NGX_OK) {
            /* a fetch runs */
            return NGX_OK;
        }

        if (rc == NGX_DONE) {
            rf->cur++;
            continue;
        }

        if (rc == NGX_ERROR) {
            (void) ngx_http_chatcompletions_reason(rf, "internal error");
        }

        ngx_http_chatcompletions_finish(rf, 0);
        return NGX_OK;
    }

    ngx_http_chatcompletions_finish(rf, 1);

    return NGX_OK;
}


/* NGX_OK: a fetch runs; NGX_DONE: nothing to fetch; NGX_DECLINED: failed */

static ngx_int_t
ngx_http_chatcompletions_step_request(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st)
{
    u_char                            *p;
    ngx_str_t                          url, token;
    ngx_slab_pool_t                   *shpool;
    ngx_table_elt_t                    h;
    ngx_http_chatcompletions_shctx_t  *sh;

    ngx_memzero(&h, sizeof(ngx_table_elt_t));

    switch (st->kind) {

    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_TOKEN:

        sh = ngx_http_chatcompletions_zone(rf, &shpool);

        ngx_shmtx_lock(&shpool->mutex);

        if (sh->imds_len && ngx_time() < sh->imds_until) {
            rf->imds_token.data = ngx_pnalloc(rf->ctx->request->pool,
                                              sh->imds_len);
            if (rf->imds_token.data) {
                ngx_memcpy(rf->imds_token.data, sh->imds_token,
                           sh->imds_len);
                rf->imds_token.len = sh->imds_len;
            }
        }

        ngx_shmtx_unlock(&shpool->mutex);

        if (rf->imds_token.len) {
            return NGX_DONE;
        }

        p = ngx_pnalloc(rf->ctx->request->pool,
                        rf->imds.len + sizeof("/latest/api/token") - 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        url.data = p;
        url.len = ngx_sprintf(p, "%V/latest/api/token", &rf->imds) - p;

        ngx_str_set(&h.key, "X-aws-ec2-metadata-token-ttl-seconds");
        ngx_str_set(&h.value, "21600");

        return ngx_http_chatcompletions_fetch(rf, NGX_HTTP_PUT, &url, &h, 1,
                                              NULL, NULL);

    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE:
    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_CREDS:

        p = ngx_pnalloc(rf->ctx->request->pool, rf->imds.len
                        + sizeof("/latest/meta-data/iam/security-credentials/")
                        - 1 + rf->imds_role.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        url.data = p;
        url.len = ngx_sprintf(p, "%V/latest/meta-data/iam/"
                              "security-credentials/%V", &rf->imds,
                              &rf->imds_role)
                  - p;

        ngx_str_set(&h.key, "X-aws-ec2-metadata-token");
        h.value = rf->imds_token;

        return ngx_http_chatcompletions_fetch(rf, NGX_HTTP_GET, &url, &h, 1,
                                              NULL, NULL);

    case NGX_HTTP_CHATCOMPLETIONS_STEP_CONTAINER:

        ngx_str_null(&token);

        if (ngx_http_chatcompletions_getenv(
                              "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &url))
        {
            /* it rotates: read at each refresh */
            if (ngx_http_chatcompletions_read_token(rf, &url, &token)
                != NGX_OK)
            {
                return NGX_DECLINED;
            }

        } else {
            (void) ngx_http_chatcompletions_getenv(
                                 "AWS_CONTAINER_AUTHORIZATION_TOKEN", &token);
        }

        if (ngx_strlchr(token.data, token.data + token.len, CR)
            || ngx_strlchr(token.data, token.data + token.len, LF))
        {
            return ngx_http_chatcompletions_reason(rf, "container: the "
                                                 "authorization token has a "
                                                 "line break");
        }

        ngx_str_set(&h.key, "Authorization");
        h.value = token;

        return ngx_http_chatcompletions_fetch(rf, NGX_HTTP_GET, &st->url, &h,
                                              token.len ? 1 : 0, NULL, NULL);

    default: /* STS */
        return ngx_http_chatcompletions_sts_request(rf, st);
    }
}


static ngx_int_t
ngx_http_chatcompletions_sts_request(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st)
{
    u_char                               *p;
    ngx_str_t                             url, host, body, token;
    ngx_table_elt_t                       h[3];
    cc_sts_call_t                         call;
    cc_sigv4_header_t                     sh[2];
    cc_sigv4_result_t                     res;
    cc_sigv4_request_t                    req;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(rf->ctx->request,
                                         ngx_http_chatcompletions_module);

    ngx_memzero(&call, sizeof(cc_sts_call_t));
    ngx_memzero(h, sizeof(h));

    if (st->session_name.len == 0) {
        p = ngx_pnalloc(rf->ctx->request->pool,
                        sizeof("nginx-chatcompletions-") + NGX_TIME_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        st->session_name.data = p;
        st->session_name.len = ngx_sprintf(p, "nginx-chatcompletions-%T",
                                           ngx_time())
                               - p;
    }

    call.role_arn.data = st->role_arn.data;
    call.role_arn.len = st->role_arn.len;
    call.session_name.data = st->session_name.data;
    call.session_name.len = st->session_name.len;
    call.duration = st->duration;

    if (st->kind == NGX_HTTP_CHATCOMPLETIONS_STEP_WEB_IDENTITY) {
        /* the token rotates: read at each refresh */
        if (ngx_http_chatcompletions_read_token(rf, &st->token_file, &token)
            != NGX_OK)
        {
            return NGX_DECLINED;
        }

        ngx_str_set(&call.action, "AssumeRoleWithWebIdentity");
        call.web_identity_token.data = token.data;
        call.web_identity_token.len = token.len;

    } else {
        ngx_str_set(&call.action, "AssumeRole");
        call.external_id.data = st->external_id.data;
        call.external_id.len = st->external_id.len;
    }

    if (cc_sts_body(&rf->ctx->alloc, &call, (cc_str_t *) &body) != CC_OK) {
        return NGX_ERROR;
    }

    if (!ngx_http_chatcompletions_getenv("AWS_ENDPOINT_URL_STS", &url)
        && !ngx_http_chatcompletions_getenv("AWS_ENDPOINT_URL", &url))
    {
        p = ngx_pnalloc(rf->ctx->request->pool,
                        sizeof("https://sts..amazonaws.com/")
                        + cclcf->region.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        url.data = p;
        url.len = ngx_sprintf(p, "https://sts.%V.amazonaws.com/",
                              &cclcf->region)
                  - p;

    } else if (url.data[url.len - 1] != '/') {
        p = ngx_pnalloc(rf->ctx->request->pool, url.len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        *ngx_cpymem(p, url.data, url.len) = '/';
        url.data = p;
        url.len++;
    }

    if (ngx_http_chatcompletions_split_url(&url, &host) != NGX_OK) {
        return ngx_http_chatcompletions_reason(rf, "the STS endpoint \"%V\" is "
                                             "not an http(s) URL", &url);
    }

    if (st->kind == NGX_HTTP_CHATCOMPLETIONS_STEP_WEB_IDENTITY) {
        return ngx_http_chatcompletions_fetch(rf, NGX_HTTP_POST, &url, h, 0,
                                              &body,
                                         "application/x-www-form-urlencoded");
    }

    /* AssumeRole is signed with the set below the role */

    ngx_memzero(&req, sizeof(cc_sigv4_request_t));
    ngx_memzero(&res, sizeof(cc_sigv4_result_t));

    sh[0].name.data = (u_char *) "content-type";
    sh[0].name.len = sizeof("content-type") - 1;
    sh[0].value.data = (u_char *) "application/x-www-form-urlencoded";
    sh[0].value.len = sizeof("application/x-www-form-urlencoded") - 1;
    sh[1].name.data = (u_char *) "host";
    sh[1].name.len = sizeof("host") - 1;
    sh[1].value.data = host.data;
    sh[1].value.len = host.len;

    ngx_str_set(&req.method, "POST");
    ngx_str_set(&req.path, "/");
    req.headers = sh;
    req.nheaders = 2;
    req.payload = body.data;
    req.payload_len = body.len;
    req.access_key = rf->creds.access_key;
    req.secret_key = rf->creds.secret_key;
    req.session_token = rf->creds.session_token;
    req.region.data = cclcf->region.data;
    req.region.len = cclcf->region.len;
    ngx_str_set(&req.service, "sts");
    req.now = ngx_time();

    if (cc_sigv4_sign(&rf->ctx->alloc, &req, &res) != CC_OK) {
        return ngx_http_chatcompletions_reason(rf, "STS AssumeRole: cannot "
                                             "sign: %s",
                                             res.err ? res.err : "error");
    }

    ngx_str_set(&h[0].key, "X-Amz-Date");
    h[0].value.data = ngx_pnalloc(rf->ctx->request->pool, 16);
    if (h[0].value.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(h[0].value.data, res.amz_date, 16);
    h[0].value.len = 16;

    ngx_str_set(&h[1].key, "Authorization");
    h[1].value.data = res.authorization.data;
    h[1].value.len = res.authorization.len;

    ngx_str_set(&h[2].key, "X-Amz-Security-Token");
    h[2].value.data = rf->creds.session_token.data;
    h[2].value.len = rf->creds.session_token.len;

    return ngx_http_chatcompletions_fetch(rf, NGX_HTTP_POST, &url, h,
                                          rf->creds.session_token.len ? 3 : 2,
                                          &body,
                                          "application/x-www-form-urlencoded");
}


/*
 * A fetch's answer: NGX_OK to go on with the next step, NGX_AGAIN with
 * rf->cur again, NGX_DECLINED when it failed, NGX_ERROR.
 */

static ngx_int_t
ngx_http_chatcompletions_step_result(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st)
{
    u_char           *p;
    char             *what;
    ngx_str_t         s;
    cc_str_t          code, msg;
    const char       *err;
    ngx_slab_pool_t  *shpool;
    ngx_http_chatcompletions_shctx_t  *sh;

    s.data = rf->body.data;
    s.len = rf->body.len;

    switch (st->kind) {

    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_TOKEN:

        ngx_http_chatcompletions_trim(&s);

        if (rf->status != NGX_HTTP_OK || s.len == 0
            || s.len > NGX_HTTP_CHATCOMPLETIONS_IMDS_MAX)
        {
            return ngx_http_chatcompletions_reason(rf, "instance metadata: the "
                                                 "token request answered %ui",
                                                 rf->status);
        }

        /* the body's buffer is the next fetch's */
        rf->imds_token.data = ngx_pstrdup(rf->ctx->request->pool, &s);
        if (rf->imds_token.data == NULL) {
            return NGX_ERROR;
        }

        rf->imds_token.len = s.len;

        sh = ngx_http_chatcompletions_zone(rf, &shpool);

        ngx_shmtx_lock(&shpool->mutex);

        ngx_memcpy(sh->imds_token, s.data, s.len);
        sh->imds_len = s.len;
        sh->imds_until = ngx_time() + NGX_HTTP_CHATCOMPLETIONS_IMDS_TTL - 60;

        ngx_shmtx_unlock(&shpool->mutex);

        return NGX_OK;

    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE:
    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_CREDS:

        what = (st->kind == NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE)
               ? "role" : "credentials";

        if (rf->status == NGX_HTTP_UNAUTHORIZED && !rf->imds_retried) {
            /* the kept token expired early: a new one, once */

            sh = ngx_http_chatcompletions_zone(rf, &shpool);

            ngx_shmtx_lock(&shpool->mutex);
            sh->imds_len = 0;
            ngx_shmtx_unlock(&shpool->mutex);

            rf->imds_retried = 1;
            ngx_str_null(&rf->imds_token);

            while (rf->steps[rf->cur].kind
                   != NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_TOKEN)
            {
                rf->cur--;
            }

            /* the steps go on from the token again */
            return NGX_AGAIN;
        }

        if (rf->status != NGX_HTTP_OK) {
            return ngx_http_chatcompletions_reason(rf, "instance metadata: "
                                                   "the %s request answered "
                                                   "%ui", what, rf->status);
        }

        if (st->kind == NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE) {
            /* the first line: the instance profile's role */
            p = ngx_strlchr(s.data, s.data + s.len, LF);
            if (p) {
                s.len = p - s.data;
            }

            ngx_http_chatcompletions_trim(&s);

            if (s.len == 0 || ngx_strlchr(s.data, s.data + s.len, '/')) {
                return ngx_http_chatcompletions_reason(rf, "instance "
                                                     "metadata: no role is "
                                                     "attached to the "
                                                     "instance");
            }

            rf->imds_role.data = ngx_pstrdup(rf->ctx->request->pool, &s);
            if (rf->imds_role.data == NULL) {
                return NGX_ERROR;
            }

            rf->imds_role.len = s.len;

            return NGX_OK;
        }

        /* fall through */

    case NGX_HTTP_CHATCOMPLETIONS_STEP_CONTAINER:

        what = (st->kind == NGX_HTTP_CHATCOMPLETIONS_STEP_CONTAINER)
               ? "container" : "instance metadata";

        if (rf->status != NGX_HTTP_OK) {
            return ngx_http_chatcompletions_reason(rf, "%s: the credentials "
                                                   "request answered %ui",
                                                   what, rf->status);
        }

        if (rf->truncated
            || cc_creds_parse_json(&rf->ctx->alloc, s.data, s.len,
                                   &rf->creds, &err)
               != CC_OK)
        {
            return ngx_http_chatcompletions_reason(rf, "%s: unusable "
                                                   "credentials: %s", what,
                                                   rf->truncated
                                                   ? "too large" : err);
        }

        return NGX_OK;

    default: /* STS */

        ngx_str_null(&code);
        ngx_str_null(&msg);

        if (rf->truncated
            || cc_sts_parse(&rf->ctx->alloc, s.data, s.len, &rf->creds,
                            &code, &msg)
               != CC_OK
            || rf->status != NGX_HTTP_OK)
        {
            if (rf->status != NGX_HTTP_OK && code.data == NULL) {
                ngx_str_set(&code, "no STS answer");
            }

            if (msg.len > 200) {
                msg.len = 200;
            }

            return ngx_http_chatcompletions_reason(rf, "STS %s answered %ui: "
                                                 "%V: %V",
                                                 st->kind
                                   == NGX_HTTP_CHATCOMPLETIONS_STEP_WEB_IDENTITY
                                                 ? "AssumeRoleWithWebIdentity"
                                                 : "AssumeRole",
                                                 rf->status, &code, &msg);
        }

        return NGX_OK;
    }
}


/* ---------------------------------------------------------- the fetches */


static ngx_int_t
ngx_http_chatcompletions_fetch(ngx_http_chatcompletions_refresh_t *rf,
    ngx_uint_t method, ngx_str_t *url, ngx_table_elt_t *headers,
    ngx_uint_t nheaders, ngx_str_t *body, char *type)
{
    ngx_uint_t                            i;
    ngx_http_request_t                   *r, *sr;
    ngx_http_post_subrequest_t           *ps;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    r = rf->ctx->request;
    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    if (ngx_http_chatcompletions_split_url(url, &rf->host) != NGX_OK) {
        return ngx_http_chatcompletions_reason(rf, "\"%V\" is not an http(s) "
                                             "URL", url);
    }

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_chatcompletions_fetch_done;
    ps->data = rf;

    rf->url = *url;
    rf->status = 0;
    rf->body.len = 0;
    rf->truncated = 0;
    rf->settled = 0;

    /* the request may end before its refresh: it runs in the background */

    if (ngx_http_chatcompletions_subrequest(r, &cclcf->credentials_location,
                                            ps, NGX_HTTP_SUBREQUEST_BACKGROUND,
                                            &sr)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rf->sr = sr;

    if (method == NGX_HTTP_PUT) {
        sr->method = NGX_HTTP_PUT;
        ngx_str_set(&sr->method_name, "PUT");

    } else if (method == NGX_HTTP_POST) {
        if (ngx_http_chatcompletions_post_body(sr, body->data, body->len,
                                               type)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    for (i = 0; i < nheaders; i++) {
        if (ngx_http_chatcompletions_add_input_header(sr,
                                                 (char *) headers[i].key.data,
                                                 headers[i].value.data,
                                                 headers[i].value.len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* its tokens never reach a debug log: see util.c */
    sr->write_event_handler = ngx_http_chatcompletions_run_masked;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "chatcompletions credentials: %V %V",
                   &sr->method_name, url);

    return NGX_OK;
}


ngx_http_chatcompletions_refresh_t *
ngx_http_chatcompletions_fetch_of(ngx_http_request_t *r)
{
    if (r != r->main && r->post_subrequest
        && r->post_subrequest->handler
           == ngx_http_chatcompletions_fetch_done)
    {
        return r->post_subrequest->data;
    }

    return NULL;
}


/*
 * $chat_completions_credentials_url: for "proxy_pass", whose Host header
 * and TLS server name ($proxy_host) are then the host signed
 */

ngx_str_t *
ngx_http_chatcompletions_fetch_url(ngx_http_chatcompletions_refresh_t *rf)
{
    return &rf->url;
}


ngx_http_chatcompletions_ctx_t *
ngx_http_chatcompletions_refresh_ctx(ngx_http_chatcompletions_refresh_t *rf)
{
    return rf->ctx;
}


ngx_int_t
ngx_http_chatcompletions_fetch_header(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_request_t *r)
{
    if (rf->sr == r) {
        rf->status = r->headers_out.status;
    }

    r->header_sent = 1;
    r->filter_need_in_memory = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_chatcompletions_fetch_body(ngx_http_chatcompletions_refresh_t *rf,
    ngx_chain_t *in)
{
    size_t        n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (!ngx_buf_in_memory(b)) {
            if (ngx_buf_size(b)) {
                rf->truncated = 1;
            }

            continue;
        }

        n = b->last - b->pos;

        if (rf->body.len + n > NGX_HTTP_CHATCOMPLETIONS_FETCH_MAX) {
            rf->truncated = 1;
            n = NGX_HTTP_CHATCOMPLETIONS_FETCH_MAX - rf->body.len;
        }

        if (n && !rf->settled
            && cc_buf_append(&rf->ctx->alloc, &rf->body, b->pos, n) != CC_OK)
        {
            return NGX_ERROR;
        }

        b->pos = b->last;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_fetch_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_chatcompletions_refresh_t *rf = data;

    ngx_http_chatcompletions_ctx_t  *ctx;

    if (rf->sr != sr || rf->settled || rf->finished) {
        return NGX_OK;
    }

    rf->settled = 1;
    ctx = rf->ctx;

    if (sr->connection->error || rc == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        /* the client went: another request takes the refresh up */
        rf->aborted = 1;
        ngx_http_chatcompletions_finish(rf, 0);

        return rc == NGX_HTTP_CLIENT_CLOSED_REQUEST ? rc : NGX_ERROR;
    }

    if (rf->status == 0) {
        rf->status = (rc >= NGX_HTTP_SPECIAL_RESPONSE)
                     ? (ngx_uint_t) rc : NGX_HTTP_BAD_GATEWAY;
    }

    if (rc == NGX_ERROR && rf->status < NGX_HTTP_SPECIAL_RESPONSE) {
        rf->status = NGX_HTTP_BAD_GATEWAY;
    }

    rc = ngx_http_chatcompletions_step_result(rf, &rf->steps[rf->cur]);

    if (rc == NGX_ERROR) {
        (void) ngx_http_chatcompletions_reason(rf, "internal error");
        rc = NGX_DECLINED;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_chatcompletions_finish(rf, 0);

    } else {
        if (rc == NGX_OK) {
            rf->cur++;
        }

        (void) ngx_http_chatcompletions_next_step(rf);
    }

    if (rf->finished && ctx->state == NGX_HTTP_CHATCOMPLETIONS_CREDENTIALS) {
        /* the request waits for this: ngx_http_chatcompletions_wake() */
        (void) ngx_http_post_request(ctx->request, NULL);
    }

    /* no special response of its own */
    return NGX_OK;
}


/* ----------------------------------------------------------- the end */


static void
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
    sh = ngx_http_chatcompletions_zone(rf, &shpool);
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


static void
ngx_http_chatcompletions_refresh_cleanup(void *data)
{
    ngx_http_chatcompletions_refresh_t *rf = data;

    if (rf->finished) {
        return;
    }

    /* the request ended with its refresh: the slot is free again */

    rf->aborted = 1;
    ngx_http_chatcompletions_finish(rf, 0);
}


/* ----------------------------------------------------------- helpers */


/* rf->reason, for the log and the 503: never a secret */

static ngx_int_t
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


/* the sources passed over, for the message when none is configured */

static ngx_int_t
ngx_http_chatcompletions_skip(ngx_http_chatcompletions_refresh_t *rf,
    const char *what)
{
    u_char  *p;
    size_t   len;

    len = rf->skipped.len + 2 + ngx_strlen(what);

    p = ngx_pnalloc(rf->ctx->request->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rf->skipped.len = rf->skipped.len
                      ? ngx_sprintf(p, "%V, %s", &rf->skipped, what) - p
                      : ngx_sprintf(p, "%s", what) - p;
    rf->skipped.data = p;

    return NGX_OK;
}


/* 1 when set and not empty */

static ngx_int_t
ngx_http_chatcompletions_getenv(const char *name, ngx_str_t *value)
{
    char  *v;

    v = getenv(name);

    if (v == NULL || *v == '\0') {
        return 0;
    }

    value->data = (u_char *) v;
    value->len = ngx_strlen(v);

    return 1;
}


static ngx_int_t
ngx_http_chatcompletions_read_token(ngx_http_chatcompletions_refresh_t *rf,
    ngx_str_t *path, ngx_str_t *token)
{
    u_char     *name;
    ngx_int_t   rc;
    ngx_err_t   err;

    name = ngx_pnalloc(rf->ctx->request->pool, path->len + 1);
    if (name == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(name, path->data, path->len + 1);

    rc = ngx_http_chatcompletions_read_small_file(rf->ctx->request->pool,
                                          rf->ctx->request->connection->log,
                                          name, token);

    if (rc == NGX_DECLINED) {
        err = ngx_errno;
        (void) ngx_http_chatcompletions_reason(rf, "the token file \"%V\" "
                                             "cannot be read (%d: %s)",
                                             path, err, strerror(err));
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_chatcompletions_trim(token);

    if (token->len == 0) {
        (void) ngx_http_chatcompletions_reason(rf, "the token file \"%V\" is "
                                             "empty", path);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the authority of an http(s) URL, without a default port */

static ngx_int_t
ngx_http_chatcompletions_split_url(ngx_str_t *url, ngx_str_t *host)
{
    u_char  *p, *last, *colon;
    size_t   skip;

    if (url->len > 8 && ngx_strncasecmp(url->data, (u_char *) "https://", 8)
                        == 0)
    {
        skip = 8;

    } else if (url->len > 7
               && ngx_strncasecmp(url->data, (u_char *) "http://", 7) == 0)
    {
        skip = 7;

    } else {
        return NGX_ERROR;
    }

    p = url->data + skip;
    last = url->data + url->len;

    host->data = p;

    while (p < last && *p != '/' && *p != '?' && *p != '#') {
        p++;
    }

    host->len = p - host->data;

    if (host->len == 0) {
        return NGX_ERROR;
    }

    colon = ngx_strlchr(host->data, host->data + host->len, ':');

    if (colon && host->data[0] != '[') {
        if ((skip == 8 && last - colon >= 4
             && p - colon == 4 && ngx_strncmp(colon, ":443", 4) == 0)
            || (skip == 7 && p - colon == 3
                && ngx_strncmp(colon, ":80", 3) == 0))
        {
            host->len = colon - host->data;
        }
    }

    return NGX_OK;
}


static void
ngx_http_chatcompletions_trim(ngx_str_t *s)
{
    while (s->len && (s->data[s->len - 1] == CR || s->data[s->len - 1] == LF
                      || s->data[s->len - 1] == ' '
                      || s->data[s->len - 1] == '\t'))
    {
        s->len--;
    }

    while (s->len && (s->data[0] == ' ' || s->data[0] == '\t'
                      || s->data[0] == CR || s->data[0] == LF))
    {
        s->data++;
        s->len--;
    }
}


static ngx_http_chatcompletions_shctx_t *
ngx_http_chatcompletions_zone(ngx_http_chatcompletions_refresh_t *rf,
    ngx_slab_pool_t **shpool)
{
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_get_module_main_conf(rf->ctx->request,
                                          ngx_http_chatcompletions_module);

    *shpool = (ngx_slab_pool_t *) ccmcf->creds_zone->shm.addr;

    return ccmcf->creds_zone->data;
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
