
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_MODULE_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "cc_json.h"
#include "cc_eventstream.h"
#include "cc_chat.h"
#include "cc_turns.h"
#include "cc_bedrock.h"
#include "cc_sse.h"
#include "cc_converse.h"
#include "cc_sigv4.h"


#define NGX_HTTP_CHATCOMPLETIONS_DEFAULT_MODEL  "amazon.nova-lite-v1:0"
#define NGX_HTTP_CHATCOMPLETIONS_ERROR_BODY_MAX  16384
#define NGX_HTTP_CHATCOMPLETIONS_CONVERSE_MAX    (16 * 1024 * 1024)

/* SSE bytes translated per step, and waiting for a slow client at most */
#define NGX_HTTP_CHATCOMPLETIONS_PEND_MAX        (16 * 1024)
#define NGX_HTTP_CHATCOMPLETIONS_BUSY_MAX        (64 * 1024)

/* the worker's scratch arena for one Bedrock event (util.c) */
#define NGX_HTTP_CHATCOMPLETIONS_SCRATCH_SIZE    8192

/* server-side tool calls run in one round; the model is told of the rest */
#define NGX_HTTP_CHATCOMPLETIONS_MAX_TOOL_CALLS  16


typedef struct {
    ngx_str_t                        name;
    ngx_str_t                        model_id;
} ngx_http_chatcompletions_alias_t;


/* chat_completions_assume_role: a role assumed on top of the chain */
typedef struct {
    ngx_str_t                        arn;
    ngx_str_t                        external_id;
    ngx_str_t                        session_name;  /* empty: generated */
    time_t                           duration;      /* 0: STS's default */
    ngx_uint_t                       slot;          /* in the shm zone */
} ngx_http_chatcompletions_role_t;


typedef struct {
    ngx_flag_t                       used;     /* some location has
                                                  chat_completions */

    /* credentials.c: the credentials shared by all workers */
    ngx_shm_zone_t                  *creds_zone;
    ngx_array_t                      roles;    /* of _role_t * */
    ngx_str_t                        ecs_endpoint;
    uint32_t                         layout;   /* what they come from */
    ngx_str_t                        profile_region;
    ngx_flag_t                       profile_read;

    /* targets.c: the declared targets' cool-downs, for all workers */
    ngx_shm_zone_t                  *targets_zone;
    ngx_uint_t                       ntargets;

    /* keys.c: the client keys' token budgets, for all workers */
    ngx_shm_zone_t                  *budgets_zone;
    ngx_uint_t                       nbudgets;

    /* resolve.c: upstream blocks whose names are followed */
    ngx_array_t                     *resolves;

    /* metrics.c: the zone, its layout, the label values (ngx_str_t) */
    ngx_shm_zone_t                  *metrics_zone;
    struct ngx_http_chatcompletions_layout_s *m_layout;
    ngx_array_t                     *m_locations;
    ngx_array_t                     *m_models;
    ngx_array_t                     *m_targets;
    ngx_array_t                     *m_tools;
    ngx_array_t                     *m_keys;
} ngx_http_chatcompletions_main_conf_t;


/* a server-side tool: chat_completions_tool */
typedef struct {
    ngx_str_t                        name;
    ngx_str_t                        uri;
    ngx_str_t                        description;
    cc_json_t                       *schema;
    ngx_msec_t                       timeout;       /* 0: the default */
    ngx_uint_t                       method;        /* NGX_HTTP_POST|GET */
    ngx_uint_t                       label;         /* metrics: index + 1 */
    unsigned                         needs_phone:1;
} ngx_http_chatcompletions_tool_conf_t;


/* the client API keys of a location: chat_completions_api_keys */
typedef struct {
    ngx_str_t                        header;        /* Authorization */
    ngx_array_t                     *keys;          /* of keys.c's _key_t */
    ngx_uint_t                       base;          /* its budgets' slots */
    ngx_uint_t                       budgets;
    unsigned                         raw:1;         /* no "Bearer " */
} ngx_http_chatcompletions_keys_t;


