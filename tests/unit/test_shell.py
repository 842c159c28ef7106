"""The one quoting function: no text, whatever its bytes, changes the shape of a command."""

from __future__ import annotations

import shlex
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.core.shell import both, either, quiet, render, script, sh_c

# Any text a shell could be fed, minus NUL (no argv word can hold one), with the characters
# that matter to a shell drawn often.
SHELLY = st.sampled_from([*"'\"`$\\;|&<>(){}[]*?!~#= \t\n-", "$(reboot)", "`id`", "é", "☃"])
WORD = st.lists(st.one_of(SHELLY, st.characters(blacklist_characters="\x00")), max_size=20).map(
    "".join
)


@given(st.lists(WORD, min_size=1, max_size=8))
def test_render_round_trips_through_shlex(argv: list[str]) -> None:
    assert shlex.split(render(argv)) == argv


@settings(max_examples=60, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=4))
def test_a_real_shell_receives_exactly_the_words(argv: list[str]) -> None:
    # printf %s\0 prints each received word followed by NUL: the real sh is the judge.
    line = render(("printf", "%s\\0", *argv))
    out = subprocess.run(["sh", "-c", line], capture_output=True, check=True, timeout=10)
    assert out.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1] == argv


@given(WORD)
def test_a_rendered_script_inside_sh_c_is_one_word(body: str) -> None:
    assert shlex.split(render(sh_c(body))) == ["sh", "-c", body]


def test_empty_command_is_refused() -> None:
    with pytest.raises(ValueError):
        render(())


def test_operators_join_rendered_steps() -> None:
    assert either(render(("a", "b c")), "true") == "a 'b c' || true"
    assert both("x", "y") == "x && y"
    assert quiet("x") == "x >/dev/null 2>&1"
    assert script("a", "", "b") == "a; b"
