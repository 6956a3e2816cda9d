"""The workshop page: move a lever, watch the revenue lost answer.

Started by `alignsim workshop` (`streamlit run` on this file). The sidebar holds the scenario
and one control per misalignment of the played policy; the page shows the revenue lost a year
against the baseline with its 95% interval, the two funnels, the causes, and one sentence
naming the biggest cause. Every answer is cached on plain values (the document's digest and
the overrides the levers make), so moving a lever back is instant.
"""

from __future__ import annotations

import logging
import os
import shlex
import time
from pathlib import Path
from typing import Any

import streamlit as st

from alignsim.engines import DEFAULT_ENGINE
from alignsim.scenario import MAX_ATTEMPTS, Scenario, ScenarioError, expected_leads, validate
from alignsim.units import format_duration
from alignsim.workshop import charts, controls, figures, sources

REPLICATIONS_ENV = "ALIGNSIM_WORKSHOP_REPLICATIONS"
WEEKS_ENV = "ALIGNSIM_WORKSHOP_WEEKS"
ENGINE_ENV = "ALIGNSIM_WORKSHOP_ENGINE"
UPLOAD = "your own file (upload below)"
WEEKS = (4, 8, 13, 26, 52)

# Session-state key of each lever's widget. (No bare strings at the top level of this file:
# Streamlit would show them on the page.)
LEVER_KEYS = {
    "sla": "lever_sla",
    "handoff": "lever_handoff",
    "attempts": "lever_attempts",
    "definition": "lever_definition",
    "mql_threshold": "lever_mql",
    "accept_threshold": "lever_accept",
    "rejected": "lever_rejected",
    "nurture": "lever_nurture",
    "cherry_pick": "lever_cherry",
    "reps": "lever_reps",
    "others": "lever_others",
}


def _plain(text: str) -> str:
    """Text from a scenario file, shown literally (no Markdown, links or formulas)."""
    for char in "\\`*_[]#|$<>~":
        text = text.replace(char, "\\" + char)
    return text


def _shown_path(path: Path) -> Path:
    """A file's path relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path.resolve()


def _put(levers: controls.Levers) -> None:
    """Set every lever's widget (a callback of the reset buttons, or a new scenario)."""
    for field, key in LEVER_KEYS.items():
        value = getattr(levers, field)
        st.session_state[key] = controls.sla_label(value) if field == "sla" else value


def _stop_with(problems: list[str]) -> None:
    for problem in problems:
        st.error(problem)
    st.stop()


@st.cache_data(max_entries=1024, show_spinner=False)
def _answer(
    key: str,
    label: str,
    policy: str,
    sets: tuple[str, ...],
    replications: int,
    horizon: float,
    engine: str | None,
    _doc: dict[str, Any],
) -> figures.Answer:
    """The page's answer for one lever setting, keyed on plain values (`_doc` is not hashed:
    `key` is its digest)."""
    return figures.answer(
        _doc,
        label,
        policy,
        sets,
        replications=replications,
        horizon=horizon,
        engine=engine,
    )


def _source() -> sources.Source:
    """The scenario picked in the sidebar (stops the page with the file's problems)."""
    first = sources.default_scenario()
    files = {p.name: p for p in sources.shipped()}
    if first.name not in files or files[first.name].resolve() != first.resolve():
        files = {first.name: first, **{k: v for k, v in files.items() if k != first.name}}
    names = [*files, UPLOAD]
    picked = st.sidebar.selectbox("Scenario", names, index=names.index(first.name), key="scenario")
    try:
        if picked != UPLOAD:
            return sources.from_file(files[picked])
        upload = st.sidebar.file_uploader(
            "Scenario file (TOML, at most 1 MB)",
            type=["toml"],
            max_upload_size=1,
            key="upload",
        )
        if upload is None:
            st.info("Upload a scenario file (TOML, at most 1 MB) in the sidebar.")
            st.stop()
        return sources.from_upload(upload.name, upload.getvalue())
    except ScenarioError as error:
        _stop_with(error.problems)
        raise  # not reached: st.stop ends the run


