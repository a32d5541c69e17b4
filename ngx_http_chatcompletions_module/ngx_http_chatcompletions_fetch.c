
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
 * The steps of a refresh, each a background subrequest to the credentials
 * location (chat_completions_credentials_location, which proxies
 * $chat_completions_credentials_url): its method, headers and body set
 * here, its answer captured by the body filter
 * (ngx_http_chatcompletions_fetch_body()) and read when it ends.
 *
 *   instance metadata  PUT the IMDSv2 token (kept in the zone until its
 *                      TTL), GET the role, GET its credentials
 *   container          GET the container endpoint (authorization token
 *                      file read at each refresh)
 *   STS                POST AssumeRoleWithWebIdentity (token file read at
 *                      each refresh), or AssumeRole signed with the set
 *                      below the role
 */


#define NGX_HTTP_CHATCOMPLETIONS_FETCH_MAX    65536
#define NGX_HTTP_CHATCOMPLETIONS_IMDS_TTL     21600


static ngx_int_t ngx_http_chatcompletions_step_request(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st);
static ngx_int_t ngx_http_chatcompletions_sts_request(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st);
static ngx_int_t ngx_http_chatcompletions_step_result(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st);
static ngx_int_t ngx_http_chatcompletions_imds_token(
    ngx_http_chatcompletions_refresh_t *rf, ngx_str_t *s);
static ngx_int_t ngx_http_chatcompletions_imds_result(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st, ngx_str_t *s);
static ngx_int_t ngx_http_chatcompletions_creds_result(
    ngx_http_chatcompletions_refresh_t *rf, ngx_str_t *s);
static ngx_int_t ngx_http_chatcompletions_sts_result(
    ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st, ngx_str_t *s);
static ngx_int_t ngx_http_chatcompletions_sts_endpoint(
    ngx_http_chatcompletions_refresh_t *rf, ngx_str_t *url, ngx_str_t *host);
static ngx_int_t ngx_http_chatcompletions_fetch(
    ngx_http_chatcompletions_refresh_t *rf, ngx_uint_t method,
    ngx_str_t *url, ngx_table_elt_t *headers, ngx_uint_t nheaders,
    ngx_http_chatcompletions_auth_t *auth, ngx_str_t *body, char *type);
static ngx_int_t ngx_http_chatcompletions_fetch_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_chatcompletions_read_token(
    ngx_http_chatcompletions_refresh_t *rf, ngx_str_t *path,
    ngx_str_t *token);
static void ngx_http_chatcompletions_trim(ngx_str_t *s);


/* the steps go on until one fetches; NGX_ERROR only if nothing can end */

ngx_int_t
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

        sh = ngx_http_chatcompletions_zone(rf->ctx->request, &shpool);

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
                                              NULL, NULL, NULL);

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
                                              NULL, NULL, NULL);

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
                                              token.len ? 1 : 0, NULL, NULL,
                                              NULL);

    default: /* STS */
        return ngx_http_chatcompletions_sts_request(rf, st);
    }
}


