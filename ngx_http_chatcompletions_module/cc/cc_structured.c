
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <string.h>

#include "cc_structured.h"


static int cc_structured_open_schema(yajl_gen g);


/* the models with Converse's structured output, as parts of their ids */
static const char  *cc_structured_models[] = {
    "anthropic.claude-haiku-4-5",
    "anthropic.claude-sonnet-4-5",
    "anthropic.claude-opus-4-5",
    "anthropic.claude-opus-4-6",
    NULL
};


static cc_str_t  cc_structured_tool_text =
    cc_string("Give the final answer with this tool: its input is the "
              "answer, a JSON object that follows the schema.");


int
cc_structured_model_native(const cc_str_t *model_id)
{
    size_t        i, n;
    const char  **m;

    if (model_id == NULL) {
        return 0;
    }

    for (m = cc_structured_models; *m; m++) {
        n = strlen(*m);

        for (i = 0; n <= model_id->len && i <= model_id->len - n; i++) {
            if (memcmp(model_id->data + i, *m, n) == 0) {
                return 1;
            }
        }
    }

    return 0;
}


int
cc_structured_native(const cc_response_format_t *rf,
    cc_structured_mode_e mode, const cc_str_t *model_id)
{
    if (rf->type != CC_FORMAT_JSON_SCHEMA || rf->schema == NULL) {
        return 0;
    }

    switch (mode) {

    case CC_STRUCTURED_NATIVE:
        return 1;

    case CC_STRUCTURED_TOOL:
        return 0;

    default:
        return cc_structured_model_native(model_id);
    }
}


int
cc_structured_forced(const cc_response_format_t *rf,
    cc_structured_mode_e mode, const cc_str_t *model_id)
{
    return rf->type != CC_FORMAT_NONE
           && !cc_structured_native(rf, mode, model_id);
}


void
cc_structured_tool_name(const cc_response_format_t *rf, cc_str_t *name)
{
    static cc_str_t  object = cc_string(CC_STRUCTURED_OBJECT_NAME);

    if (rf->type == CC_FORMAT_JSON_SCHEMA && rf->name.len) {
        *name = rf->name;

    } else {
        *name = object;
    }
}


int
cc_structured_gen_output_config(cc_alloc_t *a, yajl_gen g,
    const cc_response_format_t *rf)
{
    cc_str_t  schema;

    /* Bedrock takes the schema as a string of JSON */
    if (cc_json_serialize(a, rf->schema, &schema) != CC_OK) {
        return CC_ERROR;
    }

    if (cc_gen_lit(g, "outputConfig") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "textFormat") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "type") || cc_gen_lit(g, "json_schema")
        || cc_gen_lit(g, "structure") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "jsonSchema") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "schema") || cc_gen_str(g, &schema)
        || cc_gen_lit(g, "name") || cc_gen_str(g, &rf->name))
    {
        return CC_ERROR;
    }

    if (rf->description.len
        && (cc_gen_lit(g, "description")
            || cc_gen_str(g, &rf->description)))
    {
        return CC_ERROR;
    }

    if (yajl_gen_map_close(g) || yajl_gen_map_close(g)
        || yajl_gen_map_close(g) || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


/* {"type":"object","additionalProperties":true} */
static int
cc_structured_open_schema(yajl_gen g)
{
    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "type") || cc_gen_lit(g, "object")
        || cc_gen_lit(g, "additionalProperties") || yajl_gen_bool(g, 1)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


int
cc_structured_gen_tool(cc_alloc_t *a, yajl_gen g,
    const cc_response_format_t *rf)
{
    cc_str_t         name;
    const cc_str_t  *desc;

    (void) a;

    cc_structured_tool_name(rf, &name);

    desc = rf->description.len ? &rf->description : &cc_structured_tool_text;

    if (cc_gen_lit(g, "toolConfig") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "tools") || yajl_gen_array_open(g)
        || yajl_gen_map_open(g)
        || cc_gen_lit(g, "toolSpec") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "name") || cc_gen_str(g, &name)
        || cc_gen_lit(g, "description") || cc_gen_str(g, desc)
        || cc_gen_lit(g, "inputSchema") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "json"))
    {
        return CC_ERROR;
    }

    if (rf->type == CC_FORMAT_JSON_SCHEMA && rf->schema != NULL) {
        if (cc_json_gen(g, rf->schema) != CC_OK) {
            return CC_ERROR;
        }

    } else if (cc_structured_open_schema(g) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_close(g) || yajl_gen_map_close(g)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


int
cc_structured_gen_tool_end(yajl_gen g, const cc_response_format_t *rf)
{
    cc_str_t  name;

    cc_structured_tool_name(rf, &name);

    if (yajl_gen_array_close(g)
        || cc_gen_lit(g, "toolChoice") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "tool") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "name") || cc_gen_str(g, &name)
        || yajl_gen_map_close(g) || yajl_gen_map_close(g)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return CC_OK;
}
