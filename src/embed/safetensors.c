/* safetensors.c — see safetensors.h. The file is mmap'd; the header is
 * parsed with jansson (duplicate keys rejected) into a sorted array of
 * sft_tensor, so lookups are binary searches. Converted tensors (F16/BF16 or
 * unaligned F32) are malloc'd, listed in the sft_file and freed by sft_close;
 * their source pages are released from the mapping with MADV_DONTNEED so a
 * half-precision model does not stay resident twice. */
#include "embed/safetensors.h"
#include "util/errmsg.h"
#include "util/oom.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct sft_conv {
    struct sft_conv *next;
    float data[];
} sft_conv;

struct sft_file {
    const unsigned char *base;  /* the whole file */
    size_t size;
    bool mapped;
    const unsigned char *data;  /* after the header */
    size_t data_len;
    sft_tensor *t;               /* sorted by name */
    size_t n;
    sft_conv *conv;
};

static const struct {
    const char *name;
    size_t size;
} DTYPES[] = {
    [SFT_BOOL] = {"BOOL", 1}, [SFT_U8] = {"U8", 1},   [SFT_I8] = {"I8", 1},
    [SFT_I16] = {"I16", 2},   [SFT_U16] = {"U16", 2}, [SFT_F16] = {"F16", 2},
    [SFT_BF16] = {"BF16", 2}, [SFT_I32] = {"I32", 4}, [SFT_U32] = {"U32", 4},
    [SFT_F32] = {"F32", 4},   [SFT_F64] = {"F64", 8}, [SFT_I64] = {"I64", 8},
    [SFT_U64] = {"U64", 8},   [SFT_F8_E4M3] = {"F8_E4M3", 1}, [SFT_F8_E5M2] = {"F8_E5M2", 1},
};

#define N_DTYPES (sizeof DTYPES / sizeof *DTYPES)

const char *sft_dtype_name(sft_dtype d)
{
    return (size_t)d < N_DTYPES ? DTYPES[d].name : "?";
}

/* ---- header ------------------------------------------------------------- */

static int parse_dtype(const char *s, sft_dtype *d)
{
    for (size_t i = 0; i < N_DTYPES; i++) {
        if (strcmp(s, DTYPES[i].name) == 0) {
            *d = (sft_dtype)i;
            return 0;
        }
    }
    return -1;
}

static int parse_u64(const json_t *j, uint64_t *out)
{
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(j);
    return 0;
}

static int parse_shape(const json_t *shape, sft_tensor *t, uint64_t *elems)
{
    uint64_t n = 1;
    if (!json_is_array(shape) || json_array_size(shape) > SFT_MAX_DIMS)
        return -1;
    t->ndim = json_array_size(shape);
    for (size_t i = 0; i < t->ndim; i++) {
        uint64_t d;
        if (parse_u64(json_array_get(shape, i), &d) != 0)
            return -1;
        t->shape[i] = d;
        if (d != 0 && n > UINT64_MAX / d)
            return -1;
        n *= d;
    }
    *elems = n;
    return 0;
}

/* One "name": {"dtype", "shape", "data_offsets"} entry. */
static int parse_tensor(const char *name, const json_t *o, size_t data_len, sft_tensor *t,
                        char *err, size_t errsz)
{
    const json_t *dt = json_object_get(o, "dtype"), *off = json_object_get(o, "data_offsets");
    uint64_t elems, b, e;
    if (strlen(name) >= SFT_NAME_MAX) {
        set_err(err, errsz, "tensor name longer than %d bytes", SFT_NAME_MAX - 1);
        return -1;
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    if (!json_is_object(o) || json_object_size(o) != 3 || !json_is_string(dt) ||
        parse_dtype(json_string_value(dt), &t->dtype) != 0) {
        set_err(err, errsz, "tensor %s: not {dtype, shape, data_offsets} of a known dtype", name);
        return -1;
    }
    if (parse_shape(json_object_get(o, "shape"), t, &elems) != 0) {
        set_err(err, errsz, "tensor %s: bad shape", name);
        return -1;
    }
    if (!json_is_array(off) || json_array_size(off) != 2 ||
        parse_u64(json_array_get(off, 0), &b) != 0 || parse_u64(json_array_get(off, 1), &e) != 0 ||
        b > e || e > data_len) {
        set_err(err, errsz, "tensor %s: data_offsets outside the file's %zu data bytes", name,
                data_len);
        return -1;
    }
    if (elems > UINT64_MAX / DTYPES[t->dtype].size || elems * DTYPES[t->dtype].size != e - b) {
        set_err(err, errsz, "tensor %s: shape × %s size is not its %llu bytes", name,
                DTYPES[t->dtype].name, (unsigned long long)(e - b));
        return -1;
    }
    t->begin = (size_t)b;
    t->end = (size_t)e;
    return 0;
}

static int cmp_begin(const void *a, const void *b)
{
    const sft_tensor *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const sft_tensor *)a)->name, ((const sft_tensor *)b)->name);
}

