/* safetensors.h — a reader for the safetensors format: an 8-byte
 * little-endian header length N, N bytes of JSON
 *   {"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..],
 *    "data_offsets": [begin, end]}, ...}
 * then the tensors' bytes, offsets relative to the end of the header.
 *
 * sft_open maps the file read-only and validates the whole header before
 * anything is used: known dtype, shape × dtype size = byte span, spans
 * inside the file, not overlapping and covering the data exactly (as the
 * reference implementation requires), header length within the file.
 * sft_f32 hands out a tensor as float32, checked against the shape the caller
 * expects: F32 data aligned in the mapping is used in place; F16 and BF16
 * (and unaligned F32) are converted once into memory the sft_file owns.
 * Everything handed out lives until sft_close. Reading is thread-safe;
 * sft_f32 is for loading (one thread). */
#ifndef CHIMERA_EMBED_SAFETENSORS_H
#define CHIMERA_EMBED_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define SFT_MAX_DIMS 8
#define SFT_MAX_HEADER (100u << 20)  /* the reference's limit */
#define SFT_MAX_TENSORS 100000
#define SFT_NAME_MAX 256

typedef enum sft_dtype {
    SFT_BOOL, SFT_U8, SFT_I8, SFT_I16, SFT_U16, SFT_F16, SFT_BF16, SFT_I32, SFT_U32, SFT_F32,
    SFT_F64, SFT_I64, SFT_U64, SFT_F8_E4M3, SFT_F8_E5M2,
} sft_dtype;

typedef struct sft_tensor {
    char name[SFT_NAME_MAX];
    sft_dtype dtype;
    size_t ndim;
    uint64_t shape[SFT_MAX_DIMS];
    size_t begin, end;      /* byte span in the data section */
} sft_tensor;

typedef struct sft_file sft_file;

/* Opens and validates path. NULL with the reason in err. Caller owns the
 * result (sft_close). */
sft_file *sft_open(const char *path, char *err, size_t errsz);

/* Parses a safetensors image in memory (not copied: buf must outlive the
 * sft_file). For tests and fuzzing. */
sft_file *sft_open_mem(const void *buf, size_t len, char *err, size_t errsz);

void sft_close(sft_file *f);

size_t sft_count(const sft_file *f);
const sft_tensor *sft_at(const sft_file *f, size_t i);
const sft_tensor *sft_find(const sft_file *f, const char *name);
const char *sft_dtype_name(sft_dtype d);

/* The tensor's raw bytes (end - begin of them). */
const void *sft_data(const sft_file *f, const sft_tensor *t);

/* The tensor name as float32, shape checked against want[0..ndim). NULL
 * with the reason in err when missing, of another shape, or not a float
 * dtype (F32, F16, BF16). */
const float *sft_f32(sft_file *f, const char *name, size_t ndim, const uint64_t *want, char *err,
                    size_t errsz);

/* float16 / bfloat16 bits to float (IEEE half: subnormals, inf, NaN). */
float sft_half_to_float(uint16_t h);
float sft_bf16_to_float(uint16_t h);

#endif
