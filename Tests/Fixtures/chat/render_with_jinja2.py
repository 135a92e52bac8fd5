"""Renders the chat fixtures with Python's jinja2 set up as transformers sets it up, to make the expected strings.

transformers' render_jinja_template (src/transformers/utils/chat_template_utils.py) compiles a template in an
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols]) with
its own tojson filter and raise_exception/strftime_now globals, and renders it with messages, tools, documents,
add_generation_prompt and the tokenizer's special tokens, plus apply_chat_template's extra keyword arguments. This
script does the same with jinja2 alone (no transformers needed), for every case of cases.json (a template file) and
semantics.json (an inline template):

    python render_with_jinja2.py            # check: exit 1 if an expected string or error differs
    python render_with_jinja2.py --write    # rewrite the expected strings and errors

check_with_transformers.py stays the final check where transformers itself is installed.
"""
import json
import pathlib
import sys
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Generation(jinja2.ext.Extension):
    """transformers' AssistantTracker as a render sees it: {% generation %}...{% endgeneration %} writes its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, source, case):
    """{"expected": text} or {"error": message}, as transformers' render_jinja_template would end. The case's
    "variables" are apply_chat_template's extra keyword arguments (tools, enable_thinking, ...), which come after
    the special tokens and may replace them."""
    try:
        template = env.from_string(source)
        context = {"messages": case.get("messages", []), "tools": None, "documents": None,
                   "add_generation_prompt": case.get("add_generation_prompt", True),
                   **case.get("special_tokens", {}), **case.get("variables", {})}
        return {"expected": template.render(**context)}
    except Exception as e:  # TemplateError (raise_exception, syntax, undefined) and Python's own (TypeError...)
        return {"error": str(e)}


def main():
    here = pathlib.Path(__file__).parent
    env = environment()
    wrong = 0
    for name, source_of in (("cases.json", lambda c: (here / f"{c['template']}.jinja").read_text(encoding="utf-8")),
                            ("semantics.json", lambda c: c["template"])):
        path = here / name
        cases = json.loads(path.read_text(encoding="utf-8"))
        for case in cases:
            got = render(env, source_of(case), case)
            want = {k: case[k] for k in ("expected", "error") if k in case}
            if got != want:
                wrong += 1
                print(f"{name} {case['template']!r}:\n  want {want!r}\n  got  {got!r}")
            case.pop("expected", None)
            case.pop("error", None)
            case.update(got)
        if "--write" in sys.argv:
            path.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: {len(cases)} cases")
    print(f"{wrong} differ from jinja2")
    sys.exit(1 if wrong and "--write" not in sys.argv else 0)


if __name__ == "__main__":
    main()
