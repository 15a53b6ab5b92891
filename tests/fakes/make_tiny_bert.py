#!/usr/bin/python3
"""make_tiny_bert.py — writes a small random BERT sentence-transformer folder
(the files the "minilm" embedder reads) and reference outputs computed here
in numpy, so the C embedder can be checked without real weights.

    make_tiny_bert.py --out DIR [--dtype f32|f16|bf16] [--prefix bert.]
                      [--layers 2 --hidden 32 --heads 4 --intermediate 64]
                      [--max-seq-length N] [--cased] [--minilm] [--seed S]
                      [--no-reference]

Writes DIR/model.safetensors (by hand: 8-byte little-endian header length,
JSON header, data), vocab.txt, config.json, tokenizer_config.json,
modules.json, 1_Pooling/config.json, sentence_bert_config.json (with
--max-seq-length) and reference.json:
    {"max_len": N, "sentences": [...], "tokens": [[ids]...], "vectors": [[...]...],
     "tokenizer_cases": [{"text": ..., "pieces": [...]}...]}
--minilm writes all-MiniLM-L6-v2's shapes (6 layers, hidden 384, 12 heads,
intermediate 1536, vocab 30522 of synthetic pieces) for the benchmark.

The reference tokenizer follows HuggingFace's BertTokenizer (slow) rules:
special tokens split out of the raw text first; BasicTokenizer (clean text,
CJK characters split, lower-case + NFD accent stripping, punctuation split);
WordpieceTokenizer (greedy longest match, "##" continuations, [UNK] past 100
characters or when nothing matches); [CLS] ... [SEP], truncated to max_len.
The forward pass is HF BertModel's in float64 (erf GELU, post-LayerNorm),
mean pooling over the tokens and L2 normalisation (sentence-transformers).
Only the standard library and numpy."""
import argparse
import json
import math
import os
import struct
import sys
import unicodedata

import numpy as np

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

WORDS = """the a an and or of to in on at for with is was are be by it this that from as
hello world cat dog sat mat quick brown fox jump over lazy run running runs database
post gres replication lag memory search text embed vector model token piece un aff able
cafe creme resume naive ber lin tokyo data base meeting thursday after noon"""

PIECES = """##s ##ed ##ing ##er ##ly ##able ##aff ##gres ##base ##noon ##a ##e ##i ##o ##u
##n ##t ##r ##l ##d ##c ##m ##p ##x ##z ##y ##k ##g ##h ##b ##f ##v ##w ##q ##j"""

EXTRA = ["é", "è", "ü", "ñ", "ß", "ø", "æ", "ł", "ç", "中", "国", "日", "本", "人", "語",
         "東", "京", "한", "ᄒ", "ᅡ", "ᆫ", "α", "β", "σ", "ς", "ω", "и", "й", "д", "а",
         "…", "—", "“", "”", "¿", "¡", "«", "»", "、", "。", "€", "£", "©", "°",
         "café", "##é", "naïve", "##ï", "straße", "##ß", "##ᅡ", "##ᆫ", "##β", "##γ",
         "##ο", "##δ", "##д", "##о", "##а", "##ς", "##σ"]


def build_vocab(size=None, cased=False):
    v = list(SPECIALS)
    v += [chr(c) for c in range(33, 127)]
    v += ["##" + chr(c) for c in range(48, 58)]
    v += WORDS.split() + PIECES.split() + EXTRA
    if cased:
        v += ["Hello", "World", "Café", "É", "##É", "Berlin", "The", "A"]
    seen, out = set(), []
    for t in v:
        if t not in seen:
            seen.add(t)
            out.append(t)
    if size:
        i = 0
        while len(out) < size:      # synthetic pieces up to the real vocab size
            t = ("##" if i % 3 == 0 else "") + "tok%d" % i
            i += 1
            if t not in seen:
                seen.add(t)
                out.append(t)
    return out


# ------------------------------------------------------------------ tokenizer

