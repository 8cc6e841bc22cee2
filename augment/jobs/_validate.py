"""Validate a parsed job file and turn every problem into a ConfigError with a line.

Checks, in order: no API key or other secret anywhere in the file (keys come from
the environment only), then ``schemas/job.schema.json``. Unknown keys get a
"did you mean" suggestion; wrong types and bad enum values name the expected
form. All problems are listed; the error's ``key`` and ``line`` are the first's.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from augment.errors import ConfigError
from augment.jobs._locate import find_line, suggest

__all__ = ["job_schema", "validate_job_dict"]

_SECRET_NAME = re.compile(
    r"^(?:.*[_-])?(?:api[_-]?key|apikey|secret|secret[_-]?key|password|passwd|token|"
    r"access[_-]?token|auth[_-]?token|bearer|authorization|credentials?)$",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(r"^(?:sk-|sk_|sk-ant-|xai-|gsk_|hf_)[A-Za-z0-9_\-]{16,}$")
_ENV_HINT = ("API keys are never read from job files. Remove it and set the provider's "
             "environment variable instead (OPENAI_API_KEY, ANTHROPIC_API_KEY; for an "
             "OpenAI-compatible server without auth any value such as OPENAI_API_KEY=none).")


@lru_cache(maxsize=1)
def job_schema() -> dict[str, Any]:
    """The job JSON Schema, from the package (``augment/_schemas``) or the source tree."""
    candidates = [resources.files("augment") / "_schemas" / "job.schema.json",
                  Path(__file__).resolve().parents[2] / "schemas" / "job.schema.json"]
    for candidate in candidates:
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    raise ConfigError("job.schema.json is missing from the installation; reinstall augment")


def _walk(value: Any, path: tuple[str, ...] = ()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,), v
            yield from _walk(v, path + (k,))
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, path)


def _check_secrets(data: dict[str, Any], text: str, file: str | None) -> None:
    for path, value in _walk(data):
        dotted = ".".join(path)
        if _SECRET_NAME.match(path[-1]):
            raise ConfigError(f"'{path[-1]}' looks like a secret. {_ENV_HINT}", key=dotted,
                              file=file, line=find_line(text, path))
        if isinstance(value, str) and _SECRET_VALUE.match(value.strip()):
            raise ConfigError(f"the value looks like an API key. {_ENV_HINT}", key=dotted,
                              file=file, line=find_line(text, path))


def _subschema(schema: dict[str, Any], error: jsonschema.ValidationError) -> dict[str, Any]:
    sub = error.schema if isinstance(error.schema, dict) else {}
    ref = sub.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        sub = schema["$defs"][ref.split("/")[-1]]
    return sub


def _describe(schema: dict[str, Any], error: jsonschema.ValidationError) -> list[tuple[tuple, str]]:
    """(key path, message) pairs for one schema error."""
    path = tuple(error.absolute_path)
    sub = _subschema(schema, error)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(sub.get("properties", {}))
        out = []
        for extra in sorted(set(error.instance) - known):
            hint = suggest(extra, known)
            msg = f"unknown key '{extra}'"
            msg += (f"; did you mean '{hint}'?" if hint
                    else f"; known keys: {', '.join(sorted(known))}")
            out.append((path + (extra,), msg))
        if out:
            return out
    if error.validator == "enum":
        choices = [str(c) for c in error.validator_value]
        msg = f"{error.instance!r} is not one of {', '.join(choices)}"
        hint = suggest(str(error.instance), choices)
        if hint:
            msg += f"; did you mean '{hint}'?"
        return [(path, msg)]
    if error.validator == "type":
        got = type(error.instance).__name__
        return [(path, f"expected {error.validator_value}, got {got} {error.instance!r}")]
    if error.validator == "oneOf":
        forms = []
        for option in error.validator_value:
            if "const" in option:
                forms.append(repr(option["const"]))
            elif "type" in option:
                kind = option["type"]
                forms.append(f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}")
        return [(path, f"{error.instance!r} is not valid: expected {' or '.join(forms)}")]
    return [(path, error.message)]


def validate_job_dict(data: dict[str, Any], text: str, file: str | None = None) -> None:
    """Raise ConfigError naming key and line for the first problem (listing all of them)."""
    _check_secrets(data, text, file)
    schema = job_schema()
    validator = jsonschema.Draft202012Validator(schema)
    problems: list[tuple[int, str, str]] = []
    for error in validator.iter_errors(data):
        for path, msg in _describe(schema, error):
            line = find_line(text, path) if path else None
            problems.append((line or 0, ".".join(str(p) for p in path), msg))
    if not problems:
        return
    problems.sort()
    line, key, msg = problems[0]
    if len(problems) > 1:
        others = "; ".join(f"line {ln} key '{k}': {m}" for ln, k, m in problems[1:6])
        msg += f" (also: {others})"
    sep = " " if msg.endswith("?") else ". "
    raise ConfigError(msg + sep + "Fix the job file and run again "
                      "(schema: schemas/job.schema.json)",
                      key=key or None, file=file, line=line or None)