/*
 * extras.c: a location's guardrail (an id with NULL data: unset, empty:
 * off), latency and service tier (NULL data: unset), the tiers clients
 * may ask for, the image size limit, whether metadata is forwarded
 */
typedef struct {
    ngx_str_t                        guardrail_id;
    ngx_str_t                        guardrail_version;
    ngx_str_t                        guardrail_trace;
    ngx_str_t                        guardrail_stream;
    ngx_str_t                        latency;
    ngx_str_t                        service_tier;
    ngx_uint_t                       tiers_allowed;
    size_t                           image_max;
    ngx_flag_t                       request_metadata;
} ngx_http_chatcompletions_extras_conf_t;


/* a place Bedrock answers from: chat_completions_target */
typedef struct {
    ngx_str_t                        region;        /* signed for */
    ngx_str_t                        endpoint;
    ngx_str_t                        host;          /* from endpoint */
    ngx_str_t                        model;         /* empty: the request's */
    ngx_array_t                     *maps;          /* of ngx_keyval_t */
    ngx_int_t                        slot;          /* cool-down, or -1 */
    ngx_uint_t                       label;         /* metrics: index + 1 */
} ngx_http_chatcompletions_target_t;


typedef struct {
    ngx_flag_t                       enable;

    ngx_str_t                        bedrock_location;
    ngx_str_t                        region;
    ngx_str_t                        endpoint;
    ngx_str_t                        host;          /* from endpoint */
    ngx_flag_t                       endpoint_derived;  /* from region */

    ngx_array_t                     *targets;       /* of _target_t */
    ngx_flag_t                       targets_own;   /* not the implicit */
    ngx_uint_t                       attempts;
    ngx_msec_t                       retry_budget;
    ngx_msec_t                       retry_backoff;
    ngx_msec_t                       cooldown;
    ngx_msec_t                       first_token_deadline;
    ngx_uint_t                       cooldown_failures;

    ngx_http_complex_value_t        *access_key_id;
    ngx_http_complex_value_t        *secret_access_key;
    ngx_http_complex_value_t        *session_token;
    ngx_http_complex_value_t        *api_key;

    ngx_str_t                        credentials_location;
    ngx_msec_t                       credentials_timeout;
    ngx_http_chatcompletions_role_t *assume_role;

    ngx_str_t                        model;
    ngx_array_t                     *aliases;       /* of _alias_t */
    ngx_flag_t                       model_passthrough;

    ngx_flag_t                       stream_default;
    ngx_msec_t                       keepalive_interval;
    ngx_msec_t                       read_timeout;
    ngx_str_t                        first_user_message;
    ngx_int_t                        max_tokens;

    ngx_str_t                        system_prompt;
    ngx_array_t                     *tools;     /* of _tool_conf_t */
    cc_tool_t                       *cc_tools;  /* the same, for bedrock.c */
    ngx_msec_t                       tool_timeout;
    size_t                           tool_max_size;
    ngx_uint_t                       max_rounds;

    ngx_array_t                     *phone_metadata;   /* of cc_str_t */
    ngx_str_t                        phone_header;
    ngx_str_t                        phone_country;

    ngx_int_t                        metrics_location;  /* -1: none */

    ngx_http_chatcompletions_keys_t *keys;

    ngx_http_chatcompletions_extras_conf_t  extras;
    /* Bedrock features: response_format, reasoning, prompt caching */
    ngx_uint_t                       structured_output; /* cc_structured_
                                                            mode_e */
    ngx_uint_t                       reasoning_effort;  /* cc_reasoning_e */
    ngx_uint_t                       prompt_cache;      /* _CACHE_* bits */
} ngx_http_chatcompletions_loc_conf_t;


/* chat_completions_prompt_cache */
#define NGX_HTTP_CHATCOMPLETIONS_CACHE_OFF     0x0002
#define NGX_HTTP_CHATCOMPLETIONS_CACHE_SYSTEM  0x0004
#define NGX_HTTP_CHATCOMPLETIONS_CACHE_TOOLS   0x0008


