"""Export then import is the identity: any valid agenda written as YAML loads back as itself."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workshop.core.agenda import QUESTION_FIELDS, TURN_TITLES, load_agenda, parse_agenda
from workshop.core.source import file_name, to_source, to_yaml, tweak_refusal

from .test_agenda import SHIPPED, VALID


def text(limit: int, lines: bool = False):
    """Text a facilitator may type: any letters, marks, symbols and spaces, line breaks where allowed."""
    alphabet = st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn"),
                             include_characters="\n" if lines else "")
    return st.text(alphabet, min_size=1, max_size=limit).map(str.strip).filter(bool)


minutes = st.sampled_from([0.25, 0.5, 1, 1.5, 2, 3, 5, 7.75, 10, 60])
SLUGS = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True)


@st.composite
def question(draw, qid: str):
    kind = draw(st.sampled_from(tuple(QUESTION_FIELDS)))
    q = {"id": qid, "type": kind, "text": draw(text(200)), "required": draw(st.booleans())}
    if kind == "scale":
        q["labels"] = draw(st.lists(text(40), min_size=5, max_size=5))
    elif kind == "text":
        q["max_length"] = draw(st.integers(1, 2000))
    else:
        q["options"] = draw(st.lists(text(100), min_size=2, max_size=5, unique=True))
    return q


@st.composite
def step(draw, kind: str, groups_before: bool):
    s = {"kind": kind, "title": draw(text(80))}
    if draw(st.booleans()):
        s["text"] = draw(text(2000, lines=True))
    elif kind == "message":
        s["text"] = draw(text(50))
    if kind != "round" and draw(st.booleans()):
        s["minutes"] = draw(minutes)
    if kind == "agreements":
        s["items"] = draw(st.lists(text(200), min_size=1, max_size=4))
    elif kind == "pairing" and draw(st.booleans()):
        s["odd"] = draw(st.sampled_from(["triad", "facilitator"]))
    elif kind == "round":
        deck = draw(st.lists(text(300), min_size=1, max_size=4, unique=True))
        s["prompts"] = deck
        s["draw"] = len(deck) > 1 and draw(st.booleans())
        s["pairing"] = draw(st.sampled_from(["new", "keep"] if groups_before else ["new"]))
        s["turns"] = [{"speaker": draw(st.sampled_from(tuple(TURN_TITLES))), "minutes": draw(minutes),
                       **({"title": draw(text(60))} if draw(st.booleans()) else {})}
                      for _ in range(draw(st.integers(1, 4)))]
        if draw(st.booleans()):
            s["cues"] = {"speak": draw(text(200))}
        if draw(st.booleans()):
            s["reflection"] = draw(text(500, lines=True))
    elif kind == "feedback":
        ids = draw(st.lists(SLUGS, min_size=1, max_size=4, unique=True))
        s["questions"] = [draw(question(qid)) for qid in ids]
    return s


@st.composite
def agendas(draw):
    kinds = draw(st.lists(st.sampled_from(["welcome", "agreements", "pairing", "round", "message",
                                           "feedback", "closing"]), min_size=1, max_size=8))
    steps, seen = [], set()
    for kind in kinds:
        if kind == "feedback" and kind in seen:
            continue
        steps.append(draw(step(kind, bool({"pairing", "round"} & seen))))
        seen.add(kind)
    data = {"title": draw(text(80)), "steps": steps}
    if draw(st.booleans()):
        data["summary"] = draw(text(200))
    if draw(st.booleans()):
        data["minutes"] = draw(st.integers(1, 600))
    if draw(st.booleans()):
        data["odd"] = draw(st.sampled_from(["triad", "facilitator"]))
    if draw(st.booleans()):
        data["language"] = draw(st.sampled_from(["es", "ar", "he", "pt-BR", "zh-Hant", "fil"]))
    return parse_agenda(data, name=draw(SLUGS), file="agendas/drawn.yaml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(agenda=agendas())
def test_any_valid_agenda_exported_as_yaml_loads_back_identically(agenda, tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / f"{agenda.name}.yaml"
    path.write_text(to_yaml(agenda), encoding="utf-8")
    assert load_agenda(path) == agenda


def test_shipped_agendas_export_to_files_the_loader_reads_back(tmp_path):
    for shipped in SHIPPED:
        agenda = load_agenda(shipped)
        path = tmp_path / file_name(agenda.title)
        path.write_text(to_yaml(agenda), encoding="utf-8")
        assert load_agenda(path).to_dict() == {**agenda.to_dict(), "name": path.stem}


def test_file_name_is_one_the_loader_accepts():
    assert file_name("Our Team's Check-in: Spring!") == "our-team-s-check-in-spring.yaml"
    assert file_name("¿¡") == "my-agenda.yaml"


def agenda_of(data):
    return parse_agenda(data, name="t", file="t")


def test_tweaks_may_change_prompts_durations_and_agreements():
    base = agenda_of(VALID)
    source = to_source(base)
    source["steps"][1]["items"] = ["Be gentle"]
    source["steps"][3]["prompts"] = ["What is alive in you today?"]
    source["steps"][3]["draw"] = False
    source["steps"][3]["turns"][0]["minutes"] = 7
    source["steps"][4]["minutes"] = 4
    assert tweak_refusal(base, agenda_of(source)) is None


def test_tweaks_may_not_change_titles_kinds_or_the_number_of_steps():
    base = agenda_of(VALID)
    retitled = to_source(base)
    retitled["steps"][3]["title"] = "Another round"
    assert "Step 4" in str(tweak_refusal(base, agenda_of(retitled)))
    shorter = to_source(base)
    del shorter["steps"][4]
    assert "add or remove" in str(tweak_refusal(base, agenda_of(shorter)))
