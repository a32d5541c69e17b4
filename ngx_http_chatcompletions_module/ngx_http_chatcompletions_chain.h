
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_CHAIN_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_CHAIN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "cc_awscreds.h"
#include "cc_profile.h"
#include "cc_sts.h"


/*
 * What the credential files share: the shared memory (one slot for the
 * chain and one per assumed role, each with the set all workers sign
 * with, its refresh schedule, the worker refreshing it and the last
 * failure), and a refresh with its steps.
 *
 *   credentials.c  directives, the static sources, a request's set and
 *                  its wait
 *   chain.c        a refresh: which source, planned as steps
 *   fetch.c        the steps: subrequests to the credentials location,
 *                  their answers
 *   zone.c         the shared memory: a slot written, the result logged
 */


#define NGX_HTTP_CHATCOMPLETIONS_KEY_MAX     128
#define NGX_HTTP_CHATCOMPLETIONS_TOKEN_MAX   8192
#define NGX_HTTP_CHATCOMPLETIONS_REASON_MAX  512
#define NGX_HTTP_CHATCOMPLETIONS_IMDS_MAX    256

/* a set this close to its expiry signs nothing; it is refreshed before */
#define NGX_HTTP_CHATCOMPLETIONS_VALID_MARGIN  2


/* where a set came from: $chat_completions_credentials_source */
typedef enum {
    NGX_HTTP_CHATCOMPLETIONS_SRC_NONE = 0,
    NGX_HTTP_CHATCOMPLETIONS_SRC_CONFIG,
    NGX_HTTP_CHATCOMPLETIONS_SRC_API_KEY,
    NGX_HTTP_CHATCOMPLETIONS_SRC_ENV,
    NGX_HTTP_CHATCOMPLETIONS_SRC_WEB_IDENTITY,
    NGX_HTTP_CHATCOMPLETIONS_SRC_PROFILE,
    NGX_HTTP_CHATCOMPLETIONS_SRC_CONTAINER,
    NGX_HTTP_CHATCOMPLETIONS_SRC_IMDS
} ngx_http_chatcompletions_source_e;

/* or-ed in: a role assumed (chat_completions_assume_role) on top */
#define NGX_HTTP_CHATCOMPLETIONS_SRC_ASSUMED  0x10


typedef struct {
    time_t                    expires;       /* 0: never */
    time_t                    refresh_at;
    time_t                    retry_at;      /* after a failure */
    time_t                    owner_until;
    ngx_pid_t                 owner;         /* the worker refreshing */
    ngx_uint_t                failures;
    ngx_uint_t                source;
    ngx_uint_t                logged;        /* the source told at notice */

    size_t                    akid_len;
    size_t                    secret_len;
    size_t                    token_len;
    size_t                    reason_len;

    u_char                    akid[NGX_HTTP_CHATCOMPLETIONS_KEY_MAX];
    u_char                    secret[NGX_HTTP_CHATCOMPLETIONS_KEY_MAX];
    u_char                    token[NGX_HTTP_CHATCOMPLETIONS_TOKEN_MAX];
    u_char                    reason[NGX_HTTP_CHATCOMPLETIONS_REASON_MAX];
} ngx_http_chatcompletions_slot_t;


typedef struct {
    uint32_t                  layout;        /* of the roles */
    ngx_uint_t                nslots;
    ngx_uint_t                static_told;   /* 1 << source, at notice */

    /* the IMDSv2 session token, for all workers until its TTL */
    time_t                    imds_until;
    size_t                    imds_len;
    u_char                    imds_token[NGX_HTTP_CHATCOMPLETIONS_IMDS_MAX];

    ngx_http_chatcompletions_slot_t  slots[1];
} ngx_http_chatcompletions_shctx_t;


typedef enum {
    NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_TOKEN = 0,
    NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_ROLE,
    NGX_HTTP_CHATCOMPLETIONS_STEP_IMDS_CREDS,
    NGX_HTTP_CHATCOMPLETIONS_STEP_CONTAINER,
    NGX_HTTP_CHATCOMPLETIONS_STEP_WEB_IDENTITY,
    NGX_HTTP_CHATCOMPLETIONS_STEP_ASSUME_ROLE
} ngx_http_chatcompletions_step_e;


/* one fetch of a refresh */
typedef struct {
    ngx_http_chatcompletions_step_e   kind;
    ngx_str_t                         url;          /* container */
    ngx_str_t                         role_arn;
    ngx_str_t                         session_name;
    ngx_str_t                         external_id;
    ngx_str_t                         token_file;   /* web identity */
    int64_t                           duration;
} ngx_http_chatcompletions_step_t;


#define NGX_HTTP_CHATCOMPLETIONS_STEPS  12


/* the refresh of a slot, run by one request (chain.c, fetch.c, zone.c) */
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
    unsigned                          proxied:1;
    unsigned                          truncated:1;
    unsigned                          settled:1;
    unsigned                          finished:1;
};


/*
 * chain.c: which source, and the steps that fetch from it.
 * refresh_start(): NGX_OK: the refresh runs; NGX_DONE: it ended at once
 * (the slot says how); NGX_ERROR.  The caller owns the slot (s->owner)
 * when it starts one; the refresh gives the slot back when it ends,
 * however it ends.
 */
ngx_int_t ngx_http_chatcompletions_refresh_start(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_uint_t slot,
    ngx_http_chatcompletions_creds_t *base);
ngx_uint_t ngx_http_chatcompletions_refresh_done(
    ngx_http_chatcompletions_refresh_t *rf);
void ngx_http_chatcompletions_refresh_stop(
    ngx_http_chatcompletions_ctx_t *ctx);
ngx_str_t ngx_http_chatcompletions_source_name(ngx_uint_t source);
ngx_int_t ngx_http_chatcompletions_profile_files(ngx_conf_t *cf,
    ngx_pool_t *pool, ngx_log_t *log, ngx_str_t *profile, ngx_str_t *files);

/* fetch.c: the steps, each a subrequest to the credentials location */
ngx_int_t ngx_http_chatcompletions_next_step(
    ngx_http_chatcompletions_refresh_t *rf);
const char *ngx_http_chatcompletions_step_name(
    ngx_http_chatcompletions_refresh_t *rf);

/* zone.c: the shared memory */
ngx_int_t ngx_http_chatcompletions_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
uint32_t ngx_http_chatcompletions_layout(ngx_conf_t *cf,
    ngx_http_chatcompletions_main_conf_t *ccmcf, char **names);
ngx_http_chatcompletions_shctx_t *ngx_http_chatcompletions_zone(
    ngx_http_request_t *r, ngx_slab_pool_t **shpool);
void ngx_http_chatcompletions_finish(ngx_http_chatcompletions_refresh_t *rf,
    ngx_uint_t ok);
ngx_int_t ngx_http_chatcompletions_reason(
    ngx_http_chatcompletions_refresh_t *rf, const char *fmt, ...);


#endif /* _NGX_HTTP_CHATCOMPLETIONS_CHAIN_H_INCLUDED_ */
