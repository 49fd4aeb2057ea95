"""An agenda written back as its file would say it: the studio's data, the YAML export, and tweaks.

`to_source` gives the plain mapping `agenda.parse_agenda` reads (every default written out),
so export and import are one loop: `parse_agenda(to_source(a)) == a` for any checked agenda.
"""

from __future__ import annotations

import re

import yaml

from .agenda import Agenda, RoundStep, Step
from .errors import Refusal

# What a facilitator may change for one workshop without touching the agenda.
TWEAKABLE_STEP = ("minutes", "prompts", "draw", "items")
TWEAKABLE_TURN = ("minutes",)


def _number(value):
    """Return a whole float as an int, so that the file says 5, not 5.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _step_source(step: Step) -> dict:
    """Return one step as the file has it."""
    data = {"kind": step.kind, "title": step.title}
    if step.text:
        data["text"] = step.text
    if step.minutes is not None:
        data["minutes"] = _number(step.minutes)
    if step.kind == "agreements":
        data["items"] = list(step.items)
    elif step.kind == "pairing" and step.odd is not None:
        data["odd"] = step.odd
    elif isinstance(step, RoundStep):
        data.update(prompts=list(step.prompts), draw=step.draw, pairing=step.pairing,
                    turns=[{"speaker": t.speaker, "minutes": _number(t.minutes), "title": t.title}
                           for t in step.turns],
                    cues=step.cues.to_dict())
        if step.reflection:
            data["reflection"] = step.reflection
    elif step.kind == "feedback":
        data["questions"] = [q.to_dict() for q in step.questions]
    return data


def to_source(agenda: Agenda) -> dict:
    """Return the agenda as the mapping its YAML file holds, every default written out."""
    data: dict = {"title": agenda.title}
    if agenda.summary:
        data["summary"] = agenda.summary
    if agenda.minutes is not None:
        data["minutes"] = agenda.minutes
    data["odd"] = agenda.odd
    if agenda.language:
        data["language"] = agenda.language
    data["steps"] = [_step_source(step) for step in agenda.steps]
    return data


class _Dumper(yaml.SafeDumper):
    """Write text with line breaks as a block, as a person would type it."""


def _text(dumper, value: str):
    style = "|" if "\n" in value and value == value.strip() and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(agenda: Agenda) -> str:
    """Return the agenda as a YAML file that `agenda.load_agenda` reads back as the same agenda."""
    head = "# Written by the Heart to Heart studio; docs/agendas.md explains each field.\n"
    body = yaml.dump(to_source(agenda), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=100, default_flow_style=False)
    return head + body


def file_name(title: str) -> str:
    """Return a file name the loader accepts, made from an agenda's title."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-")
    return f"{slug or 'my-agenda'}.yaml"


def _fixed(agenda: Agenda) -> dict:
    """Return what tweaks may not change: the agenda without durations, prompts and agreements."""
    data = agenda.to_dict()
    data.pop("minutes")
    for step in data["steps"]:
        for field in TWEAKABLE_STEP:
            step.pop(field, None)
        for turn in step.get("turns", ()):
            for field in TWEAKABLE_TURN:
                turn.pop(field)
    return data


def tweak_refusal(agenda: Agenda, tweaked: Agenda) -> Refusal | None:
    """Say why `tweaked` is more than one workshop's tweaks of `agenda` (None when it is not)."""
    if len(agenda.steps) != len(tweaked.steps):
        return Refusal("Tweaks cannot add or remove steps: change the agenda in the studio instead.",
                       "not_a_tweak")
    before, after = _fixed(agenda), _fixed(tweaked)
    for number, (old, new) in enumerate(zip(before["steps"], after["steps"], strict=True), 1):
        if old != new:
            return Refusal("Step {number} changed more than its prompts, durations or agreements: "
                           "change the agenda in the studio instead.", "not_a_tweak", number=number)
    if before != after:
        return Refusal("Tweaks change only prompts, durations and agreements: "
                       "change the agenda in the studio instead.", "not_a_tweak")
    return None
