/* fuzz_safetensors.c — libFuzzer target for src/embed/safetensors.c: any
 * bytes as a safetensors image; when accepted, every float tensor is read
 * as float32 with its own shape (F16/BF16/unaligned F32 conversion) and
 * summed, so ASan sees every byte the reader hands out.
 *   tests/fuzz/run-embed.sh [SECONDS]   builds with clang -fsanitize=fuzzer,address
 * Without libFuzzer, fuzz_main.c runs it over files (a corpus). */
#include "embed/safetensors.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    volatile float sink = 0.0f;
    sft_file *f = sft_open_mem(data, size, err, sizeof err);
    if (!f)
        return 0;
    for (size_t i = 0; i < sft_count(f); i++) {
        const sft_tensor *t = sft_at(f, i);
        const unsigned char *raw = sft_data(f, t);
        for (size_t b = t->begin; b < t->end; b++)
            sink += raw[b - t->begin];
        if (t->dtype != SFT_F32 && t->dtype != SFT_F16 && t->dtype != SFT_BF16)
            continue;
        const float *v = sft_f32(f, t->name, t->ndim, t->shape, err, sizeof err);
        size_t n = (t->end - t->begin) / (t->dtype == SFT_F32 ? 4 : 2);
        for (size_t k = 0; v && k < n; k++)
            sink += v[k];
    }
    (void)sink;
    sft_close(f);
    return 0;
}