def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class Tokenizer:
    def __init__(self, vocab, lower=True, max_len=512):
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.lower = lower
        self.max_len = max_len

    def split_specials(self, text):
        """The slow tokenizer's trie: special tokens out of the raw text."""
        out, i, start = [], 0, 0
        while i < len(text):
            hit = None
            if text[i] == "[":
                for s in SPECIALS:
                    if text.startswith(s, i) and (hit is None or len(s) > len(hit)):
                        hit = s
            if hit:
                out.append((False, text[start:i]))
                out.append((True, hit))
                i += len(hit)
                start = i
            else:
                i += 1
        out.append((False, text[start:]))
        return out

    def basic(self, text):
        text = "".join(" " if is_whitespace(c) else c for c in text
                       if not (ord(c) == 0 or ord(c) == 0xFFFD or is_control(c)))
        text = "".join(" %s " % c if is_cjk(ord(c)) else c for c in text)
        words = []
        for tok in text.split():
            if self.lower:
                tok = tok.lower()
                tok = "".join(c for c in unicodedata.normalize("NFD", tok)
                              if unicodedata.category(c) != "Mn")
            cur = None
            for c in tok:
                if is_punct(c):
                    words.append(c)
                    cur = None
                else:
                    if cur is None:
                        words.append("")
                        cur = len(words) - 1
                    words[cur] += c
        return [w for w in " ".join(words).split()]

    def wordpiece(self, word):
        if len(word) > 100:
            return ["[UNK]"]
        out, start = [], 0
        while start < len(word):
            end, cur = len(word), None
            while start < end:
                s = word[start:end]
                if start > 0:
                    s = "##" + s
                if s in self.vocab:
                    cur = s
                    break
                end -= 1
            if cur is None:
                return ["[UNK]"]
            out.append(cur)
            start = end
        return out

    def pieces(self, text):
        out = []
        for special, chunk in self.split_specials(text):
            if special:
                out.append(chunk)
                continue
            for w in self.basic(chunk):
                out += self.wordpiece(w)
        return out[:self.max_len - 2]

    def encode(self, text):
        unk = self.vocab["[UNK]"]
        ids = [self.vocab.get(p, unk) for p in self.pieces(text)]
        return [self.vocab["[CLS]"]] + ids + [self.vocab["[SEP]"]]


# ------------------------------------------------------------------ model

def make_weights(rng, cfg, vocab_n):
    H, I, P = cfg["hidden_size"], cfg["intermediate_size"], cfg["max_position_embeddings"]
    s = 1.0 / math.sqrt(H)

    def lin(o, i, scale):
        return rng.normal(0, scale, (o, i)), rng.normal(0, 0.05, (o,))

    def ln():
        return 1.0 + rng.normal(0, 0.1, (H,)), rng.normal(0, 0.1, (H,))
    w = {}
    w["embeddings.word_embeddings.weight"] = rng.normal(0, 0.5, (vocab_n, H))
    w["embeddings.position_embeddings.weight"] = rng.normal(0, 0.2, (P, H))
    w["embeddings.token_type_embeddings.weight"] = rng.normal(0, 0.2, (cfg["type_vocab_size"], H))
    w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"] = ln()
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        for n in ("query", "key", "value"):
            w[p + "attention.self.%s.weight" % n], w[p + "attention.self.%s.bias" % n] = \
                lin(H, H, 2.0 * s if n != "value" else s)
        w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"] = lin(H, H, s)
        w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"] = ln()
        w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"] = lin(I, H, s)
        w[p + "output.dense.weight"], w[p + "output.dense.bias"] = lin(H, I, 1.0 / math.sqrt(I))
        w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"] = ln()
    w["pooler.dense.weight"], w["pooler.dense.bias"] = lin(H, H, s)
    return w


def quantize(w, dtype):
    """The weights as the file stores them, and as float64 after loading."""
    stored, loaded = {}, {}
    for k, a in w.items():
        if dtype == "f16":
            q = a.astype(np.float16)
            loaded[k] = q.astype(np.float64)
        elif dtype == "bf16":
            u = a.astype(np.float32).view(np.uint32)
            u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)   # round to nearest even
            q = u
            loaded[k] = (u.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        else:
            q = a.astype(np.float32)
            loaded[k] = q.astype(np.float64)
        stored[k] = q
    return stored, loaded


def erf(x):
    return np.vectorize(math.erf)(x)


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def forward(w, cfg, ids):
    """Sentence vector of one token-id list (no padding needed one at a time)."""
    H, A = cfg["hidden_size"], cfg["num_attention_heads"]
    eps = cfg["layer_norm_eps"]
    d = H // A
    n = len(ids)
    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l

        def lin(name, inp):
            return inp @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        q = lin("attention.self.query", x).reshape(n, A, d).transpose(1, 0, 2)
        k = lin("attention.self.key", x).reshape(n, A, d).transpose(1, 0, 2)
        v = lin("attention.self.value", x).reshape(n, A, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, H)
        x = layer_norm(lin("attention.output.dense", ctx) + x,
                       w[p + "attention.output.LayerNorm.weight"],
                       w[p + "attention.output.LayerNorm.bias"], eps)
        h = lin("intermediate.dense", x)
        h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
        x = layer_norm(lin("output.dense", h) + x, w[p + "output.LayerNorm.weight"],
                       w[p + "output.LayerNorm.bias"], eps)
    m = x.mean(0)
    return m / max(np.linalg.norm(m), 1e-12)


# ------------------------------------------------------------------ files

DTYPE_NAME = {"f32": "F32", "f16": "F16", "bf16": "BF16"}


def write_safetensors(path, tensors, dtype, prefix="", extra=None):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    items = [(prefix + k, a, DTYPE_NAME[dtype]) for k, a in tensors.items()]
    for name, a, dt in items + list(extra or []):
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)          # data 8-byte aligned, as the Python library does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


