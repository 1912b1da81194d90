/* A strict JSON syntax check (RFC 8259) for tests: objects, arrays, strings
 * with their escapes (no raw control bytes, valid UTF-8), numbers, true,
 * false, null. Header-only; recursion is bounded by depth. */
#ifndef MER_TEST_JSON_CHECK_H
#define MER_TEST_JSON_CHECK_H

#include <stdbool.h>
#include <string.h>

static inline void mer_json_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
        (*p)++;
}

static inline bool mer_json_string(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    if (*s++ != '"')
        return false;
    while (*s != '"') {
        if (*s < 0x20)
            return false;
        if (*s == '\\') {
            s++;
            if (*s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!s[i] || !strchr("0123456789abcdefABCDEF", s[i]))
                        return false;
                s += 5;
            } else if (*s && strchr("\"\\/bfnrt", *s)) {
                s++;
            } else {
                return false;
            }
        } else if (*s < 0x80) {
            s++;
        } else {
            int k = (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;
            if (k < 0 || *s == 0xc0 || *s == 0xc1 || *s > 0xf4)
                return false;
            for (int i = 1; i <= k; i++)
                if ((s[i] & 0xc0) != 0x80)
                    return false;
            s += k + 1;
        }
    }
    *p = (const char *)s + 1;
    return true;
}

static inline bool mer_json_number(const char **p)
{
    const char *s = *p;
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return false;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    *p = s;
    return true;
}

static inline bool mer_json_value(const char **p, int depth)
{
    if (depth > 64)
        return false;
    mer_json_ws(p);
    const char *s = *p;
    if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        bool obj = *s == '{';
        *p = s + 1;
        mer_json_ws(p);
        if (**p == close) {
            (*p)++;
            return true;
        }
        for (;;) {
            if (obj) {
                mer_json_ws(p);
                if (!mer_json_string(p))
                    return false;
                mer_json_ws(p);
                if (**p != ':')
                    return false;
                (*p)++;
            }
            if (!mer_json_value(p, depth + 1))
                return false;
            mer_json_ws(p);
            if (**p == ',') {
                (*p)++;
                continue;
            }
            if (**p != close)
                return false;
            (*p)++;
            return true;
        }
    }
    if (*s == '"')
        return mer_json_string(p);
    if (strncmp(s, "true", 4) == 0 || strncmp(s, "null", 4) == 0) {
        *p = s + 4;
        return true;
    }
    if (strncmp(s, "false", 5) == 0) {
        *p = s + 5;
        return true;
    }
    return mer_json_number(p);
}

/* The whole text is one JSON value (whitespace around it allowed). */
static inline bool mer_json_valid(const char *text)
{
    const char *p = text;
    if (!mer_json_value(&p, 0))
        return false;
    mer_json_ws(&p);
    return *p == '\0';
}

#endif
