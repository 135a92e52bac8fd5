"""Checks (or, with --write, rewrites) cases.json against Hugging Face transformers' own chat-template rendering.

The expected strings in cases.json were written by hand from the templates' semantics (this machine has no PyPI);
run this where transformers is installed to confirm them:  python check_with_transformers.py [--write]
Each case renders as tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False) would:
transformers' renderer with the tokenizer's special tokens as template variables.
"""
import json
import pathlib
import sys

from transformers.utils.chat_template_utils import render_jinja_template

here = pathlib.Path(__file__).parent
cases = json.loads((here / "cases.json").read_text(encoding="utf-8"))
wrong = 0
for case in cases:
    template = (here / f"{case['template']}.jinja").read_text(encoding="utf-8")
    try:
        rendered, _ = render_jinja_template(
            conversations=[case["messages"]], chat_template=template,
            add_generation_prompt=case["add_generation_prompt"], **case["special_tokens"])
        got = {"expected": rendered[0]}
    except Exception as e:  # a template's raise_exception surfaces as jinja2's TemplateError
        got = {"error": str(e)}
    want = {k: case[k] for k in ("expected", "error") if k in case}
    if got != want:
        wrong += 1
        print(f"{case['template']}: want {want!r}\n{' ' * len(case['template'])}  got  {got!r}")
    case.pop("expected", None)
    case.pop("error", None)
    case.update(got)
if "--write" in sys.argv:
    (here / "cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1), encoding="utf-8")
print(f"{len(cases)} cases, {wrong} differ from transformers")
sys.exit(1 if wrong and "--write" not in sys.argv else 0)