typedef enum {
    NGX_HTTP_CHATCOMPLETIONS_FAULT_NONE = 0,
    NGX_HTTP_CHATCOMPLETIONS_FAULT_HTTP,        /* Bedrock non-2xx */
    NGX_HTTP_CHATCOMPLETIONS_FAULT_EXCEPTION,   /* in-stream exception */
    NGX_HTTP_CHATCOMPLETIONS_FAULT_FRAMING,     /* corrupt eventstream */
    NGX_HTTP_CHATCOMPLETIONS_FAULT_TRUNCATED,   /* stream ended early */
    NGX_HTTP_CHATCOMPLETIONS_FAULT_TIMEOUT,     /* Bedrock stalled */
    NGX_HTTP_CHATCOMPLETIONS_FAULT_UNREACHABLE, /* no response at all */
    NGX_HTTP_CHATCOMPLETIONS_FAULT_INVALID      /* unusable response */
} ngx_http_chatcompletions_fault_e;


/* the life of a request: see ngx_http_chatcompletions_lifecycle.c */
typedef enum {
    NGX_HTTP_CHATCOMPLETIONS_BODY = 0,          /* reading the body */
    NGX_HTTP_CHATCOMPLETIONS_CREDENTIALS,       /* waiting for them */
    NGX_HTTP_CHATCOMPLETIONS_ATTEMPT,           /* a Bedrock call runs */
    NGX_HTTP_CHATCOMPLETIONS_RETRY,             /* backing off for the
                                                   next attempt */
    NGX_HTTP_CHATCOMPLETIONS_TOOLS,             /* server tools run */
    NGX_HTTP_CHATCOMPLETIONS_DONE               /* the answer is out */
} ngx_http_chatcompletions_state_e;


typedef struct ngx_http_chatcompletions_ctx_s
    ngx_http_chatcompletions_ctx_t;
typedef struct ngx_http_chatcompletions_refresh_s
    ngx_http_chatcompletions_refresh_t;


/* what signs a Bedrock call, and where it came from */
typedef struct {
    ngx_str_t                        access_key;
    ngx_str_t                        secret_key;
    ngx_str_t                        session_token;
    ngx_str_t                        bearer;
    ngx_uint_t                       source;    /* chain.h */
} ngx_http_chatcompletions_creds_t;


/* how the answer failed, for the client and $chat_completions_error */
typedef struct {
    ngx_http_chatcompletions_fault_e      kind;
    ngx_str_t                             type;
    ngx_str_t                             code;
    ngx_str_t                             message;
} ngx_http_chatcompletions_fault_t;


/*
 * One call to Bedrock: a subrequest to the Bedrock location, with its own
 * upstream, eventstream decoder, held input, stall timer and cancellation.
 * A round makes one attempt today; the slots leave room for a second one
 * racing the first.
 */
typedef struct {
    ngx_http_chatcompletions_ctx_t       *ctx;
    ngx_http_request_t                   *sr;
    ngx_uint_t                            round;
    ngx_int_t                             rc;       /* how sr ended */

    /* where it goes: its target, model and signed path */
    ngx_http_chatcompletions_target_t    *target;
    ngx_str_t                             model;
    ngx_str_t                             uri;

    /* racing the round's attempt: its bytes, kept until it wins */
    cc_buf_t                              raw;

    ngx_str_t                             error_type;
    cc_buf_t                              error_body;
    cc_buf_t                              converse; /* a JSON answer */

    cc_es_decoder_t                       decoder;
    ngx_chain_t                          *held;     /* not translated */
    ngx_event_t                           stall;
    ngx_msec_t                            last_read;

    unsigned                              capture:1; /* answer is ours */
    unsigned                              shown:1;  /* content sent out */
    unsigned                              shadow:1; /* races, not shown */
    unsigned                              superseded:1; /* lost the race */
    unsigned                              pending:1; /* won, not yet out */
    unsigned                              metadata:1; /* round ended */
    unsigned                              truncated:1;
    unsigned                              done:1;
} ngx_http_chatcompletions_attempt_t;


