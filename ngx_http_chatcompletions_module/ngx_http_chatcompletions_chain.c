
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "ngx_http_chatcompletions_chain.h"
#include "cc_awscreds.h"


/*
 * The refresh of a slot: a plan (which source of the chain, and the steps
 * that fetch from it); fetch.c runs the steps, zone.c stores the result
 * in the slot for every worker.
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


#define NGX_HTTP_CHATCOMPLETIONS_PROFILE_DEPTH  4


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
static void ngx_http_chatcompletions_refresh_cleanup(void *data);
static ngx_int_t ngx_http_chatcompletions_skip(
    ngx_http_chatcompletions_refresh_t *rf, const char *what);
static ngx_int_t ngx_http_chatcompletions_env(ngx_conf_t *cf,
    const char *name, ngx_str_t *value);


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
    ngx_http_chatcompletions_refresh_t   *rf;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    rf = ctx->refresh;

    if (rf == NULL || rf->finished) {
        return;
    }

    if (rf->sr && !rf->settled) {
        (void) ngx_http_chatcompletions_stop_upstream(rf->sr, 1);
    }

    if (!rf->finished) {
        cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                             ngx_http_chatcompletions_module);

        (void) ngx_http_chatcompletions_reason(rf, "%s: no answer within "
                                 "%M ms (chat_completions_credentials_timeout)",
                                 ngx_http_chatcompletions_step_name(rf),
                                 cclcf->credentials_timeout);
        ngx_http_chatcompletions_finish(rf, 0);
    }
}


/* ------------------------------------------------------------ the plan */


static ngx_int_t
ngx_http_chatcompletions_plan(ngx_http_chatcompletions_refresh_t *rf)
{
    ngx_int_t                         rc;
    ngx_str_t                         file, role, session, profile;
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

    if (ngx_http_chatcompletions_profile_files(NULL, rf->ctx->request->pool,
                                          rf->ctx->request->connection->log,
                                          &profile, files)
        != NGX_OK)
    {
        return NGX_ERROR;
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

    if (ngx_http_chatcompletions_getenv("AWS_PROFILE", &file)) {
        return ngx_http_chatcompletions_reason(rf, "profile \"%V\" "
                                               "(AWS_PROFILE) is in neither "
                                               "shared file", &profile);
    }

    if (ngx_http_chatcompletions_skip(rf, "profile \"default\"") != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_chatcompletions_plan_container(rf);

    if (rc != NGX_DONE) {
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


/*
 * The shared files' text (a missing file is empty: it holds no profile),
 * AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, else ~/.aws/credentials
 * and ~/.aws/config; and the profile's name, AWS_PROFILE, else "default".
 * Read in a worker at a refresh (small local files; cf NULL), and by the
 * master for the region at configuration load (cf: the environment as the
 * workers will see it).
 */

ngx_int_t
ngx_http_chatcompletions_profile_files(ngx_conf_t *cf, ngx_pool_t *pool,
    ngx_log_t *log, ngx_str_t *profile, ngx_str_t *files)
{
    u_char      *p;
    ngx_str_t    home, file;
    ngx_uint_t   i;

    static char  *vars[] = { "AWS_SHARED_CREDENTIALS_FILE",
                             "AWS_CONFIG_FILE" };
    static char  *homes[] = { "/.aws/credentials", "/.aws/config" };

    if (!ngx_http_chatcompletions_env(cf, "AWS_PROFILE", profile)) {
        ngx_str_set(profile, "default");
    }

    (void) ngx_http_chatcompletions_env(cf, "HOME", &home);

    for (i = 0; i < 2; i++) {

        /* the environment's strings end with a NUL */

        if (!ngx_http_chatcompletions_env(cf, vars[i], &files[i])) {
            p = ngx_pnalloc(pool, home.len + ngx_strlen(homes[i]) + 1);
            if (p == NULL) {
                return NGX_ERROR;
            }

            files[i].data = p;
            files[i].len = ngx_sprintf(p, "%V%s%Z", &home, homes[i]) - p - 1;
        }

        ngx_str_null(&file);

        if (ngx_http_chatcompletions_read_small_file(pool, log, files[i].data,
                                                     &file)
            == NGX_ERROR)
        {
            return NGX_ERROR;
        }

        files[i] = file;
    }

    return NGX_OK;
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

        if (rc == NGX_DONE) {
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


/*
 * NGX_OK: the step is planned; NGX_DONE: no container endpoint is
 * configured; NGX_DECLINED: one is, and unusable (rf->reason)
 */

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

        if (ngx_strncasecmp(full.data, (u_char *) "http://", 7) == 0
            && !cc_container_host_ok(host.data, host.len))
        {
            return ngx_http_chatcompletions_reason(rf, "container: "
                                     "AWS_CONTAINER_CREDENTIALS_FULL_URI "
                                     "over http must name a loopback or "
                                     "container host");
        }

    } else {
        return NGX_DONE;
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


/* the worker's environment, or the configuration's (conf_getenv()) */

static ngx_int_t
ngx_http_chatcompletions_env(ngx_conf_t *cf, const char *name,
    ngx_str_t *value)
{
    return cf ? ngx_http_chatcompletions_conf_getenv(cf, name, value)
              : ngx_http_chatcompletions_getenv(name, value);
}