def _levers(ch: controls.Choices, bars: tuple[float, float]) -> controls.Levers:
    """The lever widgets, in the order of the misalignments; returns their values."""
    side = st.sidebar
    side.subheader("1. Speed to lead")
    stops = {controls.sla_label(target): target for target in ch.sla}
    side.select_slider(
        "Response SLA: the reps call the earliest deadline first",
        options=list(stops),
        key=LEVER_KEYS["sla"],
        help="Target from MQL to the first call (in business hours, unless the scenario's SLA "
        f"counts the wall clock). 'none': no target, reps take leads by habit ({ch.habit}).",
    )
    if st.session_state[LEVER_KEYS["cherry_pick"]]:
        side.caption("While reps cherry-pick, their own order wins: the SLA changes nothing.")
    else:
        side.caption("An SLA orders the queue; it matters when leads wait for a rep.")
    side.radio(
        "Handoff to sales",
        ["realtime", "batch"],
        format_func={"realtime": "realtime", "batch": "daily batch export"}.get,
        horizontal=True,
        key=LEVER_KEYS["handoff"],
    )
    side.subheader("2. Persistence")
    side.slider("Contact attempts per lead", 1, MAX_ATTEMPTS, key=LEVER_KEYS["attempts"])
    side.subheader("3. Lead definitions")
    side.radio(
        "Definition of a good lead",
        ["shared", "subjective"],
        format_func={"shared": "shared, objective", "subjective": "each team its own"}.get,
        horizontal=True,
        key=LEVER_KEYS["definition"],
    )
    low, high = bars
    side.slider("Marketing's MQL bar", low, high, step=0.01, key=LEVER_KEYS["mql_threshold"])
    side.slider("Sales' acceptance bar", low, high, step=0.01, key=LEVER_KEYS["accept_threshold"])
    side.subheader("4. Nurture")
    nurture = side.toggle("Nurture leads that are not ready yet", key=LEVER_KEYS["nurture"])
    if not nurture:
        st.session_state[LEVER_KEYS["rejected"]] = "discard"  # what the policy then does
    side.radio(
        "Leads sales rejects are",
        ["discard", "nurture"],
        format_func={"discard": "discarded", "nurture": "nurtured"}.get,
        horizontal=True,
        disabled=not nurture,
        key=LEVER_KEYS["rejected"],
        help=None if nurture else "Rejects can only be nurtured when nurture is on.",
    )
    side.subheader("5. Goals and capacity")
    side.toggle(
        "Reps cherry-pick: own prospects and big deals first", key=LEVER_KEYS["cherry_pick"]
    )
    side.slider("Sales reps", 1, ch.max_reps, key=LEVER_KEYS["reps"])
    if ch.others_differ:
        side.radio(
            "Every setting without a control as in",
            [ch.policy, ch.baseline],
            horizontal=True,
            key=LEVER_KEYS["others"],
            help="; ".join(
                f"{field}: {mine} in {ch.policy}, {theirs} in {ch.baseline}"
                for field, mine, theirs in ch.others_differ
            ),
        )
    values = {field: st.session_state[key] for field, key in LEVER_KEYS.items()}
    values["sla"] = stops[values["sla"]]
    return controls.Levers(**values)


