"""The findings' ladder section: each stage, its hosts, whether it held, the worst value of each
probe while its faults were on, the go/no-go after it, and the sentence that sums it up.

Built by `gameday.core.ladder.ladder_story` from the journal; rendered here as Markdown lines
(the document's other sections are in gameday.core.findings.markdown).
"""

from __future__ import annotations

from collections.abc import Mapping

from gameday.core.findings.text import cell, code, inline, number, offset
from gameday.core.ladder import LadderStory, ProbeWorst, StageRecord, ladder_sentence

_STATUS = {
    "held": "yes",
    "broke": "**no**: broke",
    "aborted": "**aborted**",
    "unconfirmed": "**revert unconfirmed**",
    "running": "**unfinished**: the journal ends here",
    "not_run": "not run",
}


def ladder_section(story: LadderStory, units: Mapping[str, str], start: float) -> list[str]:
    """The section's lines (without its heading)."""
    lines = [f"**{inline(ladder_sentence(story))}**", ""]
    lines.append("| Stage | Size | Hosts | Joining | Held? | Worst value per probe | Next |")
    lines.append("|---|---|---|---|---|---|---|")
    for stage in story.stages:
        lines.append(
            "| "
            + " | ".join(
                [
                    str(stage.stage),
                    cell(stage.size),
                    _hosts(stage.hosts),
                    _hosts(stage.joining),
                    _STATUS[stage.status],
                    _worst(stage, units),
                    cell(stage.decision) if stage.decision else "—",
                ]
            )
            + " |"
        )
    notes = [
        f"- Stage {s.stage} ({_when(s, start)}): {inline(s.reason)}"
        for s in story.stages
        if s.reason and s.status != "held"
    ]
    if notes:
        lines += ["", *notes]
    never = [h for h in story.stages[-1].hosts if h not in _reached(story)]
    if never:
        lines += [
            "",
            f"Never sent a fault (their stage did not run): {', '.join(code(h) for h in never)}.",
        ]
    return lines


def _hosts(hosts: tuple[str, ...]) -> str:
    return ", ".join(code(h, in_table=True) for h in hosts) or "—"


def _worst(stage: StageRecord, units: Mapping[str, str]) -> str:
    if stage.status == "not_run":
        return "—"
    if not stage.worst:
        return "no sample"
    return "; ".join(_one(w, units.get(w.probe, "")) for w in stage.worst)


def _one(worst: ProbeWorst, unit: str) -> str:
    name = cell(worst.probe)
    if worst.value is None:
        return f"{name} **no data** ({worst.no_data} polls)"
    value = number(worst.value, unit)
    text = f"{name} **{value}** (out of bounds)" if worst.ok is False else f"{name} {value}"
    if worst.no_data:
        text += f", **{worst.no_data} polls without data**"
    return text


def _when(stage: StageRecord, start: float) -> str:
    if stage.ended_at is None:
        return "did not end"
    return f"ended at {offset(stage.ended_at - start)}"


def _reached(story: LadderStory) -> set[str]:
    return {h for s in story.stages if s.status != "not_run" for h in s.hosts}
