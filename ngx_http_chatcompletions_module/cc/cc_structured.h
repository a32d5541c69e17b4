
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_STRUCTURED_H_INCLUDED_
#define _CC_STRUCTURED_H_INCLUDED_


/*
 * OpenAI's response_format on Bedrock, pure.  Two ways:
 *
 *   native: Converse's outputConfig.textFormat, {"type":"json_schema",
 *     "structure":{"jsonSchema":{"schema":"<the schema as a string>",
 *     "name":..,"description":..}}}, for the models that have it;
 *   tool: a synthetic tool whose inputSchema is the schema, forced with
 *     toolChoice {"tool":{"name":..}}; its input is the answer's content.
 *
 * json_object has no schema to give Bedrock's structured output (which
 * wants every object closed), so it always takes the tool way, with an
 * open object schema.
 */


#include "cc_json.h"


typedef enum {
    CC_FORMAT_NONE = 0,           /* absent, null, or {"type":"text"} */
    CC_FORMAT_JSON_OBJECT,
    CC_FORMAT_JSON_SCHEMA
} cc_format_e;


typedef enum {
    CC_STRUCTURED_AUTO = 0,       /* native for the models listed */
    CC_STRUCTURED_NATIVE,
    CC_STRUCTURED_TOOL
} cc_structured_mode_e;


typedef struct {
    cc_format_e               type;
    cc_str_t                  name;          /* json_schema.name */
    cc_str_t                  description;   /* empty: none */
    cc_json_t                *schema;        /* NULL: an open object */
    unsigned                  strict:1;
} cc_response_format_t;


/* the tool's name for json_object */
#define CC_STRUCTURED_OBJECT_NAME    "json_object"


/*
 * 1 if the model has Converse's structured output by the built-in list
 * (substrings of the model id: Claude Haiku 4.5, Sonnet 4.5, Opus 4.5
 * and Opus 4.6).
 */
int cc_structured_model_native(const cc_str_t *model_id);

/* 1: outputConfig; 0: the forced tool (also 0 for CC_FORMAT_NONE) */
int cc_structured_native(const cc_response_format_t *rf,
    cc_structured_mode_e mode, const cc_str_t *model_id);

/* 1: the forced tool carries the answer */
int cc_structured_forced(const cc_response_format_t *rf,
    cc_structured_mode_e mode, const cc_str_t *model_id);

/* the synthetic tool's name */
void cc_structured_tool_name(const cc_response_format_t *rf,
    cc_str_t *name);

/* "outputConfig":{"textFormat":{...}} */
int cc_structured_gen_output_config(cc_alloc_t *a, yajl_gen g,
    const cc_response_format_t *rf);

/*
 * "toolConfig":{"tools":[{"toolSpec":{...}}],"toolChoice":{"tool":..}}
 * without the closing brace of toolConfig: the caller may add a
 * cachePoint to the open tools array first (tools_open says so); call
 * cc_structured_gen_tool_end() after.
 */
int cc_structured_gen_tool(cc_alloc_t *a, yajl_gen g,
    const cc_response_format_t *rf);
int cc_structured_gen_tool_end(yajl_gen g, const cc_response_format_t *rf);


#endif /* _CC_STRUCTURED_H_INCLUDED_ */
