
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_AWSCREDS_H_INCLUDED_
#define _CC_AWSCREDS_H_INCLUDED_


/*
 * The wire formats of AWS's credential sources, without nginx: the JSON
 * answers of the instance metadata service and of the container
 * endpoint (yajl), STS's XML answers (expat), the ISO 8601 times they
 * carry, STS's query-protocol request bodies, and the profiles of the
 * shared credentials and config files.  Nothing here does I/O.
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


/*
 * A profile of the shared files.  The credentials file's [name] section
 * gives the keys; the config file's [profile name] section (or [default]
 * for "default") gives the rest; a key found in both: the credentials
 * file wins.  Absent values have data == NULL.
 */
typedef struct {
    unsigned                  found:1;           /* in either file */

    cc_str_t                  access_key;        /* aws_access_key_id */
    cc_str_t                  secret_key;        /* aws_secret_access_key */
    cc_str_t                  session_token;     /* aws_session_token */

    cc_str_t                  region;
    cc_str_t                  role_arn;
    cc_str_t                  source_profile;
    cc_str_t                  credential_source; /* Environment, ... */
    cc_str_t                  external_id;
    cc_str_t                  role_session_name;
    cc_str_t                  web_identity_token_file;
    int64_t                   duration_seconds;  /* 0: not set */
} cc_aws_profile_t;


/*
 * INI as AWS reads it: sections "[name]" (config: "[profile name]",
 * "[default]"), "key = value" lines, whitespace around "=" and at the
 * ends ignored, comment lines starting with "#" or ";", and " ;" / " #"
 * starting a comment after a value; indented lines continuing a value
 * (sub-sections such as "s3 =") are skipped.  Either file may be absent
 * (NULL, 0).  CC_ERROR only on allocation failure or a
 * duration_seconds that is not a number; a profile in neither file is
 * CC_OK with found == 0.
 */
int cc_profile_find(cc_alloc_t *a, const u_char *credentials,
    size_t credentials_len, const u_char *config, size_t config_len,
    const cc_str_t *name, cc_aws_profile_t *out);


/*
 * 1 when an http (not https) container credentials endpoint may use this
 * URL authority, as the SDKs allow: localhost, 127.a.b.c written in full,
 * [::1], the ECS agent 169.254.170.2, the EKS Pod Identity agent
 * 169.254.170.23; each with an optional ":port".  A name that merely
 * starts like one ("127.0.0.1.example", "localhost.example") is not one.
 */
int cc_container_host_ok(const u_char *authority, size_t len);


#endif /* _CC_AWSCREDS_H_INCLUDED_ */
