"""Process exit codes, shared by every command so pipelines can rely on them."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # success; for `run`: the hypothesis held
    DEVIATED = 1  # steady state did not hold during the experiment
    BAD_INPUT = 2  # a file, flag or environment problem found before anything ran
    ABORTED = 3  # an abort rule or the kill switch stopped the experiment
    REVERT_UNCONFIRMED = 4  # a revert could not be verified: a human must look at a host
