/* validate.c — see validate.h. Messages are DRF's, verbatim. */
#include "api/validate.h"

#include "config.h"
#include "http/response.h"
#include "util/email.h"
#include "util/oom.h"
#include "util/utf8.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Python's type() name, for DRF's "Expected a dictionary" message. */
const char *val_py_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY: return "list";
    case JSON_STRING: return "str";
    case JSON_INTEGER: return "int";
    case JSON_REAL: return "float";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "NoneType";
    default: return "dict";
    }
}

/* Nesting depth of a JSON text, ignoring brackets inside strings. */
static int json_depth_exceeds(const char *s, size_t len, int max)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                return 1;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

json_t *val_body(http_req *r)
{
    const char *s = r->body.p ? r->body.p : "";
    size_t len = r->body.len;
    size_t start;
    if (utf8_strip(s, len, &start) == 0 && utf8_valid(s, len))
        return json_object();
    if (!utf8_valid(s, len)) {
        resp_error(r, 400, "JSON parse error - Invalid UTF-8 in request body");
        return NULL;
    }
    if (json_depth_exceeds(s, len, cfg.max_json_depth)) {
        resp_errorf(r, 400, "JSON parse error - Nesting deeper than %d levels", cfg.max_json_depth);
        return NULL;
    }
    json_error_t err;
    unsigned long oom = oom_failures();
    json_t *v = json_parse(s, len, JSON_DECODE_ANY, &err);
    if (!v && oom_failures() != oom) {
        resp_no_memory(r);
        return NULL;
    }
    if (!v) {
        resp_errorf(r, 400, "JSON parse error - %s (line %d column %d)", err.text, err.line,
                    err.column);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_t *errs = json_object();
        char msg[96];
        snprintf(msg, sizeof msg, "Invalid data. Expected a dictionary, but got %s.", val_py_type(v));
        val_error(errs, "non_field_errors", msg);
        resp_fields(r, errs);
        json_decref(v);
        return NULL;
    }
    return v;
}

void val_no_memory(json_t *errs)
{
    json_object_set_new(errs, RESP_NO_MEMORY, json_true());
}

void val_error(json_t *errs, const char *field, const char *msg)
{
    json_t *list = json_object_get(errs, field);
    if (!list) {
        list = json_array();
        json_object_set_new(errs, field, list);
    }
    json_array_append_new(list, json_string(msg));
}

/* Python's str() of a float: the shortest digits that round-trip, fixed
 * notation for exponents -4..15, else d.ddde+XX. */
static void py_float_str(double d, char *out, size_t outsz)
{
    char e[40];
    if (isinf(d) || isnan(d)) {
        snprintf(out, outsz, isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
        return;
    }
    int prec = 0;
    for (; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, d);
        if (strtod(e, NULL) == d)
            break;
    }
    char *mark = strchr(e, 'e');
    int exp10 = (int)strtol(mark + 1, NULL, 10);
    *mark = '\0';
    if (exp10 < -4 || exp10 >= 16) {
        snprintf(out, outsz, "%se%c%02d", e, exp10 < 0 ? '-' : '+', abs(exp10));
        return;
    }
    int decimals = prec - exp10;
    snprintf(out, outsz, "%.*f", decimals > 0 ? decimals : 0, d);
    if (!strchr(out, '.'))
        strncat(out, ".0", outsz - strlen(out) - 1);
}

/* The string form of a CharField input, or NULL when the type is wrong. */
static char *char_field_value(const json_t *v)
{
    char tmp[64];
    if (json_is_string(v))
        return strndup(json_string_value(v), json_string_length(v));
    if (json_is_integer(v)) {
        snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
        return strdup(tmp);
    }
    if (json_is_real(v)) {
        py_float_str(json_real_value(v), tmp, sizeof tmp);
        return strdup(tmp);
    }
    return NULL;
}

static void length_errors(const char *s, size_t min, size_t max, const char *name, json_t *errs)
{
    size_t n = utf8_count(s, strlen(s));
    char msg[96];
    if (max && n > max) {
        snprintf(msg, sizeof msg, "Ensure this field has no more than %zu characters.", max);
        val_error(errs, name, msg);
    }
    if (min && n < min) {
        snprintf(msg, sizeof msg, "Ensure this field has at least %zu characters.", min);
        val_error(errs, name, msg);
    }
}

int val_str(json_t *body, const char *name, unsigned flags, size_t min, size_t max,
            json_t *errs, char **out)
{
    json_t *v = json_object_get(body, name);
    *out = NULL;
    if (!v) {
        if (!(flags & V_REQUIRED))
            return 0;
        val_error(errs, name, "This field is required.");
        return -1;
    }
    if (json_is_null(v)) {
        if (flags & V_NULL_OK)
            return 0;
        val_error(errs, name, "This field may not be null.");
        return -1;
    }
    char *s = char_field_value(v);
    if (!s && (json_is_string(v) || json_is_number(v))) {
        val_no_memory(errs);
        return -1;
    }
    if (!s) {
        val_error(errs, name, "Not a valid string.");
        return -1;
    }
    if (!(flags & V_NO_TRIM)) {
        size_t start, n = utf8_strip(s, strlen(s), &start);
        memmove(s, s + start, n);
        s[n] = '\0';
    }
    if (!*s && !(flags & V_BLANK_OK)) {
        val_error(errs, name, "This field may not be blank.");
        free(s);
        return -1;
    }
    if (!*s) {          /* DRF returns a blank value before any validator */
        *out = s;
        return 1;
    }
    size_t before = json_object_get(errs, name) ? json_array_size(json_object_get(errs, name)) : 0;
    length_errors(s, min, max, name, errs);
    if ((flags & V_EMAIL) && *s && !email_valid(s))
        val_error(errs, name, "Enter a valid email address.");
    json_t *now = json_object_get(errs, name);
    if (now && json_array_size(now) > before) {
        free(s);
        return -1;
    }
    *out = s;
    return 1;
}

