
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_MODELS_H_INCLUDED_
#define _CC_MODELS_H_INCLUDED_


/*
 * OpenAI's models endpoint, pure: a model object and the list of them
 * ({"object":"list","data":[...]}), owned_by taken from the Bedrock model
 * id behind each name.
 */


#include "cc_json.h"


typedef struct {
    cc_str_t                  id;           /* the name clients send */
    cc_str_t                  model_id;     /* the Bedrock model id */
} cc_model_entry_t;


/*
 * Who makes a Bedrock model: "anthropic" for anthropic.claude-... and
 * us.anthropic.claude-... (an inference profile's region prefix is
 * skipped), "aws-bedrock" for an ARN or an id without a provider.
 */
void cc_model_owner(const cc_str_t *model_id, cc_str_t *owner);

/* {"id":..,"object":"model","created":..,"owned_by":..}: CC_OK, CC_ERROR */
int cc_model_object(cc_alloc_t *a, const cc_model_entry_t *m,
    int64_t created, cc_str_t *out);

/* {"object":"list","data":[...]} of n entries, in order */
int cc_models_list(cc_alloc_t *a, const cc_model_entry_t *m, size_t n,
    int64_t created, cc_str_t *out);


#endif /* _CC_MODELS_H_INCLUDED_ */
