"""Error messages stay one line, whatever characters the input carried."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gameday.errors import InputError


@given(st.text(), st.integers(min_value=0, max_value=10**6), st.text(), st.text())
def test_an_input_error_is_always_one_line(file: str, line: int, field: str, problem: str) -> None:
    message = InputError(file, line, field, problem).message
    assert len(message.splitlines()) <= 1


def test_readable_text_is_left_alone() -> None:
    error = InputError("hosts é.yaml", 4, "hosts.web-1.port", "expected a whole number")
    assert error.message == "hosts é.yaml:4: hosts.web-1.port: expected a whole number"