int val_choice(json_t *body, const char *name, const char *const *choices, unsigned flags,
               json_t *errs, char **out)
{
    int rc = val_str(body, name, flags, 0, 0, errs, out);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(*out, choices[i]) == 0)
            return 1;
    char msg[160];
    snprintf(msg, sizeof msg, "\"%.100s\" is not a valid choice.", *out);
    val_error(errs, name, msg);
    free(*out);
    *out = NULL;
    return -1;
}

/* DRF accepts each word in lower case, Title case or UPPER case only. */
static bool word_is(const char *s, const char *word)
{
    size_t n = strlen(word);
    if (strlen(s) != n || strcasecmp(s, word) != 0)
        return false;
    bool lower = true, upper = true;
    for (size_t i = 1; i < n; i++) {
        lower &= islower((unsigned char)s[i]) || !isalpha((unsigned char)s[i]);
        upper &= isupper((unsigned char)s[i]) || !isalpha((unsigned char)s[i]);
    }
    return lower || (upper && (isupper((unsigned char)s[0]) || !isalpha((unsigned char)s[0])));
}

static int bool_from_string(const char *s, bool *out)
{
    static const char *const yes[] = { "t", "y", "yes", "true", "on", "1" };
    static const char *const no[] = { "f", "n", "no", "false", "off", "0" };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (word_is(s, yes[i]) || word_is(s, no[i])) {
            *out = word_is(s, yes[i]);
            return 0;
        }
    }
    return -1;
}

int val_bool(json_t *body, const char *name, bool required, json_t *errs, bool *out)
{
    json_t *v = json_object_get(body, name);
    if (!v) {
        if (required)
            val_error(errs, name, "This field is required.");
        return required ? -1 : 0;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 1;
    }
    double num = json_is_integer(v) ? (double)json_integer_value(v)
               : json_is_real(v) ? json_real_value(v) : -1;
    if (num == 0.0 || num == 1.0) {     /* 1 == 1.0 == True in Python */
        *out = num == 1.0;
        return 1;
    }
    if (json_is_string(v) && bool_from_string(json_string_value(v), out) == 0)
        return 1;
    val_error(errs, name, json_is_null(v) ? "This field may not be null." : "Must be a valid boolean.");
    return -1;
}

/* DRF's IntegerField on a string: int(re.sub(r'\.0*\s*$', '', s)) with
 * Python's int(): surrounding whitespace, a sign, '_' between digits. */
static int py_int_string(const char *s, long long *out)
{
    char tmp[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n + 1);
    while (n && isspace((unsigned char)tmp[n - 1]))
        n--;
    size_t k = n;
    while (k && tmp[k - 1] == '0')
        k--;
    if (k && tmp[k - 1] == '.')
        n = k - 1;
    tmp[n] = '\0';
    const char *p = tmp;
    while (isspace((unsigned char)*p))
        p++;
    char digits[64];
    size_t d = 0;
    if (*p == '+' || *p == '-')
        digits[d++] = *p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; *p; p++) {
        if (*p == '_' && isdigit((unsigned char)p[-1]) && isdigit((unsigned char)p[1]))
            continue;
        if (!isdigit((unsigned char)*p))
            return -1;
        digits[d++] = *p;
    }
    digits[d] = '\0';
    *out = strtoll(digits, NULL, 10);   /* saturates: the range check reports it */
    return 0;
}

int val_int(json_t *body, const char *name, bool required, long long lo, long long hi,
            json_t *errs, long long *out)
{
    json_t *v = json_object_get(body, name);
    char msg[96];
    if (!v) {
        if (required)
            val_error(errs, name, "This field is required.");
        return required ? -1 : 0;
    }
    long long n;
    if (json_is_integer(v)) {
        n = (long long)json_integer_value(v);
    } else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
               fabs(json_real_value(v)) < 9e15) {
        n = (long long)json_real_value(v);
    } else if (json_is_string(v) && py_int_string(json_string_value(v), &n) == 0) {
        /* "12", " 7 ", "1.0", "1_000" are integers to DRF */
    } else {
        val_error(errs, name, json_is_null(v) ? "This field may not be null."
                                              : "A valid integer is required.");
        return -1;
    }
    if (n > hi) {
        snprintf(msg, sizeof msg, "Ensure this value is less than or equal to %lld.", hi);
        val_error(errs, name, msg);
        return -1;
    }
    if (n < lo) {
        snprintf(msg, sizeof msg, "Ensure this value is greater than or equal to %lld.", lo);
        val_error(errs, name, msg);
        return -1;
    }
    *out = n;
    return 1;
}

bool val_truthy(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0;
    case JSON_TRUE: return true;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_OBJECT: return json_object_size(v) > 0;
    default: return false;
    }
}

bool val_failed(http_req *r, json_t *errs)
{
    if (!json_object_size(errs))
        return false;
    resp_fields(r, json_incref(errs));
    return true;
}
