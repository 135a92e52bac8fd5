"""Small tokenizer folders and the ids transformers' AutoTokenizer gives for them: the reference for TransformersRuleTests.

Usage (where transformers 5.17 and tokenizers 0.23 are installed; no network needed):
    python3 make_expected.py OUT_DIR
Each OUT_DIR/VARIANT/ holds tokenizer.json (trained here on a fixed corpus with the tokenizers library), config.json
(model_type only), tokenizer_config.json (the class, flags and added_tokens_decoder real checkpoints carry; absent in the
*-noconfig variants)
and expected.json: for every text, the ids of tokenizer(text) and tokenizer(text, add_special_tokens=False), what
decode gives with and without skip_special_tokens, and the raw tokenizers library's ids (Tokenizer.from_file) for
contrast. The backend pipeline transformers ended with (normalizer, pre_tokenizer, post_processor, decoder) and the class
it chose are recorded too. Copy the folders to Tests/Fixtures/tokenizers/.
"""
import json
import os
import sys

import tokenizers
import transformers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer

CORPUS = [
    "hello world, hi there. hello again and again; the quick brown fox jumps over the lazy dog.",
    "[INST] hi [/INST] ok. [INST] what is this? [/INST] this is a test of the tokenizer.",
    "user model assistant system: hi, how are you? fine, thanks. line1 line2 tab here",
    "def main():\n    return 42\n\nnumbers 0123456789 and symbols !@#$%^&*()_+-=[]{}|;':\",./<>?",
    "caf\u00e9 na\u00efve \u00fcber \u00e9t\u00e9 already started, leading spaces and  double  spaces",
]

TEXTS = [
    "hi", " hi", "  hi", "hi  there", "hello world", "Hello World", "", " ", "\u2581already", "tab\there", "line1\nline2",
    "<s>[INST] hi [/INST]", "<s>[INST] hi [/INST] ok</s>", "<s> hi", "<s>hi", "hello</s>hello", "hi</s> there", "[INST]hi",
    "<start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n", "<bos><start_of_turn>user\n hi<end_of_turn>",
    "<|user|>\nhi<|end|>\n<|assistant|>\n", "<|user|> hi <|end|>",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nok<|im_end|>",
    "emoji \U0001F680\U0001F525 and caf\u00e9 \u00fc \u65e5\u672c", "\u00a0nbsp", "x\u0301 combining",
]

QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
                r"|\s+(?!\S)|\s+")
BYTES = ["<0x%02X>" % i for i in range(256)]


def sentencepiece_style(specials, prepend):
    """Llama-2/Mistral/Phi-3 as transformers converts them (prepend: Prepend + Replace) or Gemma's (Replace only)."""
    tok = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=len(specials) + 256 + 160, special_tokens=specials + BYTES,
                                                        show_progress=False))
    tok.pre_tokenizer = None  # trained per word; used on whole spans, as the converted files are
    steps = [normalizers.Prepend("\u2581")] if prepend else []
    tok.normalizer = normalizers.Sequence(steps + [normalizers.Replace(" ", "\u2581")])
    strip = [decoders.Strip(" ", 1, 0)] if prepend else []
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()] + strip)
    return tok


def byte_level():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=420, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tok.add_tokens([AddedToken("<think>", special=False, normalized=False), AddedToken("</think>", special=False, normalized=False)])
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def bos_template(tok, bos):
    tok.post_processor = processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B",
                                                       special_tokens=[(bos, tok.token_to_id(bos))])


def no_post(tok):
    tok.post_processor = None
    return tok


def llama_like(extra=(), rstrip=False):
    tok = sentencepiece_style(["<unk>", "<s>", "</s>"], prepend=True)
    tok.add_special_tokens([AddedToken(t, rstrip=rstrip, normalized=False, special=True) for t in extra])
    bos_template(tok, "<s>")
    return tok


def gemma_like():
    tok = sentencepiece_style(["<pad>", "<eos>", "<bos>", "<unk>"], prepend=False)
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in ["<start_of_turn>", "<end_of_turn>"]])
    bos_template(tok, "<bos>")
    return tok


LLAMA = {"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
         "add_bos_token": True, "add_eos_token": False, "clean_up_tokenization_spaces": False}
