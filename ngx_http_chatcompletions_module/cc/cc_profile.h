
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_PROFILE_H_INCLUDED_
#define _CC_PROFILE_H_INCLUDED_


/*
 * The profiles of AWS's shared credentials and config files, without
 * nginx: nothing here does I/O.
 */


#include "cc_core.h"


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


#endif /* _CC_PROFILE_H_INCLUDED_ */
