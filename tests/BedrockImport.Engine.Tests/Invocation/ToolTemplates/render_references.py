#!/usr/bin/env python3
"""Writes the reference renderings (<case>.expected.txt) of the chat templates in this folder for cases.json.

The renderings are made with jinja2 in the environment transformers' apply_chat_template uses (an
ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and the loopcontrols extension; tojson as
json.dumps(ensure_ascii=False); raise_exception; strftime_now), and the variables it passes: messages, tools (the
list of {"type": "function", "function": {...}} dicts, or None), documents (None), add_generation_prompt, bos_token,
eos_token, and any extra template variables. These files are the reference the engine's renderer is tested against
(ToolTemplateReferenceTests); regenerate them with:  python3 render_references.py
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    with open(os.path.join(HERE, "cases.json"), encoding="utf-8") as f:
        spec = json.load(f)
    env = environment()
    for case in spec["cases"]:
        with open(os.path.join(HERE, case["template"]), encoding="utf-8", newline="") as f:
            template = env.from_string(f.read())
        rendered = template.render(
            messages=case["messages"],
            tools=None if case.get("no_tools") else spec["tools"],
            documents=None,
            add_generation_prompt=case["add_generation_prompt"],
            bos_token=case.get("bos_token") or "",
            eos_token=case.get("eos_token") or "",
            **case.get("variables", {}),
        )
        with open(os.path.join(HERE, case["name"] + ".expected.txt"), "w", encoding="utf-8", newline="") as f:
            f.write(rendered)
        print(case["name"], len(rendered))


if __name__ == "__main__":
    main()