PHI3_TOKENS = ["<|endoftext|>", "<|assistant|>", "<|end|>", "<|user|>", "<|system|>"]
VARIANTS = {
    # Llama 2 / Mistral: the class rebuilds the pipeline from tokenizer.json's vocab and merges; legacy picks the rule.
    "llama2": ("llama", llama_like, {**LLAMA, "legacy": False}),
    "llama2-legacy": ("llama", llama_like, {**LLAMA, "legacy": True}),
    "llama2-eos": ("llama", llama_like, {**LLAMA, "legacy": False, "add_eos_token": True}),
    "llama2-nobos": ("llama", llama_like, {**LLAMA, "legacy": False, "add_bos_token": False}),
    "llama2-noflags": ("llama", llama_like, {k: v for k, v in LLAMA.items() if not k.startswith("add_")}),
    "llama2-fastclass": ("llama", llama_like, {**LLAMA, "tokenizer_class": "PreTrainedTokenizerFast"}),
    "llama2-noconfig": ("llama", llama_like, None),
    # No post_processor in tokenizer.json: what the class adds by default, or the flags alone, decide.
    "llama2-nopost": ("llama", lambda: no_post(llama_like()), {k: v for k, v in LLAMA.items() if not k.startswith("add_")}),
    "llama2-nopost-eos": ("llama", lambda: no_post(llama_like()), {**LLAMA, "add_bos_token": False, "add_eos_token": True}),
    "fastclass-eos": ("llama", llama_like, {**LLAMA, "tokenizer_class": "PreTrainedTokenizerFast", "add_eos_token": True}),
    "mistral": ("mistral", llama_like, {**LLAMA, "legacy": False}),
    "phi3": ("phi3", lambda: llama_like(PHI3_TOKENS, rstrip=True),
             {**LLAMA, "legacy": False, "add_bos_token": False, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}),
    "gemma": ("gemma2", gemma_like, {"tokenizer_class": "GemmaTokenizer", "bos_token": "<bos>", "eos_token": "<eos>",
                                     "pad_token": "<pad>", "unk_token": "<unk>", "add_bos_token": True, "add_eos_token": False}),
    "gemma-noconfig": ("gemma3_text", gemma_like, None),
    "gemma-nopost": ("gemma3_text", lambda: no_post(gemma_like()), {"tokenizer_class": "GemmaTokenizer", "bos_token": "<bos>",
                                                                    "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}),
    "qwen3": ("qwen3", byte_level, {"tokenizer_class": "Qwen2Tokenizer", "bos_token": None, "eos_token": "<|im_end|>",
                                    "pad_token": "<|endoftext|>", "add_bos_token": False, "add_prefix_space": False,
                                    "errors": "replace", "split_special_tokens": False, "clean_up_tokenization_spaces": False}),
    "qwen3-eos": ("qwen3", byte_level, {"tokenizer_class": "Qwen2Tokenizer", "bos_token": None, "eos_token": "<|im_end|>",
                                        "add_eos_token": True, "clean_up_tokenization_spaces": False}),
    "qwen3-noconfig": ("qwen3", byte_level, None),
}


def pipeline(tok):
    j = json.loads(tok.backend_tokenizer.to_str())
    return {k: j.get(k) for k in ("normalizer", "pre_tokenizer", "post_processor", "decoder")}


def main(out):
    for name, (model_type, build, config) in VARIANTS.items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        raw = build()
        raw.save(os.path.join(d, "tokenizer.json"))
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"model_type": model_type}, f)
        if config is not None:
            # As transformers saves it: every added token of tokenizer.json listed by id.
            added = {str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
                     for t in json.loads(raw.to_str())["added_tokens"]}
            with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
                json.dump({**config, "added_tokens_decoder": added}, f, ensure_ascii=False, indent=1)
        expected = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__}
        try:
            tok = AutoTokenizer.from_pretrained(d)
            expected.update({"class": type(tok).__name__, "pipeline": pipeline(tok), "samples": []})
            for text in TEXTS:
                ids = tok(text)["input_ids"]
                plain = tok(text, add_special_tokens=False)["input_ids"]
                expected["samples"].append({
                    "text": text, "ids": ids, "ids_no_special": plain, "tokens": tok.convert_ids_to_tokens(ids),
                    "decoded": tok.decode(ids), "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
                    "tokenizers_ids": raw.encode(text).ids})
        except Exception as e:  # recorded, so the C# side says why it has nothing to compare
            expected["error"] = f"{type(e).__name__}: {e}"
        with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as f:
            json.dump(expected, f, ensure_ascii=False, indent=1)
        print(name, expected.get("class", expected.get("error")))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 make_expected.py OUT_DIR")
    main(sys.argv[1])