/* one server-side tool call of a round */
typedef struct {
    ngx_http_chatcompletions_ctx_t       *ctx;
    ngx_http_chatcompletions_tool_conf_t *conf;
    ngx_http_request_t                   *sr;
    ngx_uint_t                            round;

    ngx_str_t                             id;         /* toolUseId */
    ngx_str_t                             name;
    cc_json_t                            *input;
    ngx_str_t                             input_json;

    ngx_uint_t                            status;
    u_char                               *body;
    size_t                                len;
    ngx_str_t                             error;      /* for the model */

    ngx_event_t                           timer;
    ngx_msec_t                            started;

    unsigned                              done:1;
    unsigned                              truncated:1;
    unsigned                              timed_out:1;
} ngx_http_chatcompletions_tool_call_t;


#define NGX_HTTP_CHATCOMPLETIONS_ATTEMPTS  2


/*
 * A round: one Bedrock request (the conversation so far), the attempts
 * that carry it, and the server-side tool calls it asks for.  The next
 * round's request adds the assistant's tool uses and their results.
 */
typedef struct {
    ngx_uint_t                            n;        /* 1, 2, ... */

    /* its attempts: how many, on which target, since when */
    ngx_uint_t                            tries;
    ngx_uint_t                            target;   /* index */
    ngx_uint_t                            on_target;
    ngx_msec_t                            started;
    ngx_msec_t                            last_start;
    unsigned                              retrying:1;

    ngx_str_t                             bedrock_uri;
    ngx_str_t                             body;

    ngx_http_chatcompletions_attempt_t   *attempt;  /* the one streaming */
    ngx_http_chatcompletions_attempt_t   *shadow;   /* the one racing it */
    ngx_http_chatcompletions_attempt_t   *slots[  /* made when needed */
                                     NGX_HTTP_CHATCOMPLETIONS_ATTEMPTS];

    ngx_http_chatcompletions_tool_call_t *calls;
    ngx_uint_t                            ncalls;
    ngx_uint_t                            pending;  /* calls running */
} ngx_http_chatcompletions_round_t;


/*
 * The client's request, parsed, and its translation: in r->pool for the
 * request's life when a later attempt or round builds the body again;
 * otherwise in the worker's scratch arena until the body is built
 * (body_once), and then ctx->conv is NULL (request.c)
 */
typedef struct {
    cc_json_t                       *root;
    cc_chat_t                        chat;
    cc_chat_options_t                opts;
} ngx_http_chatcompletions_conv_t;


struct ngx_http_chatcompletions_ctx_s {
    ngx_http_request_t              *request;      /* the main request */
    ngx_http_chatcompletions_state_e state;

    cc_alloc_t                       alloc;        /* r->pool */
    ngx_http_chatcompletions_conv_t *conv;
    cc_stream_t                      stream;

    ngx_str_t                        model_id;     /* Bedrock model id */
    ngx_str_t                        model_name;   /* echoed to the client */
    ngx_str_t                        id;           /* chatcmpl-... */

    ngx_http_chatcompletions_round_t round;       /* the current one */

    /* the attempts of all rounds, where the last went, the retries' wait */
    ngx_http_chatcompletions_target_t *target;
    ngx_str_t                        target_model;
    ngx_uint_t                       attempts;
    ngx_msec_t                       retry_ms;
    ngx_event_t                      retry;
    ngx_event_t                      deadline;     /* first token */
    ngx_msec_t                       last_delta;   /* metrics: the gap */
    ngx_str_t                        error_code;   /* a client error's */
    ngx_str_t                        bedrock_error; /* its name, if any */

