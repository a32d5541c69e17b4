
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_CHAIN_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_CHAIN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


/*
 * The shared memory of credentials.c and chain.c: one slot for the chain
 * and one per assumed role, each with the set all workers sign with, its
 * refresh schedule, the worker refreshing it and the last failure.
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

    /* the IMDSv2 session token, for all workers until its TTL */
    time_t                    imds_until;
    size_t                    imds_len;
    u_char                    imds_token[NGX_HTTP_CHATCOMPLETIONS_IMDS_MAX];

    ngx_http_chatcompletions_slot_t  slots[1];
} ngx_http_chatcompletions_shctx_t;


/*
 * NGX_OK: the refresh runs; NGX_DONE: it ended at once (the slot says
 * how); NGX_ERROR.  The caller owns the slot (s->owner) when it starts
 * one; the refresh gives the slot back when it ends, however it ends.
 */
ngx_int_t ngx_http_chatcompletions_refresh_start(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_uint_t slot,
    ngx_http_chatcompletions_creds_t *base);
ngx_uint_t ngx_http_chatcompletions_refresh_done(
    ngx_http_chatcompletions_refresh_t *rf);
void ngx_http_chatcompletions_refresh_stop(
    ngx_http_chatcompletions_ctx_t *ctx);
ngx_str_t ngx_http_chatcompletions_source_name(ngx_uint_t source);


#endif /* _NGX_HTTP_CHATCOMPLETIONS_CHAIN_H_INCLUDED_ */
