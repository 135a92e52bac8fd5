"""Checks (or, with --write, rewrites) cases.json and semantics.json against Hugging Face transformers' own rendering.

The expected strings were computed by render_with_jinja2.py, which sets up jinja2 as transformers does; run this where
transformers is installed to confirm them:  python check_with_transformers.py [--write]
Each case renders as tokenizer.apply_chat_template(messages, add_generation_prompt=..., tokenize=False, **variables)
would: transformers' renderer with the tokenizer's special tokens, then the case's extra variables, as template
variables.
"""
import json
import pathlib
import sys

from transformers.utils.chat_template_utils import render_jinja_template

here = pathlib.Path(__file__).parent
wrong = 0
for name, source_of in (("cases.json", lambda c: (here / f"{c['template']}.jinja").read_text(encoding="utf-8")),
                        ("semantics.json", lambda c: c["template"])):
    cases = json.loads((here / name).read_text(encoding="utf-8"))
    for case in cases:
        try:
            rendered, _ = render_jinja_template(
                conversations=[case.get("messages", [])], chat_template=source_of(case),
                add_generation_prompt=case.get("add_generation_prompt", True),
                **{**case.get("special_tokens", {}), **case.get("variables", {})})
            got = {"expected": rendered[0]}
        except Exception as e:  # a template's raise_exception surfaces as jinja2's TemplateError
            got = {"error": str(e)}
        want = {k: case[k] for k in ("expected", "error") if k in case}
        if got != want:
            wrong += 1
            print(f"{name} {case['template']!r}:\n  want {want!r}\n  got  {got!r}")
        case.pop("expected", None)
        case.pop("error", None)
        case.update(got)
    if "--write" in sys.argv:
        (here / name).write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{name}: {len(cases)} cases")
print(f"{wrong} differ from transformers")
sys.exit(1 if wrong and "--write" not in sys.argv else 0)
