
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * One number as written, to E.164: the default country calling code,
 * the national rules, the syntax of a candidate.
 */


#include <string.h>

#include "cc_phone_e164.h"


/* "1", "+44", "353"; anything else refuses national numbers */
void
cc_phone_cc_init(cc_phone_cc_t *cc, const cc_str_t *s)
{
    size_t         i, len;
    const u_char  *p;

    cc->n = 0;

    if (s == NULL || s->data == NULL) {
        return;
    }

    p = s->data;
    len = s->len;

    if (len && p[0] == '+') {
        p++;
        len--;
    }

    if (len == 0 || len > 3 || p[0] == '0') {
        return;
    }

    for (i = 0; i < len; i++) {
        if (!cc_phone_digit(p[i])) {
            return;
        }

        cc->d[i] = p[i];
    }

    cc->n = len;
}


/*
 * The digits as written (d, n) to E.164 in buf; returns its length with
 * the '+', or 0 when the digits are no phone number.
 */
size_t
cc_phone_e164(const cc_phone_cc_t *cc, int intl, const u_char *d, size_t n,
    u_char *buf)
{
    size_t  pre;

    if (n > CC_PHONE_BUF) {
        return 0;
    }

    if (!intl) {

        if (n >= 2 && d[0] == '0' && d[1] == '0') {
            intl = 1;
            d += 2;
            n -= 2;

        } else if (cc->n == 1 && cc->d[0] == '1'
                   && n >= 3 && d[0] == '0' && d[1] == '1' && d[2] == '1')
        {
            /* NANP's international prefix; no NANP number starts with 0 */
            intl = 1;
            d += 3;
            n -= 3;
        }
    }

    if (intl) {
        if (n < CC_PHONE_MIN_DIGITS || n > CC_PHONE_MAX_DIGITS
            || d[0] == '0')
        {
            return 0;
        }

        buf[0] = '+';
        memcpy(buf + 1, d, n);
        buf[n + 1] = '\0';

        return n + 1;
    }

    if (cc->n == 0 || n < CC_PHONE_MIN_DIGITS) {
        return 0;
    }

    if (cc->n == 1 && cc->d[0] == '1') {

        /*
         * NANP numbers have exactly 10 digits and area codes start with
         * 2-9, which tells "1 555 010 0199" from a mistyped number
         */

        if (n == 11 && d[0] == '1') {
            d++;
            n--;
        }

        if (n != 10 || d[0] < '2') {
            return 0;
        }

        pre = 1;

    } else if (d[0] == '0') {
        /* a trunk prefix, as in most of Europe: 020 -> +44 20 */
        d++;
        n--;
        pre = cc->n;

    } else if (n >= cc->n + CC_PHONE_MIN_DIGITS
               && memcmp(d, cc->d, cc->n) == 0)
    {
        pre = 0;

    } else {
        pre = cc->n;
    }

    if (pre + n > CC_PHONE_MAX_DIGITS || pre + n < CC_PHONE_MIN_DIGITS) {
        return 0;
    }

    buf[0] = '+';
    memcpy(buf + 1, cc->d, pre);
    memcpy(buf + 1 + pre, d, n);
    buf[1 + pre + n] = '\0';

    return 1 + pre + n;
}


/* one candidate from call data, metadata or a header */
size_t
cc_phone_parse(const cc_phone_cc_t *cc, const u_char *p, size_t len,
    u_char *buf)
{
    int            intl;
    size_t         n, k;
    u_char         kind, digits[CC_PHONE_BUF];
    const u_char  *end;

    if (p == NULL) {
        return 0;
    }

    end = p + len;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    /* RFC 3966, as some telephony gateways pass the caller on */
    if (end - p >= 4 && (p[0] | 0x20) == 't' && (p[1] | 0x20) == 'e'
        && (p[2] | 0x20) == 'l' && p[3] == ':')
    {
        p += 4;
    }

    intl = 0;
    n = 0;

    while (p < end) {

        if (cc_phone_digit(*p)) {
            if (n < CC_PHONE_BUF) {
                digits[n] = *p;
            }

            n++;
            p++;
            continue;
        }

        /* "+44 (0)20 7946 0958": the trunk prefix dialled at home */
        if (intl && n && end - p >= 3 && p[0] == '(' && p[1] == '0'
            && p[2] == ')')
        {
            p += 3;
            continue;
        }

        k = cc_phone_separator(p, end, &kind);
        if (k) {
            p += k;
            continue;
        }

        if (*p == '+' && n == 0 && !intl) {
            intl = 1;
            p++;
            continue;
        }

        if (n == 0 && !intl && end - p >= 4
            && (p[0] | 0x20) == 'p' && (p[1] | 0x20) == 'l'
            && (p[2] | 0x20) == 'u' && (p[3] | 0x20) == 's'
            && (end - p == 4 || !cc_phone_alpha(p[4])))
        {
            intl = 1;
            p += 4;
            continue;
        }

        return 0;
    }

    return cc_phone_e164(cc, intl, digits, n, buf);
}