SENTENCES = [
    "",
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    "Hello, World! Café crème, naïve résumé — «quoted» “text”…",
    "postgres replication lag",
    "東京 is in 日本; 中国人 speak 中文 (語)",
    "unaffable databases running",
    "STRASSE Straße ÉCOLE Łódź ÅNGSTRÖM İstanbul",
    "[CLS] special [SEP] tokens [MASK] inside [unk] text [PAD]",
    "tabs\tand\nnewlines\r\nand\u00a0nbsp\u3000ideographic space",
    "ctrl\x01chars\x7fdropped\u200band zero\ufeffwidth \ufffd replacement",
    "한국어 텍스트 and 한 jamo",
    "greek αβγ ΑΒΓ σς ω and cyrillic Йод дада",
    "a" * 101 + " " + "b" * 100 + " ok",
    "emoji 😀 and math ∑ ≤ symbols © ° € £",
    "x" * 30,
    "12345 67.89 3,14 e=mc^2 [1] {2} <3> | ~ ` @ # $ % & * _ + = \\ /",
    "word " * 200,
    "combining e\u0301 a\u0300 o\u0308 and bare \u0301 marks",
    "ｆｕｌｌｗｉｄｔｈ ＡＢＣ and ﬁ ligature",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    ap.add_argument("--prefix", default="")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=64)
    ap.add_argument("--max-pos", type=int, default=128)
    ap.add_argument("--max-seq-length", type=int, default=0)
    ap.add_argument("--cased", action="store_true")
    ap.add_argument("--minilm", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args()
    if args.minilm:
        args.layers, args.hidden, args.heads, args.intermediate, args.max_pos = 6, 384, 12, 1536, 512
    vocab = build_vocab(30522 if args.minilm else None, cased=args.cased)
    cfg = {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "hidden_size": args.hidden, "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads, "intermediate_size": args.intermediate,
        "max_position_embeddings": args.max_pos, "type_vocab_size": 2,
        "vocab_size": len(vocab), "layer_norm_eps": 1e-12, "pad_token_id": 0,
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02, "position_embedding_type": "absolute",
        "torch_dtype": "float32", "transformers_version": "4.39.0",
    }
    os.makedirs(os.path.join(args.out, "1_Pooling"), exist_ok=True)
    rng = np.random.default_rng(args.seed)
    stored, loaded = quantize(make_weights(rng, cfg, len(vocab)), args.dtype)
    extra = [(args.prefix + "embeddings.position_ids", np.arange(args.max_pos, dtype=np.int64)
              .reshape(1, -1), "I64")]
    write_safetensors(os.path.join(args.out, "model.safetensors"), stored, args.dtype,
                      args.prefix, extra)
    with open(os.path.join(args.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))

    def dump(name, obj):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
    dump("config.json", cfg)
    dump("tokenizer_config.json", {
        "do_lower_case": not args.cased, "strip_accents": None, "tokenize_chinese_chars": True,
        "model_max_length": 512, "unk_token": "[UNK]", "sep_token": "[SEP]",
        "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]",
        "tokenizer_class": "BertTokenizer"})
    dump("modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"}])
    dump("1_Pooling/config.json", {
        "word_embedding_dimension": args.hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False})
    max_len = min(512, args.max_pos)
    if args.max_seq_length:
        dump("sentence_bert_config.json", {"max_seq_length": args.max_seq_length,
                                           "do_lower_case": False})
        max_len = min(args.max_seq_length, args.max_pos)
    if args.no_reference:
        return 0
    tok = Tokenizer(vocab, lower=not args.cased, max_len=max_len)
    ref = {"max_len": max_len, "dim": args.hidden, "sentences": SENTENCES, "tokens": [],
           "vectors": [], "tokenizer_cases": []}
    for s in SENTENCES:
        ids = tok.encode(s)
        ref["tokens"].append(ids)
        ref["vectors"].append([float(x) for x in forward(loaded, cfg, ids)])
        ref["tokenizer_cases"].append({"text": s, "pieces": tok.pieces(s)})
    dump("reference.json", ref)
    return 0


if __name__ == "__main__":
    sys.exit(main())