static ngx_int_t
ngx_http_chatcompletions_sts_request(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st)
{
    u_char                               *p;
    ngx_int_t                             rc;
    ngx_str_t                             url, host, body, token;
    const char                           *err;
    cc_sts_call_t                         call;
    cc_sigv4_request_t                    req;
    ngx_http_chatcompletions_auth_t       auth;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(rf->ctx->request,
                                         ngx_http_chatcompletions_module);

    ngx_memzero(&call, sizeof(cc_sts_call_t));

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

    rc = ngx_http_chatcompletions_sts_endpoint(rf, &url, &host);
    if (rc != NGX_OK) {
        return rc;
    }

    if (st->kind == NGX_HTTP_CHATCOMPLETIONS_STEP_WEB_IDENTITY) {
        return ngx_http_chatcompletions_fetch(rf, NGX_HTTP_POST, &url, NULL,
                                              0, NULL, &body,
                                         "application/x-www-form-urlencoded");
    }

    /* AssumeRole is signed with the set below the role */

    ngx_memzero(&req, sizeof(cc_sigv4_request_t));
    ngx_memzero(&auth, sizeof(ngx_http_chatcompletions_auth_t));

    ngx_str_set(&req.path, "/");
    req.payload = body.data;
    req.payload_len = body.len;
    req.access_key = rf->creds.access_key;
    req.secret_key = rf->creds.secret_key;
    req.session_token = rf->creds.session_token;
    req.region.data = cclcf->region.data;
    req.region.len = cclcf->region.len;
    ngx_str_set(&req.service, "sts");

    rc = ngx_http_chatcompletions_sign_post(rf->ctx->request, &rf->ctx->alloc,
                                        &req,
                                        "application/x-www-form-urlencoded",
                                        &host, &auth, &err);
    if (rc == NGX_DECLINED) {
        return ngx_http_chatcompletions_reason(rf, "STS AssumeRole: cannot "
                                               "sign: %s", err);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_chatcompletions_fetch(rf, NGX_HTTP_POST, &url, NULL, 0,
                                          &auth, &body,
                                          "application/x-www-form-urlencoded");
}


/* AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, or the region's */

static ngx_int_t
ngx_http_chatcompletions_sts_endpoint(ngx_http_chatcompletions_refresh_t *rf,
    ngx_str_t *url, ngx_str_t *host)
{
    u_char                               *p;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(rf->ctx->request,
                                         ngx_http_chatcompletions_module);

    if (!ngx_http_chatcompletions_getenv("AWS_ENDPOINT_URL_STS", url)
        && !ngx_http_chatcompletions_getenv("AWS_ENDPOINT_URL", url))
    {
        p = ngx_pnalloc(rf->ctx->request->pool,
                        sizeof("https://sts..amazonaws.com/")
                        + cclcf->region.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        url->data = p;
        url->len = ngx_sprintf(p, "https://sts.%V.amazonaws.com/",
                               &cclcf->region)
                   - p;

    } else if (url->data[url->len - 1] != '/') {
        p = ngx_pnalloc(rf->ctx->request->pool, url->len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        *ngx_cpymem(p, url->data, url->len) = '/';
        url->data = p;
        url->len++;
    }

    if (ngx_http_chatcompletions_split_url(url, host) != NGX_OK) {
        return ngx_http_chatcompletions_reason(rf, "the STS endpoint \"%V\" "
                                               "is not an http(s) URL", url);
    }

    return NGX_OK;
}


/*
 * A fetch's answer: NGX_OK to go on with the next step, NGX_AGAIN with
 * rf->cur again, NGX_DECLINED when it failed, NGX_ERROR.
 */

static ngx_int_t
ngx_http_chatcompletions_step_result(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st)
{
    ngx_str_t                             s;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    s.data = rf->body.data;
    s.len = rf->body.len;

    if (!rf->proxied) {
        cclcf = ngx_http_get_module_loc_conf(rf->ctx->request,
                                             ngx_http_chatcompletions_module);

        /* nginx answered itself: the location proxies nothing */
        return ngx_http_chatcompletions_reason(rf, "%s: the credentials "
                                 "location \"%V\" answered %ui without "
                                 "reaching the source (include "
                                 "conf/aws_credentials.conf or set "
                                 "chat_completions_credentials_location)",
                                 ngx_http_chatcompletions_step_name(rf),
                                 &cclcf->credentials_location, rf->status);
    }

    switch (st->kind) {

    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_TOKEN:
        return ngx_http_chatcompletions_imds_token(rf, &s);

    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE:
    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_CREDS:
        return ngx_http_chatcompletions_imds_result(rf, st, &s);

    case NGX_HTTP_CHATCOMPLETIONS_STEP_CONTAINER:
        return ngx_http_chatcompletions_creds_result(rf, &s);

    default:
        return ngx_http_chatcompletions_sts_result(rf, st, &s);
    }
}


static ngx_int_t
ngx_http_chatcompletions_imds_token(ngx_http_chatcompletions_refresh_t *rf,
    ngx_str_t *s)
{
    ngx_slab_pool_t                   *shpool;
    ngx_http_chatcompletions_shctx_t  *sh;

    ngx_http_chatcompletions_trim(s);

    if (rf->status != NGX_HTTP_OK || s->len == 0
        || s->len > NGX_HTTP_CHATCOMPLETIONS_IMDS_MAX)
    {
        return ngx_http_chatcompletions_reason(rf, "instance metadata: the "
                                               "token request answered %ui",
                                               rf->status);
    }

    /* the body's buffer is the next fetch's */
    rf->imds_token.data = ngx_pstrdup(rf->ctx->request->pool, s);
    if (rf->imds_token.data == NULL) {
        return NGX_ERROR;
    }

    rf->imds_token.len = s->len;

    sh = ngx_http_chatcompletions_zone(rf->ctx->request, &shpool);

    ngx_shmtx_lock(&shpool->mutex);

    ngx_memcpy(sh->imds_token, s->data, s->len);
    sh->imds_len = s->len;
    sh->imds_until = ngx_time() + NGX_HTTP_CHATCOMPLETIONS_IMDS_TTL - 60;

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_imds_result(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st, ngx_str_t *s)
{
    u_char                            *p;
    ngx_slab_pool_t                   *shpool;
    ngx_http_chatcompletions_shctx_t  *sh;

    if (rf->status == NGX_HTTP_UNAUTHORIZED && !rf->imds_retried) {
        /* the kept token expired early: a new one, once */

        sh = ngx_http_chatcompletions_zone(rf->ctx->request, &shpool);

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
        return ngx_http_chatcompletions_reason(rf, "instance metadata: the "
                                   "%s request answered %ui",
                                   st->kind
                                   == NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE
                                   ? "role" : "credentials",
                                   rf->status);
    }

    if (st->kind == NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_CREDS) {
        return ngx_http_chatcompletions_creds_result(rf, s);
    }

    /* the first line: the instance profile's role */

    p = ngx_strlchr(s->data, s->data + s->len, LF);
    if (p) {
        s->len = p - s->data;
    }

    ngx_http_chatcompletions_trim(s);

    if (s->len == 0 || ngx_strlchr(s->data, s->data + s->len, '/')) {
        return ngx_http_chatcompletions_reason(rf, "instance metadata: no "
                                               "role is attached to the "
                                               "instance");
    }

    rf->imds_role.data = ngx_pstrdup(rf->ctx->request->pool, s);
    if (rf->imds_role.data == NULL) {
        return NGX_ERROR;
    }

    rf->imds_role.len = s->len;

    return NGX_OK;
}


/* the JSON of instance metadata and of the container endpoints */

static ngx_int_t
ngx_http_chatcompletions_creds_result(ngx_http_chatcompletions_refresh_t *rf,
    ngx_str_t *s)
{
    const char  *err, *what;

    what = ngx_http_chatcompletions_step_name(rf);

    if (rf->status != NGX_HTTP_OK) {
        return ngx_http_chatcompletions_reason(rf, "%s: the credentials "
                                               "request answered %ui",
                                               what, rf->status);
    }

    if (rf->truncated
        || cc_creds_parse_json(&rf->ctx->alloc, s->data, s->len, &rf->creds,
                               &err)
           != CC_OK)
    {
        return ngx_http_chatcompletions_reason(rf, "%s: unusable "
                                               "credentials: %s", what,
                                               rf->truncated
                                               ? "too large" : err);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_sts_result(ngx_http_chatcompletions_refresh_t *rf,
    ngx_http_chatcompletions_step_t *st, ngx_str_t *s)
{
    cc_str_t  code, msg;

    ngx_str_null(&code);
    ngx_str_null(&msg);

    if (!rf->truncated
        && cc_sts_parse(&rf->ctx->alloc, s->data, s->len, &rf->creds,
                        &code, &msg)
           == CC_OK
        && rf->status == NGX_HTTP_OK)
    {
        return NGX_OK;
    }

    if (rf->status != NGX_HTTP_OK && code.data == NULL) {
        ngx_str_set(&code, "no STS answer");
    }

    if (msg.len > 200) {
        msg.len = 200;
    }

    return ngx_http_chatcompletions_reason(rf, "%s answered %ui: %V: %V",
                                           ngx_http_chatcompletions_step_name(
                                                                         rf),
                                           rf->status, &code, &msg);
}


/* what a step fetches from, for the messages */

const char *
ngx_http_chatcompletions_step_name(ngx_http_chatcompletions_refresh_t *rf)
{
    if (rf->cur >= rf->nsteps) {
        return "the credentials";
    }

    switch (rf->steps[rf->cur].kind) {

    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_TOKEN:
    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE:
    case NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_CREDS:
        return "instance metadata";

    case NGX_HTTP_CHATCOMPLETIONS_STEP_CONTAINER:
        return "container";

    case NGX_HTTP_CHATCOMPLETIONS_STEP_WEB_IDENTITY:
        return "STS AssumeRoleWithWebIdentity";

    default:
        return "STS AssumeRole";
    }
}


/* ---------------------------------------------------------- the fetches */


static ngx_int_t
ngx_http_chatcompletions_fetch(ngx_http_chatcompletions_refresh_t *rf,
    ngx_uint_t method, ngx_str_t *url, ngx_table_elt_t *headers,
    ngx_uint_t nheaders, ngx_http_chatcompletions_auth_t *auth,
    ngx_str_t *body, char *type)
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
    rf->proxied = 0;
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

    if (auth && ngx_http_chatcompletions_auth_headers(sr, auth) != NGX_OK) {
        return NGX_ERROR;
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

    /* an answer of nginx's own, not the source's: see step_result() */
    rf->proxied = (sr->upstream != NULL);

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


/* ----------------------------------------------------------- helpers */


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
