
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_STS_H_INCLUDED_
#define _CC_STS_H_INCLUDED_


/*
 * STS's query protocol, without nginx: its XML answers (expat) and its
 * request bodies.  Secrets are never copied into an error text.
 */


#include "cc_awscreds.h"


/*
 * STS's answer to AssumeRole or AssumeRoleWithWebIdentity (any
 * document of Credentials in a *Result in a *Response, namespaces
 * ignored), parsed with expat.  On an <ErrorResponse>, CC_ERROR with
 * code and message (copied from the document: they never hold a
 * secret); on anything else that is not a complete Credentials element,
 * CC_ERROR with code "MalformedResponse" and a static message.
 */
int cc_sts_parse(cc_alloc_t *a, const u_char *data, size_t len,
    cc_aws_creds_t *out, cc_str_t *code, cc_str_t *message);


/* the query-protocol body of an STS call */
typedef struct {
    cc_str_t                  action;            /* AssumeRole... */
    cc_str_t                  role_arn;
    cc_str_t                  session_name;
    cc_str_t                  web_identity_token;  /* WithWebIdentity */
    cc_str_t                  external_id;       /* AssumeRole; optional */
    int64_t                   duration;          /* seconds; 0: omitted */
} cc_sts_call_t;


/*
 * "Action=...&Version=2011-06-15&RoleArn=...&RoleSessionName=..."
 * (then DurationSeconds, ExternalId, WebIdentityToken when set), each
 * value form-encoded the way AWS's SDKs do (RFC 3986 unreserved bytes
 * kept, everything else %XX uppercase).
 */
int cc_sts_body(cc_alloc_t *a, const cc_sts_call_t *call, cc_str_t *body);


#endif /* _CC_STS_H_INCLUDED_ */