/* Spans must tile the data section: no overlap, no hole, nothing after. */
static int check_layout(sft_file *f, char *err, size_t errsz)
{
    size_t at = 0;
    qsort(f->t, f->n, sizeof *f->t, cmp_begin);
    for (size_t i = 0; i < f->n; i++) {
        if (f->t[i].begin != at) {
            set_err(err, errsz, "tensor %s: data at %zu, expected %zu (%s)", f->t[i].name,
                    f->t[i].begin, at, f->t[i].begin < at ? "overlap" : "hole");
            return -1;
        }
        at = f->t[i].end;
    }
    if (at != f->data_len) {
        set_err(err, errsz, "%zu bytes after the last tensor", f->data_len - at);
        return -1;
    }
    qsort(f->t, f->n, sizeof *f->t, cmp_name);
    return 0;
}

static int parse_header(sft_file *f, const char *hdr, size_t len, char *err, size_t errsz)
{
    json_error_t je;
    json_t *root = json_parse(hdr, len, JSON_REJECT_DUPLICATES, &je);
    const char *key;
    json_t *val;
    int rc = -1;
    if (!json_is_object(root)) {
        set_err(err, errsz, "header is not a JSON object (%s)", root ? "" : je.text);
        goto out;
    }
    if (json_object_size(root) > SFT_MAX_TENSORS) {
        set_err(err, errsz, "more than %d tensors", SFT_MAX_TENSORS);
        goto out;
    }
    f->t = calloc(json_object_size(root) + 1, sizeof *f->t);
    if (!f->t) {
        set_err(err, errsz, "out of memory");
        goto out;
    }
    json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_is_object(val)) {
                set_err(err, errsz, "__metadata__ is not an object");
                goto out;
            }
            continue;
        }
        if (parse_tensor(key, val, f->data_len, &f->t[f->n], err, errsz) != 0)
            goto out;
        f->n++;
    }
    rc = check_layout(f, err, errsz);
out:
    json_decref(root);
    return rc;
}

static sft_file *open_image(sft_file *f, char *err, size_t errsz)
{
    uint64_t hlen = 0;
    if (f->size < 8) {
        set_err(err, errsz, "file shorter than its 8-byte header length");
        goto fail;
    }
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | f->base[i];
    if (hlen > f->size - 8 || hlen > SFT_MAX_HEADER || hlen < 2) {
        set_err(err, errsz, "header length %llu does not fit the file (%zu bytes)",
                (unsigned long long)hlen, f->size);
        goto fail;
    }
    f->data = f->base + 8 + hlen;
    f->data_len = f->size - 8 - (size_t)hlen;
    if (parse_header(f, (const char *)f->base + 8, (size_t)hlen, err, errsz) != 0)
        goto fail;
    return f;
fail:
    sft_close(f);
    return NULL;
}

sft_file *sft_open_mem(const void *buf, size_t len, char *err, size_t errsz)
{
    sft_file *f = calloc(1, sizeof *f);
    if (!f) {
        set_err(err, errsz, "out of memory");
        return NULL;
    }
    f->base = buf;
    f->size = len;
    return open_image(f, err, errsz);
}

sft_file *sft_open(const char *path, char *err, size_t errsz)
{
    struct stat sb;
    sft_file *f = NULL;
    void *map;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errsz, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 8) {
        set_err(err, errsz, "%s: not a regular file of at least 8 bytes", path);
        goto out;
    }
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        set_err(err, errsz, "cannot map %s: %s", path, strerror(errno));
        goto out;
    }
    f = calloc(1, sizeof *f);
    if (!f) {
        munmap(map, (size_t)sb.st_size);
        set_err(err, errsz, "out of memory");
        goto out;
    }
    f->base = map;
    f->size = (size_t)sb.st_size;
    f->mapped = true;
    f = open_image(f, err, errsz);
