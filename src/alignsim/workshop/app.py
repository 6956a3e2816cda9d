"""The workshop page: move a lever, watch the revenue lost answer.

Started by `alignsim workshop` (`streamlit run` on this file). The sidebar holds the scenario
and one control per misalignment of the played policy; the page shows the revenue lost a year
against the baseline with its 95% interval, the two funnels, the causes, and one sentence
naming the biggest cause. Every answer is cached on plain values (the document's digest and
the overrides the levers make) once for all sessions (`served`), so moving a lever back is
instant.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import logging
import os
import shlex
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import streamlit as st

from alignsim.comparison import Comparison
from alignsim.engines import DEFAULT_ENGINE
from alignsim.scenario import MAX_ATTEMPTS, Scenario, ScenarioError, expected_leads, validate
from alignsim.units import format_duration
from alignsim.workshop import charts, controls, figures, served, sources, words

REPLICATIONS_ENV = "ALIGNSIM_WORKSHOP_REPLICATIONS"
WEEKS_ENV = "ALIGNSIM_WORKSHOP_WEEKS"
ENGINE_ENV = "ALIGNSIM_WORKSHOP_ENGINE"
UPLOAD = "your own file (upload below)"
WEEKS = (4, 8, 13, 26, 52)
# What the upload widget passes on (MB): larger than the 1 MB a scenario may be, so that the
# page, not a tooltip, says a file is too large.
UPLOAD_WIDGET_MB = 20
# How long the page waits for the split by lever before it draws the rest and polls (s).
SPLIT_WAIT_S = 3.0
SPLIT_WAIT_ENV = "ALIGNSIM_WORKSHOP_SPLIT_WAIT"

# Session-state key of each lever's widget. (No bare strings at the top level of this file:
# Streamlit would show them on the page.)
LEVER_KEYS = {
    "sla": "lever_sla",
    "handoff": "lever_handoff",
    "alerts": "lever_alerts",
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


def _description(path: Path) -> str:
    """A shipped scenario as the picker lists it: its description, else its file name."""
    try:
        text = str(sources.from_file(path).document.get("description") or "").strip()
    except ScenarioError:
        text = ""
    return f"{text} ({path.name})" if text else path.name


def _source() -> sources.Source:
    """The scenario picked in the sidebar. A file that is not a scenario shows its problems
    and the page goes on with the default scenario, so the headline never vanishes."""
    first = sources.default_scenario()
    files = {p.name: p for p in sources.shipped()}
    if first.name not in files or files[first.name].resolve() != first.resolve():
        files = {first.name: first, **{k: v for k, v in files.items() if k != first.name}}
    names = [*files, UPLOAD]
    shown = {name: _description(path) for name, path in files.items()} | {UPLOAD: UPLOAD}
    picked = st.sidebar.selectbox(
        "Scenario",
        names,
        index=names.index(first.name),
        format_func=shown.__getitem__,
        key="scenario",
    )
    try:
        if picked != UPLOAD:
            return sources.from_file(files[picked])
        upload = st.sidebar.file_uploader(
            "Scenario file (TOML, at most 1 MB)",
            type=["toml"],
            max_upload_size=UPLOAD_WIDGET_MB,
            key="upload",
        )
        if upload is None:
            st.info("Upload a scenario file (TOML, at most 1 MB) in the sidebar.")
            st.stop()
        return sources.from_upload(upload.name, upload.getvalue())
    except ScenarioError as error:
        for problem in error.problems:
            st.error(problem)
        st.warning(f"Showing {first.name} until the file is fixed.")
        return sources.from_file(first)


def _levers(ch: controls.Choices, bars: tuple[float, float]) -> controls.Levers:
    """The lever widgets, in the order of the misalignments; returns their values."""
    side = st.sidebar
    stops = _speed_and_persistence(side, ch)
    _definitions(side, bars)
    _nurture_and_goals(side, ch)
    values = {field: st.session_state[key] for field, key in LEVER_KEYS.items()}
    values["sla"] = stops[values["sla"]]
    return controls.Levers(**values)


def _speed_and_persistence(side: Any, ch: controls.Choices) -> dict[str, Any]:
    """Misalignments 1 and 2: the SLA, the handoff and the calls; returns the SLA's stops."""
    side.subheader("1. Speed to lead")
    stops = {controls.sla_label(target): target for target in ch.sla}
    side.select_slider(
        "How fast reps must call a new lead",
        options=list(stops),
        key=LEVER_KEYS["sla"],
        help="In the tool: the response SLA, from MQL to the first call (business hours, unless "
        "the scenario's SLA counts the wall clock); reps call the earliest deadline first. "
        f"'none': no target, reps take leads by habit ({ch.habit}).",
    )
    if st.session_state[LEVER_KEYS["cherry_pick"]]:
        side.caption("While reps cherry-pick, their own order wins: the SLA changes nothing.")
    else:
        side.caption(
            "With alerts reps see each lead at once and an SLA only orders the queue; without, "
            "a lead whose SLA falls due makes a rep look."
        )
    side.toggle(
        "Reps get an alert for each new lead",
        key=LEVER_KEYS["alerts"],
        help="In the tool: alerts (a CRM notification on assignment). Off: reps see new leads "
        "when they look at the queue (team.inbound_checks) or when an SLA falls due.",
    )
    side.radio(
        "How leads reach sales",
        ["realtime", "batch"],
        format_func={"realtime": "at once", "batch": "in a daily batch"}.get,
        horizontal=True,
        key=LEVER_KEYS["handoff"],
        help="In the tool: handoff.mode (realtime or batch).",
    )
    side.subheader("2. Persistence")
    side.slider(
        "Calls before a rep gives up on a lead",
        1,
        MAX_ATTEMPTS,
        key=LEVER_KEYS["attempts"],
        help="In the tool: contact attempts (sla.max_attempts).",
    )
    return stops