    /* the client's API key: its entry and name (never the key) */
    void                            *key;
    ngx_str_t                        key_name;
    ngx_uint_t                       key_reserved; /* tokens held back */
    ngx_uint_t                       hedges;       /* racing attempts */
    unsigned                         hedge_won:1;
    unsigned                         stream_counted:1;
    unsigned                         key_open:1;
    unsigned                         key_pending:1; /* reserved tokens */

    /* the outcome: a fault, and the status it maps to */
    ngx_http_chatcompletions_fault_t fault;
    ngx_uint_t                       bedrock_status;

    /* SSE bytes decoded from one read, before they are emitted */
    cc_buf_t                         pend;
    size_t                           pend_max;     /* drain: no limit */

    ngx_chain_t                     *free;
    ngx_chain_t                     *busy;

    /* the caller's number, E.164, and where it came from: on demand */
    ngx_str_t                        phone;
    const char                      *phone_source;

    ngx_event_t                      keepalive;
    ngx_msec_t                       last_sent;

    /* credentials: their source, a refresh this request runs, the wait */
    ngx_str_t                        creds_source;
    ngx_http_chatcompletions_refresh_t *refresh;
    ngx_event_t                      creds_wait;
    ngx_msec_t                       creds_deadline;

    /* for the log: what Bedrock reported, summed over rounds */
    int64_t                          prompt_tokens;
    int64_t                          completion_tokens;
    int64_t                          total_tokens;
    ngx_str_t                        stop_reason;

    ngx_msec_t                       start;
    ngx_msec_t                       ttft;         /* first token, ms */

    unsigned                         streaming:1;
    unsigned                         headers_sent:1;
    unsigned                         first_token:1;
    unsigned                         finished:1;   /* tokens accounted */
    unsigned                         emitting:1;
    unsigned                         phone_looked_up:1;
    unsigned                         replace_body:1;
    unsigned                         replaced:1;
    unsigned                         body_once:1;  /* round.body is the
                                                      request's only one */
};


/* the signed headers of a call to AWS (Bedrock, STS) */
typedef struct {
    ngx_str_t                        date;
    ngx_str_t                        token;
    ngx_str_t                        authorization;
} ngx_http_chatcompletions_auth_t;


extern ngx_module_t  ngx_http_chatcompletions_module;


/* util.c: small nginx helpers */
void *ngx_http_chatcompletions_pool_alloc(void *data, size_t size);
ngx_table_elt_t *ngx_http_chatcompletions_find_header(ngx_list_t *headers,
    u_char *name, size_t len);
ngx_int_t ngx_http_chatcompletions_scratch_init(ngx_cycle_t *cycle);
void ngx_http_chatcompletions_scratch_done(void);
cc_alloc_t *ngx_http_chatcompletions_scratch(void);
void ngx_http_chatcompletions_scratch_reset(void);
cc_gen_t *ngx_http_chatcompletions_sse_gen(void);
void ngx_http_chatcompletions_touch(ngx_event_t *ev, ngx_msec_t *stamp,
    ngx_msec_t timer);
ngx_uint_t ngx_http_chatcompletions_idle(ngx_event_t *ev, ngx_msec_t stamp,
    ngx_msec_t timer);
ngx_int_t ngx_http_chatcompletions_subrequest(ngx_http_request_t *r,
    ngx_str_t *uri, ngx_http_post_subrequest_t *ps, ngx_uint_t flags,
    ngx_http_request_t **psr);
ngx_int_t ngx_http_chatcompletions_post_json(ngx_http_request_t *sr,
    u_char *data, size_t len);
ngx_int_t ngx_http_chatcompletions_post_body(ngx_http_request_t *sr,
    u_char *data, size_t len, char *type);
void ngx_http_chatcompletions_run_masked(ngx_http_request_t *sr);
ngx_int_t ngx_http_chatcompletions_cancel_upstream(ngx_http_request_t *sr);
ngx_int_t ngx_http_chatcompletions_read_small_file(ngx_pool_t *pool,
    ngx_log_t *log, u_char *path, ngx_str_t *out);
