
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


static void *ngx_http_chatcompletions_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_chatcompletions_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_chatcompletions_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_chatcompletions(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_chatcompletions_model_alias(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_chatcompletions_check_country(ngx_str_t *cc);
static char *ngx_http_chatcompletions_phone_metadata(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_chatcompletions_system_prompt_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_chatcompletions_merge_endpoint(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf);
static ngx_int_t ngx_http_chatcompletions_metrics_labels(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *conf);
static ngx_int_t ngx_http_chatcompletions_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_chatcompletions_init_process(ngx_cycle_t *cycle);
static void ngx_http_chatcompletions_exit_process(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_chatcompletions_preconfiguration(ngx_conf_t *cf);


/* Bedrock features */

static ngx_conf_enum_t  ngx_http_chatcompletions_structured_modes[] = {
    { ngx_string("auto"), CC_STRUCTURED_AUTO },
    { ngx_string("native"), CC_STRUCTURED_NATIVE },
    { ngx_string("tool"), CC_STRUCTURED_TOOL },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_chatcompletions_reasoning_efforts[] = {
    { ngx_string("off"), CC_REASONING_OFF },
    { ngx_string("minimal"), CC_REASONING_MINIMAL },
    { ngx_string("low"), CC_REASONING_LOW },
    { ngx_string("medium"), CC_REASONING_MEDIUM },
    { ngx_string("high"), CC_REASONING_HIGH },
    { ngx_null_string, 0 }
};


static ngx_conf_bitmask_t  ngx_http_chatcompletions_prompt_cache_mask[] = {
    { ngx_string("off"), NGX_HTTP_CHATCOMPLETIONS_CACHE_OFF },
    { ngx_string("system"), NGX_HTTP_CHATCOMPLETIONS_CACHE_SYSTEM },
    { ngx_string("tools"), NGX_HTTP_CHATCOMPLETIONS_CACHE_TOOLS },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_chatcompletions_commands[] = {

    { ngx_string("chat_completions"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_chatcompletions,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_bedrock_location"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, bedrock_location),
      NULL },

    { ngx_string("chat_completions_region"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, region),
      NULL },

    { ngx_string("chat_completions_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, endpoint),
      NULL },

    { ngx_string("chat_completions_access_key_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, access_key_id),
      NULL },

    { ngx_string("chat_completions_secret_access_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, secret_access_key),
      NULL },

    { ngx_string("chat_completions_session_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, session_token),
      NULL },

    { ngx_string("chat_completions_api_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, api_key),
      NULL },

    { ngx_string("chat_completions_credentials_location"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, credentials_location),
      NULL },

    { ngx_string("chat_completions_credentials_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, credentials_timeout),
      NULL },

    { ngx_string("chat_completions_assume_role"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_chatcompletions_assume_role,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_ecs_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_main_conf_t, ecs_endpoint),
      NULL },

    { ngx_string("chat_completions_target"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_chatcompletions_target,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_attempts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, attempts),
      NULL },

    { ngx_string("chat_completions_retry_budget"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, retry_budget),
      NULL },

    { ngx_string("chat_completions_retry_backoff"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, retry_backoff),
      NULL },

    { ngx_string("chat_completions_api_keys"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_chatcompletions_api_keys,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_metrics_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_chatcompletions_metrics_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_chatcompletions_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_resolve"),
      NGX_HTTP_UPS_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_chatcompletions_resolve,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_first_token_deadline"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, first_token_deadline),
      NULL },

    { ngx_string("chat_completions_cooldown"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_chatcompletions_cooldown,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_model"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, model),
      NULL },

    { ngx_string("chat_completions_model_alias"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_chatcompletions_model_alias,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_model_passthrough"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, model_passthrough),
      NULL },

    { ngx_string("chat_completions_stream_default"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, stream_default),
      NULL },

    { ngx_string("chat_completions_keepalive_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, keepalive_interval),
      NULL },

    { ngx_string("chat_completions_read_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, read_timeout),
      NULL },

    { ngx_string("chat_completions_first_user_message"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, first_user_message),
      NULL },

    { ngx_string("chat_completions_max_tokens"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, max_tokens),
      NULL },

    { ngx_string("chat_completions_structured_output"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, structured_output),
      &ngx_http_chatcompletions_structured_modes },

    { ngx_string("chat_completions_reasoning_effort"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, reasoning_effort),
      &ngx_http_chatcompletions_reasoning_efforts },

    { ngx_string("chat_completions_prompt_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_conf_set_bitmask_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, prompt_cache),
      &ngx_http_chatcompletions_prompt_cache_mask },

    { ngx_string("chat_completions_system_prompt"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, system_prompt),
      NULL },

    { ngx_string("chat_completions_system_prompt_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_chatcompletions_system_prompt_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_tool"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_chatcompletions_tool,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_tool_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, tool_timeout),
      NULL },

    { ngx_string("chat_completions_tool_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, tool_max_size),
      NULL },

    { ngx_string("chat_completions_max_rounds"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, max_rounds),
      NULL },

    { ngx_string("chat_completions_phone_metadata"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_chatcompletions_phone_metadata,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_phone_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, phone_header),
      NULL },

    { ngx_string("chat_completions_phone_country_code"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, phone_country),
      NULL },

    { ngx_string("chat_completions_guardrail"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_chatcompletions_guardrail,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_latency"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_chatcompletions_latency,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_service_tier"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_chatcompletions_service_tier,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_service_tier_allow"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_chatcompletions_service_tier_allow,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("chat_completions_image_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, extras.image_max),
      NULL },

    { ngx_string("chat_completions_request_metadata"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_chatcompletions_loc_conf_t, extras.request_metadata),
      NULL },

    { ngx_string("chat_completions_models"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_chatcompletions_models,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_chatcompletions_module_ctx = {
    ngx_http_chatcompletions_preconfiguration, /* preconfiguration */
    ngx_http_chatcompletions_init,         /* postconfiguration */

    ngx_http_chatcompletions_create_main_conf, /* create main conf */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_chatcompletions_create_loc_conf, /* create location conf */
    ngx_http_chatcompletions_merge_loc_conf   /* merge location conf */
};


ngx_module_t  ngx_http_chatcompletions_module = {
    NGX_MODULE_V1,
    &ngx_http_chatcompletions_module_ctx,  /* module context */
    ngx_http_chatcompletions_commands,     /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_chatcompletions_init_process, /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_chatcompletions_exit_process, /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_chatcompletions_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_pcalloc(cf->pool,
                        sizeof(ngx_http_chatcompletions_main_conf_t));
    if (ccmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&ccmcf->roles, cf->pool, 2,
                       sizeof(ngx_http_chatcompletions_role_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return ccmcf;
}


static void *
ngx_http_chatcompletions_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_chatcompletions_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_chatcompletions_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->bedrock_location = { 0, NULL };
     *     conf->region = { 0, NULL };
     *     conf->endpoint = { 0, NULL };
     *     conf->host = { 0, NULL };
     *     conf->targets = NULL;
     *     conf->targets_own = 0;
     *     conf->credentials_location = { 0, NULL };
     *     conf->model = { 0, NULL };
     *     conf->first_user_message = { 0, NULL };
     *     conf->aliases = NULL;
     *     conf->system_prompt = { 0, NULL };
     *     conf->tools = NULL;
     *     conf->cc_tools = NULL;
     *     conf->phone_metadata = NULL;
     *     conf->phone_header = { 0, NULL };
     *     conf->phone_country = { 0, NULL };
     *     conf->prompt_cache = 0;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->access_key_id = NGX_CONF_UNSET_PTR;
    conf->secret_access_key = NGX_CONF_UNSET_PTR;
    conf->session_token = NGX_CONF_UNSET_PTR;
    conf->api_key = NGX_CONF_UNSET_PTR;
    conf->credentials_timeout = NGX_CONF_UNSET_MSEC;
    conf->assume_role = NGX_CONF_UNSET_PTR;
    conf->model_passthrough = NGX_CONF_UNSET;
    conf->stream_default = NGX_CONF_UNSET;
    conf->keepalive_interval = NGX_CONF_UNSET_MSEC;
    conf->read_timeout = NGX_CONF_UNSET_MSEC;
    conf->max_tokens = NGX_CONF_UNSET;
    conf->tool_timeout = NGX_CONF_UNSET_MSEC;
    conf->tool_max_size = NGX_CONF_UNSET_SIZE;
    conf->max_rounds = NGX_CONF_UNSET_UINT;
    conf->attempts = NGX_CONF_UNSET_UINT;
    conf->retry_budget = NGX_CONF_UNSET_MSEC;
    conf->retry_backoff = NGX_CONF_UNSET_MSEC;
    conf->cooldown = NGX_CONF_UNSET_MSEC;
    conf->first_token_deadline = NGX_CONF_UNSET_MSEC;
    conf->structured_output = NGX_CONF_UNSET_UINT;
    conf->reasoning_effort = NGX_CONF_UNSET_UINT;
    conf->metrics_location = NGX_CONF_UNSET;
    conf->keys = NGX_CONF_UNSET_PTR;
    conf->cooldown_failures = NGX_CONF_UNSET_UINT;

    ngx_http_chatcompletions_extras_create(conf);

    return conf;
}


static char *
ngx_http_chatcompletions_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_chatcompletions_loc_conf_t *prev = parent;
    ngx_http_chatcompletions_loc_conf_t *conf = child;

    /* like the content handler it sets, chat_completions is not inherited */
    if (conf->enable == NGX_CONF_UNSET) {
        conf->enable = 0;
    }

    ngx_conf_merge_str_value(conf->bedrock_location, prev->bedrock_location,
                             "/_bedrock");

    if (conf->bedrock_location.data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_bedrock_location \"%V\" "
                           "must start with \"/\"", &conf->bedrock_location);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_chatcompletions_merge_endpoint(cf, prev, conf)
        || ngx_http_chatcompletions_merge_targets(cf, prev, conf)
        != NGX_CONF_OK
        || ngx_http_chatcompletions_merge_credentials(cf, prev, conf)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* a key pair set here does not take an outer pair's session token */
    if (conf->access_key_id != NGX_CONF_UNSET_PTR
        && conf->session_token == NGX_CONF_UNSET_PTR)
    {
        conf->session_token = NULL;
    }

    ngx_conf_merge_ptr_value(conf->access_key_id, prev->access_key_id, NULL);
    ngx_conf_merge_ptr_value(conf->secret_access_key,
                             prev->secret_access_key, NULL);
    ngx_conf_merge_ptr_value(conf->session_token, prev->session_token, NULL);
    ngx_conf_merge_ptr_value(conf->api_key, prev->api_key, NULL);

    if ((conf->access_key_id == NULL) != (conf->secret_access_key == NULL)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_access_key_id and "
                           "chat_completions_secret_access_key "
                           "must be set together");
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_str_value(conf->model, prev->model,
                             NGX_HTTP_CHATCOMPLETIONS_DEFAULT_MODEL);

    if (conf->aliases == NULL) {
        conf->aliases = prev->aliases;
    }

    ngx_conf_merge_value(conf->model_passthrough, prev->model_passthrough, 0);
    ngx_conf_merge_value(conf->stream_default, prev->stream_default, 1);
    ngx_conf_merge_msec_value(conf->keepalive_interval,
                              prev->keepalive_interval, 10000);
    ngx_conf_merge_msec_value(conf->read_timeout, prev->read_timeout, 60000);
    ngx_conf_merge_str_value(conf->first_user_message,
                             prev->first_user_message, "Hello.");
    ngx_conf_merge_value(conf->max_tokens, prev->max_tokens, 0);

    ngx_conf_merge_uint_value(conf->structured_output,
                              prev->structured_output, CC_STRUCTURED_AUTO);
    ngx_conf_merge_uint_value(conf->reasoning_effort,
                              prev->reasoning_effort, CC_REASONING_OFF);
    ngx_conf_merge_bitmask_value(conf->prompt_cache, prev->prompt_cache,
                                 (NGX_CONF_BITMASK_SET
                                  |NGX_HTTP_CHATCOMPLETIONS_CACHE_OFF));

    ngx_conf_merge_str_value(conf->system_prompt, prev->system_prompt, "");
    ngx_conf_merge_msec_value(conf->tool_timeout, prev->tool_timeout, 10000);
    ngx_conf_merge_size_value(conf->tool_max_size, prev->tool_max_size,
                              64 * 1024);
    ngx_conf_merge_uint_value(conf->max_rounds, prev->max_rounds, 5);

    if (conf->phone_metadata == NULL) {
        conf->phone_metadata = prev->phone_metadata;
    }

    ngx_conf_merge_str_value(conf->phone_header, prev->phone_header, "");
    ngx_conf_merge_str_value(conf->phone_country, prev->phone_country, "1");

    if (conf->max_rounds < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_max_rounds must be at least 1");
        return NGX_CONF_ERROR;
    }

    if (conf->tool_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_tool_timeout must not be 0");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_chatcompletions_check_country(&conf->phone_country)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid chat_completions_phone_country_code "
                           "\"%V\": 1 to 3 digits, such as \"1\" or "
                           "\"44\"", &conf->phone_country);
        return NGX_CONF_ERROR;
    }

    if (conf->tool_max_size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_tool_max_size must not be 0");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_chatcompletions_merge_tools(cf, prev, conf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->max_tokens < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_max_tokens must not be "
                           "negative");
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_value(conf->metrics_location, prev->metrics_location, -1);
    ngx_conf_merge_ptr_value(conf->keys, prev->keys, NULL);

    if (ngx_http_chatcompletions_merge_extras(cf, prev, conf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->enable == 1
        && ngx_http_chatcompletions_metrics_labels(cf, conf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the label values a location may give the metrics: its configuration's */

static ngx_int_t
ngx_http_chatcompletions_metrics_labels(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *conf)
{
    ngx_int_t                              rc;
    ngx_uint_t                             i, j;
    ngx_keyval_t                          *kv;
    ngx_http_chatcompletions_alias_t      *alias;
    ngx_http_chatcompletions_target_t     *t;
    ngx_http_chatcompletions_tool_conf_t  *tool;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_chatcompletions_module);

    if (ngx_http_chatcompletions_metrics_label(cf, &ccmcf->m_models,
                                               &conf->model)
        == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    if (conf->aliases) {
        alias = conf->aliases->elts;

        for (i = 0; i < conf->aliases->nelts; i++) {
            if (ngx_http_chatcompletions_metrics_label(cf, &ccmcf->m_models,
                                                       &alias[i].model_id)
                == NGX_ERROR)
            {
                return NGX_ERROR;
            }
        }
    }

    t = conf->targets->elts;

    for (i = 0; i < conf->targets->nelts; i++) {
        rc = ngx_http_chatcompletions_metrics_label(cf, &ccmcf->m_targets,
                                                    &t[i].host);
        t[i].label = rc + 1;

        if (rc == NGX_ERROR
            || (t[i].model.len
                && ngx_http_chatcompletions_metrics_label(cf,
                                          &ccmcf->m_models, &t[i].model)
                   == NGX_ERROR))
        {
            return NGX_ERROR;
        }

        if (t[i].maps == NULL) {
            continue;
        }

        kv = t[i].maps->elts;

        for (j = 0; j < t[i].maps->nelts; j++) {
            if (ngx_http_chatcompletions_metrics_label(cf, &ccmcf->m_models,
                                                       &kv[j].value)
                == NGX_ERROR)
            {
                return NGX_ERROR;
            }
        }
    }

    if (conf->tools) {
        tool = conf->tools->elts;

        for (i = 0; i < conf->tools->nelts; i++) {
            rc = ngx_http_chatcompletions_metrics_label(cf, &ccmcf->m_tools,
                                                        &tool[i].name);
            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            tool[i].label = rc + 1;
        }
    }

    return NGX_OK;
}


static char *
ngx_http_chatcompletions_merge_endpoint(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf)
{
    char       *env;
    size_t      len;
    ngx_str_t   v;

    /* region and endpoint follow the AWS SDKs' environment variables */

    if (conf->region.data == NULL) {
        conf->region = prev->region;
    }

    if (conf->region.data == NULL) {
        /* as the workers see it: an "env NAME=value" directive wins */

        if (ngx_http_chatcompletions_conf_getenv(cf, "AWS_REGION", &v)
            || ngx_http_chatcompletions_conf_getenv(cf, "AWS_DEFAULT_REGION",
                                                    &v))
        {
            env = (char *) v.data;

        } else {
            /* the shared files' profile, as the SDKs */
            if (ngx_http_chatcompletions_profile_region(cf, &conf->region)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            env = conf->region.len ? NULL : "us-east-1";
        }

        if (env) {
            conf->region.len = ngx_strlen(env);
            conf->region.data = ngx_pnalloc(cf->pool, conf->region.len);
            if (conf->region.data == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_memcpy(conf->region.data, env, conf->region.len);
        }
    }

    if (ngx_http_chatcompletions_check_region(cf, &conf->region) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /*
     * An endpoint that was only derived from the region is derived again
     * where the region changes.
     */

    if (conf->endpoint.data == NULL
        && !(prev->endpoint_derived
             && (conf->region.len != prev->region.len
                 || ngx_strncmp(conf->region.data, prev->region.data,
                                conf->region.len) != 0)))
    {
        conf->endpoint = prev->endpoint;
        conf->host = prev->host;
        conf->endpoint_derived = prev->endpoint_derived;
    }

    if (conf->endpoint.data == NULL) {
        if (ngx_http_chatcompletions_conf_getenv(cf,
                                        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", &v)
            || ngx_http_chatcompletions_conf_getenv(cf, "AWS_ENDPOINT_URL",
                                                    &v))
        {
            env = (char *) v.data;
            conf->endpoint.len = ngx_strlen(env);
            conf->endpoint.data = ngx_pnalloc(cf->pool, conf->endpoint.len);
            if (conf->endpoint.data == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_memcpy(conf->endpoint.data, env, conf->endpoint.len);

        } else {
            conf->endpoint_derived = 1;

            len = sizeof("https://bedrock-runtime..amazonaws.com") - 1
                  + conf->region.len;

            conf->endpoint.data = ngx_pnalloc(cf->pool, len);
            if (conf->endpoint.data == NULL) {
                return NGX_CONF_ERROR;
            }

            conf->endpoint.len = ngx_sprintf(conf->endpoint.data,
                                        "https://bedrock-runtime.%V"
                                        ".amazonaws.com", &conf->region)
                                 - conf->endpoint.data;
        }
    }

    if (conf->host.data == NULL) {
        if (ngx_http_chatcompletions_endpoint_host(cf, &conf->endpoint,
                                                   &conf->host)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* lowercase letters, digits, "-" */

ngx_int_t
ngx_http_chatcompletions_check_region(ngx_conf_t *cf, ngx_str_t *region)
{
    u_char      c;
    ngx_uint_t  i;

    for (i = 0; i < region->len; i++) {
        c = region->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid Bedrock region \"%V\"", region);
            return NGX_ERROR;
        }
    }

    if (region->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "empty Bedrock region");
        return NGX_ERROR;
    }

    return NGX_OK;
}


char *
ngx_http_chatcompletions_endpoint_host(ngx_conf_t *cf, ngx_str_t *endpoint,
    ngx_str_t *host)
{
    u_char  *p, *last, *start;

    p = endpoint->data;
    last = p + endpoint->len;

    if (endpoint->len > 8
        && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0)
    {
        p += 8;

    } else if (endpoint->len > 7
               && ngx_strncasecmp(p, (u_char *) "http://", 7) == 0)
    {
        p += 7;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Bedrock endpoint \"%V\": "
                           "it must start with \"https://\" or \"http://\"",
                           endpoint);
        return NGX_CONF_ERROR;
    }

    start = p;

    while (p < last && *p != '/' && *p != '?') {
        p++;
    }

    if (p == start || (p < last && !(*p == '/' && p + 1 == last))) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Bedrock endpoint \"%V\": "
                           "expected a scheme and a host, with no path",
                           endpoint);
        return NGX_CONF_ERROR;
    }

    host->data = start;
    host->len = p - start;

    return NGX_CONF_OK;
}


static char *
ngx_http_chatcompletions(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_http_core_loc_conf_t              *clcf;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    if (cclcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    cclcf->enable = 1;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_chatcompletions_module);
    ccmcf->used = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_chatcompletions_handler;

    /* a label of the metrics: the location as written */
    cclcf->metrics_location = ngx_http_chatcompletions_metrics_label(cf,
                                            &ccmcf->m_locations, &clcf->name);
    if (cclcf->metrics_location == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_chatcompletions_model_alias(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_http_chatcompletions_alias_t  *alias;

    value = cf->args->elts;

    if (value[1].len == 0 || value[2].len == 0 || value[2].len > 2048) {
        return "takes a non-empty model name and Bedrock model id";
    }

    if (cclcf->aliases == NULL) {
        cclcf->aliases = ngx_array_create(cf->pool, 4,
                                     sizeof(ngx_http_chatcompletions_alias_t));
        if (cclcf->aliases == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    alias = cclcf->aliases->elts;

    for (i = 0; i < cclcf->aliases->nelts; i++) {
        if (alias[i].name.len == value[1].len
            && ngx_strncmp(alias[i].name.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate model alias \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    alias = ngx_array_push(cclcf->aliases);
    if (alias == NULL) {
        return NGX_CONF_ERROR;
    }

    alias->name = value[1];
    alias->model_id = value[2];

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_chatcompletions_check_country(ngx_str_t *cc)
{
    size_t   i, start;

    start = (cc->len && cc->data[0] == '+') ? 1 : 0;

    if (cc->len - start < 1 || cc->len - start > 3
        || cc->data[start] == '0')
    {
        return NGX_ERROR;
    }

    for (i = start; i < cc->len; i++) {
        if (cc->data[i] < '0' || cc->data[i] > '9') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static char *
ngx_http_chatcompletions_phone_metadata(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_str_t   *value;
    cc_str_t    *name;
    ngx_uint_t   i;

    if (cclcf->phone_metadata) {
        return "is duplicate";
    }

    cclcf->phone_metadata = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                             sizeof(cc_str_t));
    if (cclcf->phone_metadata == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        name = ngx_array_push(cclcf->phone_metadata);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        name->data = value[i].data;
        name->len = value[i].len;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_chatcompletions_system_prompt_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_str_t  *value;

    if (cclcf->system_prompt.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_chatcompletions_read_file(cf, &value[1],
                                           &cclcf->system_prompt)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_chatcompletions_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_chatcompletions_add_variables(cf);
}


static ngx_int_t
ngx_http_chatcompletions_init(ngx_conf_t *cf)
{
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_chatcompletions_module);

    if (ngx_http_chatcompletions_resolve_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the filters cost nothing where no location uses the module */
    if (!ccmcf->used) {
        return NGX_OK;
    }

    if (ngx_http_chatcompletions_credentials_init(cf) != NGX_OK
        || ngx_http_chatcompletions_targets_init(cf) != NGX_OK
        || ngx_http_chatcompletions_metrics_init(cf) != NGX_OK
        || ngx_http_chatcompletions_keys_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_chatcompletions_filter_init(cf);
}


static ngx_int_t
ngx_http_chatcompletions_init_process(ngx_cycle_t *cycle)
{
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                             ngx_http_chatcompletions_module);

    if (ccmcf == NULL) {
        return NGX_OK;
    }

    if (ngx_http_chatcompletions_resolve_start(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!ccmcf->used) {
        return NGX_OK;
    }

    return ngx_http_chatcompletions_scratch_init(cycle);
}


static void
ngx_http_chatcompletions_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_chatcompletions_scratch_done();
}