out:
    close(fd);
    return f;
}

void sft_close(sft_file *f)
{
    if (!f)
        return;
    while (f->conv) {
        sft_conv *c = f->conv;
        f->conv = c->next;
        free(c);
    }
    if (f->mapped)
        munmap((void *)(uintptr_t)f->base, f->size);
    free(f->t);
    free(f);
}

/* ---- access --------------------------------------------------------------- */

size_t sft_count(const sft_file *f)
{
    return f->n;
}

const sft_tensor *sft_at(const sft_file *f, size_t i)
{
    return i < f->n ? &f->t[i] : NULL;
}

const sft_tensor *sft_find(const sft_file *f, const char *name)
{
    sft_tensor key;
    if (strlen(name) >= sizeof key.name)
        return NULL;
    snprintf(key.name, sizeof key.name, "%s", name);
    return bsearch(&key, f->t, f->n, sizeof *f->t, cmp_name);
}

const void *sft_data(const sft_file *f, const sft_tensor *t)
{
    return f->data + t->begin;
}

float sft_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
    uint32_t bits;
    float out;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | man << 13;          /* inf, NaN */
    } else if (exp != 0) {
        bits = sign | (exp + 112) << 23 | man << 13;    /* normal: rebias 15 → 127 */
    } else if (man == 0) {
        bits = sign;                                    /* ±0 */
    } else {                                            /* subnormal: normalise */
        exp = 113;
        while (!(man & 0x400u)) {
            man <<= 1;
            exp--;
        }
        bits = sign | exp << 23 | (man & 0x3FFu) << 13;
    }
    memcpy(&out, &bits, sizeof out);
    return out;
}

float sft_bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

/* Releases the pages wholly inside [p, p + len) of the mapping. */
static void drop_pages(const sft_file *f, const void *p, size_t len)
{
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)p, b = a + len;
    if (!f->mapped || pg <= 0)
        return;
    a = (a + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
    b &= ~((uintptr_t)pg - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

static const float *convert(sft_file *f, const sft_tensor *t, size_t elems)
{
    const unsigned char *src = f->data + t->begin;
    sft_conv *c = malloc(sizeof *c + elems * sizeof(float));
    if (!c)
        return NULL;
    for (size_t i = 0; i < elems; i++) {
        uint16_t h = 0;
        if (t->dtype == SFT_F32) {
            memcpy(&c->data[i], src + 4 * i, 4);
            continue;
        }
        memcpy(&h, src + 2 * i, 2);
        c->data[i] = t->dtype == SFT_F16 ? sft_half_to_float(h) : sft_bf16_to_float(h);
    }
    c->next = f->conv;
    f->conv = c;
    drop_pages(f, src, t->end - t->begin);
    return c->data;
}

static void shape_str(const uint64_t *s, size_t n, char *out, size_t outsz)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && at < outsz; i++) {
        int w = snprintf(out + at, outsz - at, "%s%llu", i ? ", " : "", (unsigned long long)s[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

const float *sft_f32(sft_file *f, const char *name, size_t ndim, const uint64_t *want, char *err,
                    size_t errsz)
{
    const sft_tensor *t = sft_find(f, name);
    char a[96], b[96];
    const float *p;
    if (!t) {
        set_err(err, errsz, "tensor %s is missing", name);
        return NULL;
    }
    if (t->dtype != SFT_F32 && t->dtype != SFT_F16 && t->dtype != SFT_BF16) {
        set_err(err, errsz, "tensor %s is %s, not F32, F16 or BF16", name,
                DTYPES[t->dtype].name);
        return NULL;
    }
    if (t->ndim != ndim || memcmp(t->shape, want, ndim * sizeof *want) != 0) {
        shape_str(t->shape, t->ndim, a, sizeof a);
        shape_str(want, ndim, b, sizeof b);
        set_err(err, errsz, "tensor %s has shape [%s], expected [%s]", name, a, b);
        return NULL;
    }
    size_t elems = (t->end - t->begin) / DTYPES[t->dtype].size;
    if (t->dtype == SFT_F32 && ((uintptr_t)(f->data + t->begin) % sizeof(float)) == 0)
        return (const float *)(const void *)(f->data + t->begin);
    p = convert(f, t, elems);
    if (!p)
        set_err(err, errsz, "out of memory converting %s", name);
    return p;
}