ngx_int_t ngx_http_chatcompletions_getenv(const char *name, ngx_str_t *value);
ngx_int_t ngx_http_chatcompletions_conf_getenv(ngx_conf_t *cf,
    const char *name, ngx_str_t *value);
ngx_int_t ngx_http_chatcompletions_split_url(ngx_str_t *url,
    ngx_str_t *host);
ngx_int_t ngx_http_chatcompletions_sign_post(ngx_http_request_t *r,
    cc_alloc_t *a, cc_sigv4_request_t *req, char *type, ngx_str_t *host,
    ngx_http_chatcompletions_auth_t *auth, const char **err);
ngx_int_t ngx_http_chatcompletions_auth_headers(ngx_http_request_t *sr,
    ngx_http_chatcompletions_auth_t *auth);
ngx_int_t ngx_http_chatcompletions_add_input_header(ngx_http_request_t *sr,
    char *key, u_char *value, size_t len);
ngx_int_t ngx_http_chatcompletions_read_file(ngx_conf_t *cf,
    ngx_str_t *name, ngx_str_t *out);
ngx_int_t ngx_http_chatcompletions_stop_upstream(ngx_http_request_t *sr,
    ngx_uint_t timed_out);
ngx_uint_t ngx_http_chatcompletions_upstream_short(ngx_http_request_t *sr);

/* output.c: what goes to the client */
ngx_int_t ngx_http_chatcompletions_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *type, const char *code,
    ngx_str_t *param, ngx_str_t *message);
ngx_int_t ngx_http_chatcompletions_send_json(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *json);
ngx_int_t ngx_http_chatcompletions_send_sse_header(
    ngx_http_chatcompletions_ctx_t *ctx);
ngx_int_t ngx_http_chatcompletions_emit(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_request_t *r, u_char *data, size_t len, ngx_uint_t last);
ngx_int_t ngx_http_chatcompletions_emit_pend(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_request_t *r);
ngx_int_t ngx_http_chatcompletions_send_buffered(ngx_http_request_t *r);

