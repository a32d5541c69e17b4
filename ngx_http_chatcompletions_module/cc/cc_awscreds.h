
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_AWSCREDS_H_INCLUDED_
#define _CC_AWSCREDS_H_INCLUDED_


/*
 * The wire formats of AWS's credential sources, without nginx: the JSON
 * answers of the instance metadata service and of the container
 * endpoint (yajl), the ISO 8601 times they carry, which container hosts
 * plain http may use; STS is cc_sts, the shared files cc_profile.
 * Nothing here does I/O.
 *
 * Secrets are never copied into an error text.
 */


#include "cc_core.h"


typedef struct {
    cc_str_t                  access_key;
    cc_str_t                  secret_key;
    cc_str_t                  session_token;     /* may be empty */
    int64_t                   expiration;        /* unix time; 0: never */
} cc_aws_creds_t;


/*
 * "2026-12-06T12:00:00Z", also with fractional seconds
 * ("...:00.123Z") and a numeric offset ("+00:00", "-0530"); into unix
 * seconds.  CC_ERROR when it is not such a time.
 */
int cc_iso8601_parse(const u_char *p, size_t len, int64_t *t);


/*
 * The JSON of IMDS (".../security-credentials/<role>") and of the
 * container endpoint: AccessKeyId, SecretAccessKey, Token, Expiration;
 * IMDS's "Code" must be "Success" when present.  On CC_ERROR, *err is a
 * static text without any value from the document.
 */
int cc_creds_parse_json(cc_alloc_t *a, const u_char *data, size_t len,
    cc_aws_creds_t *out, const char **err);


/*
 * 1 when an http (not https) container credentials endpoint may use this
 * URL authority, as the SDKs allow: localhost, 127.a.b.c written in full,
 * [::1], the ECS agent 169.254.170.2, the EKS Pod Identity agent
 * 169.254.170.23; each with an optional ":port".  A name that merely
 * starts like one ("127.0.0.1.example", "localhost.example") is not one.
 */
int cc_container_host_ok(const u_char *authority, size_t len);


#endif /* _CC_AWSCREDS_H_INCLUDED_ */
