
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_PHONE_SCAN_H_INCLUDED_
#define _CC_PHONE_SCAN_H_INCLUDED_


/*
 * The caller's own words: the last phone number said in a text, as
 * people or speech-to-text engines write it (cc_phone.h lists what
 * counts and what does not).
 */


#include "cc_phone_e164.h"


/*
 * The last phone number in the len bytes of p, in E.164 into buf
 * (CC_PHONE_E164_BUF bytes, NUL-terminated); returns its length, or 0
 * when the text holds none.
 */
size_t cc_phone_text(const cc_phone_cc_t *cc, const u_char *p, size_t len,
    u_char *buf);


#endif /* _CC_PHONE_SCAN_H_INCLUDED_ */