/* targets.c: where an attempt goes, and another one after a failure */
char *ngx_http_chatcompletions_target(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_chatcompletions_merge_targets(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf);
ngx_str_t *ngx_http_chatcompletions_target_model_id(
    ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_target_t *t);
ngx_int_t ngx_http_chatcompletions_retry(ngx_http_chatcompletions_ctx_t *ctx);
ngx_uint_t ngx_http_chatcompletions_first_target(
    ngx_http_chatcompletions_ctx_t *ctx);
ngx_uint_t ngx_http_chatcompletions_hedge_target(
    ngx_http_chatcompletions_ctx_t *ctx);
void ngx_http_chatcompletions_deadline_arm(
    ngx_http_chatcompletions_ctx_t *ctx);
void ngx_http_chatcompletions_hedge_lost(
    ngx_http_chatcompletions_attempt_t *a, const char *why);
void ngx_http_chatcompletions_target_ok(ngx_http_chatcompletions_ctx_t *ctx);
char *ngx_http_chatcompletions_cooldown(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_chatcompletions_targets_init(ngx_conf_t *cf);

/* keys.c: who may call */
char *ngx_http_chatcompletions_api_keys(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_chatcompletions_key_check(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_int_t *rc);
ngx_int_t ngx_http_chatcompletions_key_reserve(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_int_t *rc);
ngx_int_t ngx_http_chatcompletions_key_model(
    ngx_http_chatcompletions_ctx_t *ctx);
ngx_int_t ngx_http_chatcompletions_key_identify(ngx_http_request_t *r,
    ngx_http_chatcompletions_ctx_t *ctx, ngx_int_t *rc);
ngx_int_t ngx_http_chatcompletions_key_allows(void *key, ngx_str_t *name,
    ngx_str_t *id);
ngx_int_t ngx_http_chatcompletions_keys_init(ngx_conf_t *cf);
ngx_int_t ngx_http_chatcompletions_key_label(
    ngx_http_chatcompletions_ctx_t *ctx);

/* extras.c: guardrail, latency, service tier, images, request metadata */
char *ngx_http_chatcompletions_guardrail(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_chatcompletions_latency(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_chatcompletions_service_tier(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_chatcompletions_service_tier_allow(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
void ngx_http_chatcompletions_extras_create(
    ngx_http_chatcompletions_loc_conf_t *conf);
char *ngx_http_chatcompletions_merge_extras(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf);
void ngx_http_chatcompletions_extras_options(
    ngx_http_chatcompletions_ctx_t *ctx);
void ngx_http_chatcompletions_extras_log(
    ngx_http_chatcompletions_ctx_t *ctx);

/* models.c: GET /v1/models and /v1/models/{id} */
char *ngx_http_chatcompletions_models(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* metrics.c: Prometheus counters in shared memory */
typedef enum {
    NGX_HTTP_CHATCOMPLETIONS_M_ATTEMPT = 0,
    NGX_HTTP_CHATCOMPLETIONS_M_RETRY,
    NGX_HTTP_CHATCOMPLETIONS_M_FALLBACK,
    NGX_HTTP_CHATCOMPLETIONS_M_HEDGE,
    NGX_HTTP_CHATCOMPLETIONS_M_HEDGE_WON,
    NGX_HTTP_CHATCOMPLETIONS_M_STREAM,
    NGX_HTTP_CHATCOMPLETIONS_M_DELTA
} ngx_http_chatcompletions_metric_e;

#define NGX_HTTP_CHATCOMPLETIONS_TOOL_OK       0
#define NGX_HTTP_CHATCOMPLETIONS_TOOL_ERROR    1
#define NGX_HTTP_CHATCOMPLETIONS_TOOL_TIMEOUT  2

char *ngx_http_chatcompletions_metrics_zone(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_chatcompletions_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_chatcompletions_metrics_init(ngx_conf_t *cf);
ngx_int_t ngx_http_chatcompletions_metrics_label(ngx_conf_t *cf,
    ngx_array_t **a, ngx_str_t *value);
void ngx_http_chatcompletions_metric(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_metric_e what,
    ngx_http_chatcompletions_target_t *target);
void ngx_http_chatcompletions_metric_tool(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_tool_conf_t *tool, ngx_uint_t outcome,
    ngx_msec_t ms);
void ngx_http_chatcompletions_metric_refresh(ngx_http_request_t *r,
    ngx_uint_t source, ngx_uint_t ok);

/* resolve.c: upstream servers' names followed while nginx runs */
char *ngx_http_chatcompletions_resolve(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_chatcompletions_resolve_init(ngx_conf_t *cf);
ngx_int_t ngx_http_chatcompletions_resolve_start(ngx_cycle_t *cycle);

/* module.c: configuration checks shared with targets.c */
ngx_int_t ngx_http_chatcompletions_check_region(ngx_conf_t *cf,
    ngx_str_t *region);
char *ngx_http_chatcompletions_endpoint_host(ngx_conf_t *cf,
    ngx_str_t *endpoint, ngx_str_t *host);

/* credentials.c: the AWS credential chain, shared by the workers */
char *ngx_http_chatcompletions_assume_role(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_chatcompletions_merge_credentials(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf);
ngx_int_t ngx_http_chatcompletions_profile_region(ngx_conf_t *cf,
    ngx_str_t *region);
ngx_int_t ngx_http_chatcompletions_credentials_init(ngx_conf_t *cf);
ngx_int_t ngx_http_chatcompletions_credentials(
    ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_creds_t *creds);
void ngx_http_chatcompletions_credentials_cancel(
    ngx_http_chatcompletions_ctx_t *ctx);

/* fetch.c: the fetches of a refresh, seen from the filters and variables */
ngx_http_chatcompletions_refresh_t *ngx_http_chatcompletions_fetch_of(
    ngx_http_request_t *r);
ngx_int_t ngx_http_chatcompletions_fetch_header(
    ngx_http_chatcompletions_refresh_t *rf, ngx_http_request_t *r);
ngx_int_t ngx_http_chatcompletions_fetch_body(
    ngx_http_chatcompletions_refresh_t *rf, ngx_chain_t *in);
ngx_str_t *ngx_http_chatcompletions_fetch_url(
    ngx_http_chatcompletions_refresh_t *rf);
ngx_http_chatcompletions_ctx_t *ngx_http_chatcompletions_refresh_ctx(
    ngx_http_chatcompletions_refresh_t *rf);

/* attempt.c: a Bedrock call, from credentials to its end */
ngx_int_t ngx_http_chatcompletions_build_body(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_str_t *model, cc_alloc_t *a);
ngx_int_t ngx_http_chatcompletions_attempt_start(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_post_subrequest_pt done,
    ngx_event_handler_pt stall, ngx_uint_t shadow);
void ngx_http_chatcompletions_set_fault(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_fault_e fault, char *type, char *code,
    u_char *msg, size_t len);

/* tools.c: the tool directive and the tool subrequests */
char *ngx_http_chatcompletions_tool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_chatcompletions_merge_tools(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf);
int ngx_http_chatcompletions_is_server_tool(void *data,
    const cc_str_t *name);
ngx_int_t ngx_http_chatcompletions_tools_start(
    ngx_http_chatcompletions_ctx_t *ctx, cc_round_t *round);
ngx_int_t ngx_http_chatcompletions_tools_results(
    ngx_http_chatcompletions_ctx_t *ctx);
ngx_http_chatcompletions_tool_call_t *ngx_http_chatcompletions_tool_call(
    ngx_http_request_t *r);
ngx_int_t ngx_http_chatcompletions_tool_header(
    ngx_http_chatcompletions_tool_call_t *call, ngx_http_request_t *r);
ngx_int_t ngx_http_chatcompletions_tool_body(
    ngx_http_chatcompletions_tool_call_t *call, ngx_chain_t *in);
void ngx_http_chatcompletions_tools_cancel(
    ngx_http_chatcompletions_ctx_t *ctx);
ngx_str_t *ngx_http_chatcompletions_phone(
    ngx_http_chatcompletions_ctx_t *ctx);

/* filter.c: Bedrock's answer captured and translated */
ngx_int_t ngx_http_chatcompletions_filter_init(ngx_conf_t *cf);
ngx_int_t ngx_http_chatcompletions_attempt_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
ngx_http_chatcompletions_attempt_t *ngx_http_chatcompletions_attempt_of(
    ngx_http_request_t *r);
void ngx_http_chatcompletions_drain_held(
    ngx_http_chatcompletions_attempt_t *a);
ngx_int_t ngx_http_chatcompletions_promote(
    ngx_http_chatcompletions_attempt_t *a);
ngx_int_t ngx_http_chatcompletions_activate(
    ngx_http_chatcompletions_attempt_t *a);
ngx_int_t ngx_http_chatcompletions_send_pending(
    ngx_http_chatcompletions_ctx_t *ctx);

/* lifecycle.c: the one owner of a request's life */
ngx_int_t ngx_http_chatcompletions_handler(ngx_http_request_t *r);
void ngx_http_chatcompletions_wake(ngx_http_request_t *r);

/* request.c: the client's request, read and checked */
ngx_int_t ngx_http_chatcompletions_not_allowed(ngx_http_request_t *r);
ngx_int_t ngx_http_chatcompletions_method_not_allowed(ngx_http_request_t *r,
    ngx_str_t *allow, const char *use);
ngx_int_t ngx_http_chatcompletions_prepare(
    ngx_http_chatcompletions_ctx_t *ctx);

/* variables.c */
ngx_int_t ngx_http_chatcompletions_add_variables(ngx_conf_t *cf);
ngx_uint_t ngx_http_chatcompletions_phone_read(ngx_http_request_t *r);


#endif /* _NGX_HTTP_CHATCOMPLETIONS_MODULE_H_INCLUDED_ */