def _weeks(scenario: Scenario) -> int:
    """Weeks simulated at first: 13 (or what the command line says), or the scenario's
    horizon when it is shorter."""
    return min(int(os.environ.get(WEEKS_ENV) or 13), max(1, int(scenario.horizon // 168)))


def _precision(scenario: Scenario, label: str) -> tuple[int, float]:
    """Replications and horizon (hours) from the sidebar's precision settings; stops the page
    when they would make more leads than it can play in a second or two."""
    state = st.session_state
    if "replications" not in state:
        state["replications"] = int(os.environ.get(REPLICATIONS_ENV) or 30)
    if "weeks" not in state:
        state["weeks"] = _weeks(scenario)
    with st.sidebar.expander("Precision"):
        replications = st.number_input(
            "Paired replications", min_value=2, max_value=200, step=1, key="replications"
        )
        weeks = st.selectbox(
            "Weeks simulated (scaled to a year)",
            sorted({*WEEKS, _weeks(scenario), state["weeks"]}),
            key="weeks",
            help="The measurement window. The scenario's own is "
            f"{format_duration(scenario.horizon)}; every window is warmed up and its leads "
            "followed until they resolve, so fewer weeks estimate the same figure a year, "
            "faster, with a wider interval.",
        )
    run = scenario.run_hours(weeks * 168.0)
    leads = expected_leads(scenario) / scenario.horizon * run * replications
    if leads > figures.MAX_LEADS_PER_ANSWER:
        _stop_with(
            [
                f"{label}: {replications} replications of {weeks} weeks (with the warm-up "
                "and settle time) make about "
                f"{leads:,.0f} leads; the page plays at most "
                f"{figures.MAX_LEADS_PER_ANSWER:,} per answer to answer quickly: lower the "
                "replications or the weeks under Precision"
            ]
        )
    return int(replications), weeks * 168.0


def main() -> None:
    st.set_page_config(page_title="alignsim workshop", layout="wide")
    source = _source()
    doc = source.document
    try:
        scenario = validate(doc, source.label)
        others = [n for n in scenario.policies if n != scenario.baseline_policy]
        if not others:
            raise ScenarioError(
                [
                    f"{source.label}: policies: only the baseline "
                    f"{scenario.baseline_policy!r}; add a policy to compare with it"
                ]
            )
        policy = (
            st.sidebar.selectbox("Policy to change", others, key="policy")
            if len(others) > 1
            else others[0]
        )
        ch = controls.choices(doc, scenario, policy, source.label)
    except ScenarioError as error:
        _stop_with(error.problems)
        return
    key = figures.digest(doc)
    state = st.session_state
    if state.get("levers_for") != (key, policy):
        _put(controls.levers_of(scenario, ch, policy))
        if state.get("levers_for") is not None:  # another scenario: its own horizon
            state["weeks"] = _weeks(scenario)
        state["levers_for"] = (key, policy)
    values = [
        p.definition.mql_threshold
        for p in (scenario.policies[policy], scenario.policies[ch.baseline])
    ] + [
        p.definition.accept_threshold
        for p in (scenario.policies[policy], scenario.policies[ch.baseline])
    ]
    bars = (min(0.0, *values), max(1.0, *values))
    st.sidebar.button(
        f"Reset every lever to {ch.baseline}",
        on_click=_put,
        args=(controls.levers_of(scenario, ch, ch.baseline),),
        key="reset",
        type="primary",
        width="stretch",
    )
    st.sidebar.button(
        f"Back to {policy} as written",
        on_click=_put,
        args=(controls.levers_of(scenario, ch, policy),),
        key="back",
        width="stretch",
    )
    levers = _levers(ch, bars)
    replications, horizon = _precision(scenario, source.label)
    engine = os.environ.get(ENGINE_ENV) or None
    sets = controls.overrides(doc, ch, levers)
    started = time.perf_counter()
    try:
        with st.spinner(f"Playing {replications} paired replications..."):
            answer = _answer(key, source.label, policy, sets, replications, horizon, engine, doc)
    except ScenarioError as error:
        _stop_with(error.problems)
        return
    except Exception as error:  # a bug: one sentence here, the traceback in the console
        logging.getLogger("alignsim.workshop").exception("the answer failed")
        _stop_with([f"alignsim: internal error: {type(error).__name__}: {error}"])
        return
    state["answer_seconds"] = time.perf_counter() - started
    state["answer"] = answer.interval
    state["answer_result"] = answer.result
    result = answer.result
    st.title(_plain(answer.headline))
    scale = figures.HOURS_PER_YEAR / result.horizon_h
    st.caption(
        _plain(
            f"{source.label}: {policy} against {ch.baseline} on the same leads, mean of "
            f"{result.replications} paired replications of {format_duration(result.horizon_h)} "
            f"scaled to a year (x {scale:.2f}), seed {result.seed}, "
            f"{engine or DEFAULT_ENGINE} engine; answered in {state['answer_seconds']:.2f} s."
        )
    )
    st.markdown(f"**{_plain(answer.sentence)}**")
    st.markdown(_plain(figures.money_line(result)))
    left_chart, right_chart = st.columns(2)
    left_chart.altair_chart(charts.funnel_chart(result), width="stretch")
    right_chart.altair_chart(charts.causes_chart(result), width="stretch")
    with st.expander("Reproduce in a terminal"):
        command = [
            "alignsim",
            "compare",
            str(_shown_path(source.path)) if source.path else source.label,
            "--policy",
            policy,
            "--replications",
            str(result.replications),
            "--horizon",
            format_duration(result.horizon_h),
        ]
        for item in sets:
            command += ["--set", item]
        st.code(shlex.join(command), language="bash")


main()