def _definitions(side: Any, bars: tuple[float, float]) -> None:
    """Misalignment 3: one shared definition or each team its own, and the two bars."""
    side.subheader("3. Lead definitions")
    side.radio(
        "What counts as a good lead",
        ["shared", "subjective"],
        format_func={"shared": "one shared definition", "subjective": "each team its own"}.get,
        horizontal=True,
        key=LEVER_KEYS["definition"],
        help="In the tool: definition noise (definition.marketing_noise, sales_noise).",
    )
    low, high = bars
    side.slider(
        "How good a lead must look before marketing passes it on",
        low,
        high,
        step=0.01,
        key=LEVER_KEYS["mql_threshold"],
        help="In the tool: the MQL threshold on marketing's lead score (0 to 1).",
    )
    side.slider(
        "How good a lead must look before sales takes it",
        low,
        high,
        step=0.01,
        key=LEVER_KEYS["accept_threshold"],
        help="In the tool: sales' acceptance threshold (SAL), on its own view of the score.",
    )


def _nurture_and_goals(side: Any, ch: controls.Choices) -> None:
    """Misalignments 4 and 5: nurture and rejects, cherry-picking, reps, the other settings."""
    side.subheader("4. Nurture")
    nurture = side.toggle(
        "Keep in touch with leads not ready to buy yet",
        key=LEVER_KEYS["nurture"],
        help="In the tool: nurture.enabled (recycling leads through a nurture track).",
    )
    if not nurture:
        st.session_state[LEVER_KEYS["rejected"]] = "discard"  # what the policy then does
    side.radio(
        "Leads sales turns down are",
        ["discard", "nurture"],
        format_func={"discard": "discarded", "nurture": "nurtured"}.get,
        horizontal=True,
        disabled=not nurture,
        key=LEVER_KEYS["rejected"],
        help=None if nurture else "Rejects can only be nurtured when nurture is on.",
    )
    side.subheader("5. Goals and capacity")
    side.toggle(
        "Reps chase their own prospects and big deals first",
        key=LEVER_KEYS["cherry_pick"],
        help="In the tool: queue = cherry-pick under a sales quota (goals.sales).",
    )
    side.slider(
        "Sales reps answering leads",
        1,
        ch.max_reps,
        key=LEVER_KEYS["reps"],
        help="In the tool: team.reps.",
    )
    if ch.others_differ:
        side.radio(
            "All other settings as in",
            [ch.policy, ch.baseline],
            horizontal=True,
            key=LEVER_KEYS["others"],
            help="In the tool: the rest of the policy's table. "
            + "; ".join(
                f"{field}: {mine} in {ch.policy}, {theirs} in {ch.baseline}"
                for field, mine, theirs in ch.others_differ
            ),
        )


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
            "Simulated repeats (more: a narrower interval)",
            min_value=2,
            max_value=200,
            step=1,
            key="replications",
            help="In the tool: paired replications; each plays both policies on the same leads.",
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
    run = scenario.run_hours(weeks * 168.0)  # the warm-up and settle time are played too
    per_replication = expected_leads(scenario) / scenario.horizon * run
    most = max(2, int(figures.MAX_LEADS_PER_ANSWER // max(per_replication, 1.0)))
    if replications > most:
        st.warning(
            f"{label}: {replications} replications of {weeks} weeks (with the warm-up and "
            f"settle time) make about "
            f"{per_replication * replications:,.0f} leads; the page plays at most "
            f"{figures.MAX_LEADS_PER_ANSWER:,} per answer to answer quickly, so it plays "
            f"{most} replications: lower the replications or the weeks under Precision"
        )
        replications = most
    return int(replications), weeks * 168.0


# The page's type for a room: the headline's number at 64 px, every other line >= 22 px,
# dark text on white (17:1); presenter mode makes it all bigger. (Streamlit's own rules on
# paragraphs win over a class's, hence !important.)
SIZES = {"label": 26, "number": 64, "interval": 24, "sentence": 22, "why": 22, "base": 16}
PRESENTER_SIZES = {"label": 32, "number": 88, "interval": 30, "sentence": 28, "why": 28, "base": 20}


def _css(sizes: dict[str, int]) -> str:
    rules = [
        ".block-container {padding-top: 3.4rem !important; padding-bottom: 1rem !important;}",
        f"html {{font-size: {sizes['base']}px;}}",
        ".as-headline p, .as-headline h1 {color: #1a1a1a !important; margin: 0 !important;"
        " padding: 0 !important;}",
    ]
    for name in ("label", "number", "interval", "sentence", "why"):
        weight = (
            "font-weight: 700 !important; line-height: 1.1 !important;" if name == "number" else ""
        )
        rules.append(
            f".as-{name} {{font-size: {sizes[name]}px !important; color: #1a1a1a !important;"
            f" {weight}}}"
        )
    return "<style>" + "\n".join(rules) + "</style>"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _intro(scenario: Scenario, policy: str, baseline: str) -> None:
    """The opening view: the question, what the two policies mean, how to read the number."""
    mine, theirs = scenario.policies[policy], scenario.policies[baseline]
    with st.container(border=True, key="intro"):
        st.markdown(
            f"### How much revenue does *{_plain(policy)}* lose a year, compared with "
            f"*{_plain(baseline)}*, on exactly the same leads?"
        )
        st.markdown(
            f"- **{_plain(policy)}**: {_plain(mine.description or 'the way we work today')}\n"
            f"- **{_plain(baseline)}**: {_plain(theirs.description or 'marketing and sales aligned')}\n"
            "- **The number** is revenue a year that the first loses and the second wins; the "
            "interval is where the true figure lies with 95% confidence. Move a control in the "
            "sidebar, or walk the five misalignments one by one, and watch it answer."
        )
        st.button("Start", key="intro_done", type="primary", on_click=_close_intro)


def _close_intro() -> None:
    st.session_state["intro_closed"] = True


def _walk(scenario: Scenario, ch: controls.Choices) -> None:
    """'Walk the five misalignments': step k plays the baseline with misalignments 1..k as
    the played policy has them."""
    names = [ch.baseline, *(f"{i} {step.short}" for i, step in enumerate(words.STEPS, 1))]
    st.segmented_control(
        "Walk the five misalignments (each step adds one to the aligned policy)",
        list(range(len(names))),
        format_func=names.__getitem__,
        key="walk",
        on_change=_walk_to,
        args=(scenario, ch),
    )
    step = st.session_state.get("walk")
    if step:
        current = words.STEPS[step - 1]
        st.markdown(
            f'<p class="as-why">Step {step} of 5, {_e(current.title.lower())}: {_e(current.meaning)}'
            "</p>",
            unsafe_allow_html=True,
        )


def _walk_to(scenario: Scenario, ch: controls.Choices) -> None:
    step = st.session_state.get("walk") or 0
    base = controls.levers_of(scenario, ch, ch.baseline)
    mine = controls.levers_of(scenario, ch, ch.policy)
    fields = [f for s in words.STEPS[:step] for f in s.fields]
    _put(dataclasses.replace(base, **{f: getattr(mine, f) for f in fields}))


def _headline(answer: figures.Answer) -> None:
    """The number, big, with its interval on its own line and one sentence under it."""
    h = answer.headline
    st.markdown(
        f'<div class="as-headline"><p class="as-label">{_e(h.label)}</p>'
        f'<h1 class="as-number">{_e(h.number)}</h1>'
        f'<p class="as-interval">{_e(h.interval)}</p>'
        f'<p class="as-sentence">{_e(answer.sentence)}</p></div>',
        unsafe_allow_html=True,
    )


def _why_unchanged(answer: figures.Answer, before: controls.Levers, now: controls.Levers) -> str:
    """Why the controls just moved changed no lead's outcome, in the run's own figures."""
    moved = [f for f in LEVER_KEYS if getattr(before, f) != getattr(now, f)]
    act = answer.activity
    if act is None:
        return "That change leaves every lead's outcome as it was."
    busy = f"reps are {act.busy:.0%} busy"
    wait = "" if act.response_h is None else format_duration(act.response_h)
    if "sla" in moved and now.cherry_pick:
        return "The SLA changes nothing while reps cherry-pick: their own order wins."
    if "sla" in moved and wait:
        kept = "" if act.within_sla is None else f", {act.within_sla:.0%} within the target,"
        return (
            f"The SLA changes nothing here: reps answer in {wait} (median, business "
            f"hours){kept} and {busy}, so leads hardly wait and the order of the queue decides "
            "no lead's outcome."
        )
    if "reps" in moved:
        return f"Reps are {act.busy:.0%} busy: the number of reps is not what holds leads back."
    return f"That change leaves every lead's outcome as it was ({busy})."


def _report_unchanged(
    answer: figures.Answer, levers: controls.Levers, ident: tuple[Any, ...]
) -> None:
    """Say so when the controls moved but no replication's revenue changed."""
    state = st.session_state
    last = state.get("last_answer")
    revenue = answer.result.rows["revenue_policy"].to_numpy(float)
    moved = last is not None and last[0] == ident and last[1] != levers
    if moved and len(last[2]) == len(revenue) and (last[2] == revenue).all():
        st.info(_why_unchanged(answer, last[1], levers), icon=":material/info:")
    state["last_answer"] = (ident, levers, revenue)


def _charts(answer: figures.Answer, split: Callable[[], Future[Comparison]]) -> None:
    """The loss by lever (played after the headline shows), the funnel and the causes. The
    split plays in the background: the page waits SPLIT_WAIT_S (or $ALIGNSIM_WORKSHOP_SPLIT_WAIT)
    seconds for it, then draws the other charts and polls, so a control moved meanwhile is
    answered at once."""
    pending = split()
    wait = float(os.environ.get(SPLIT_WAIT_ENV) or SPLIT_WAIT_S)
    with st.spinner("Splitting the loss by misalignment..."), contextlib.suppress(TimeoutError):
        pending.result(timeout=wait)
    if pending.done():
        _lever_chart(answer, pending)
    else:
        _lever_chart_later(pending)
    result = answer.result
    st.altair_chart(charts.funnel_chart(result), width="stretch", theme=None, key="funnel")
    st.altair_chart(charts.causes_chart(result), width="stretch", theme=None, key="causes")


def _lever_chart(answer: figures.Answer, pending: Future[Comparison]) -> None:
    error = pending.exception()
    if error is not None:  # a bug: one sentence here, the traceback in the console
        logging.getLogger("alignsim.workshop").error("the split failed", exc_info=error)
        st.error(f"alignsim: internal error: {type(error).__name__}: {error}")
        return
    by_lever = pending.result()
    st.altair_chart(charts.lever_chart(by_lever), width="stretch", theme=None, key="levers")
    st.caption(
        f"The loss split by misalignment (exact Shapley values) on the first "
        f"{by_lever.replications} of {answer.result.replications} repeats; a blue bar wins "
        "revenue back."
    )


def _lever_chart_later(pending: Future[Comparison]) -> None:
    """Where the chart by lever comes once its split is played: checked every 2 s, then the
    page runs again (every answer is cached) and draws it."""

    @st.fragment(run_every=2.0)
    def later() -> None:
        if pending.done():
            st.rerun()
        st.info("Splitting the loss by misalignment (the server is busy: other rooms play too)...")

    later()


def _reproduce(
    source: sources.Source, policy: str, sets: tuple[str, ...], answer: figures.Answer
) -> None:
    result = answer.result
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


def _played(source: sources.Source) -> tuple[Scenario, str, controls.Choices]:
    """The validated scenario, the played policy and its levers' stops (ScenarioError if the
    file cannot be played)."""
    scenario = validate(source.document, source.label)
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
    return scenario, policy, controls.choices(source.document, scenario, policy, source.label)


def _setup() -> tuple[sources.Source, Scenario, str, controls.Choices]:
    """The scenario, the played policy and its levers' stops. An uploaded file that cannot be
    played shows its problems and the page goes on with the default scenario."""
    source = _source()
    try:
        return (source, *_played(source))
    except ScenarioError as error:
        first = sources.default_scenario()
        if source.path is not None and source.path.resolve() == first.resolve():
            _stop_with(error.problems)  # the default itself: nothing to fall back on
        for problem in error.problems:
            st.error(problem)
        st.warning(f"Showing {first.name} until the file is fixed.")
        fallback = sources.from_file(first)
        try:
            return (fallback, *_played(fallback))
        except ScenarioError as again:
            _stop_with(again.problems)
            raise  # not reached: st.stop ends the run


def _sidebar_buttons(scenario: Scenario, ch: controls.Choices, policy: str) -> None:
    st.sidebar.toggle(
        "Presenter mode (big type, sidebar closed)", key="presenter", on_change=_present
    )
    st.sidebar.button(
        f"Reset every control to {ch.baseline}",
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


def _present() -> None:
    if st.session_state.get("presenter"):
        st.query_params["presenter"] = "1"
    else:
        st.query_params.pop("presenter", None)


def main() -> None:
    presenter = st.query_params.get("presenter") == "1"
    st.set_page_config(
        page_title="alignsim workshop",
        layout="wide",
        initial_sidebar_state="collapsed" if presenter else "auto",
    )
    state = st.session_state
    if presenter and "presenter" not in state:
        state["presenter"] = True
    st.markdown(_css(PRESENTER_SIZES if presenter else SIZES), unsafe_allow_html=True)
    source, scenario, policy, ch = _setup()
    doc = source.document
    key = figures.digest(doc)
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
    _sidebar_buttons(scenario, ch, policy)
    levers = _levers(ch, bars)
    replications, horizon = _precision(scenario, source.label)
    engine = os.environ.get(ENGINE_ENV) or None
    sets = controls.overrides(doc, ch, levers)
    if not state.get("intro_closed") and not presenter:
        _intro(scenario, policy, ch.baseline)
    started = time.perf_counter()
    try:
        with st.spinner(f"Playing {replications} repeats..."):
            answer = served.answer(
                key, source.label, policy, sets, replications, horizon, engine, doc
            )
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
    state["headline"] = answer.headline.text
    result = answer.result
    _headline(answer)
    _report_unchanged(answer, levers, (key, policy, replications, horizon, engine))
    _walk(scenario, ch)
    k = min(replications, figures.LEVER_REPLICATIONS)
    _charts(
        answer,
        lambda: served.split_later(key, source.label, policy, sets, k, horizon, engine, doc),
    )
    # The money line sits under the charts: the headline and the chart by lever stay above
    # the fold on a 1024x768 projector.
    st.markdown(f'<p class="as-why">{_e(figures.money_line(result))}</p>', unsafe_allow_html=True)
    scale = figures.HOURS_PER_YEAR / result.horizon_h
    st.caption(
        _plain(
            f"{source.label}: {policy} against {ch.baseline} on the same leads, mean of "
            f"{result.replications} paired replications of {format_duration(result.horizon_h)} "
            f"scaled to a year (x {scale:.2f}), seed {result.seed}, "
            f"{engine or DEFAULT_ENGINE} engine; answered in {state['answer_seconds']:.2f} s."
        )
    )
    _reproduce(source, policy, sets, answer)


main()
