"""Which functions a command reads: several ``--function``, ``--prefix`` or ``--all``, resolved to
their log groups with one paginated ``DescribeLogGroups`` listing.

Lambda writes a function's output to ``/aws/lambda/<function>`` unless its logging config names
another log group; a function with such a group is read with ``--log-group``, one at a time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..aws import Client

LAMBDA_LOG_GROUPS = "/aws/lambda/"


@dataclass(frozen=True)
class Choice:
    """What the flags ask for: named functions, a name prefix, or every function."""

    functions: tuple[str, ...] = ()
    prefix: str | None = None
    everything: bool = False

    @property
    def single(self) -> str | None:
        """The one function named, when the flags name exactly one and nothing else."""
        return self.functions[0] if len(self.functions) == 1 and self.prefix is None and not self.everything else None

    def describe(self) -> str:
        if self.everything:
            return "every function"
        if self.prefix is not None:
            return f"functions whose name starts with {self.prefix!r}"
        return "function" + ("s " if len(self.functions) > 1 else " ") + ", ".join(self.functions)

    def listing_prefix(self) -> str:
        """The log group name prefix one listing covers every chosen function with."""
        if self.everything:
            return LAMBDA_LOG_GROUPS
        if self.prefix is not None:
            return LAMBDA_LOG_GROUPS + self.prefix
        # Function names are not paths: the common prefix is character by character on purpose.
        return LAMBDA_LOG_GROUPS + os.path.commonprefix(list(self.functions))  # noqa: RUF071


@dataclass(frozen=True)
class Function:
    """A chosen function and the log group its records are read from."""

    name: str
    log_group: str


@dataclass(frozen=True)
class Chosen:
    """The functions the choice resolved to, and the named ones that have no log group."""

    functions: tuple[Function, ...]
    without_log_group: tuple[str, ...] = ()


class NothingChosen(Exception):
    """The choice matched no log group; the message is the one line to show."""


def resolve(choice: Choice, log_group_names: list[str]) -> Chosen:
    """The chosen functions among the log groups listed under ``choice.listing_prefix()``. Pure.

    Raises:
        NothingChosen: a prefix or ``--all`` that matches no function's log group, or named
            functions none of which has one.
    """
    found = {name[len(LAMBDA_LOG_GROUPS) :]: name for name in log_group_names if name.startswith(LAMBDA_LOG_GROUPS)}
    if choice.functions and not choice.everything and choice.prefix is None:
        functions = tuple(Function(name, found[name]) for name in dict.fromkeys(choice.functions) if name in found)
        missing = tuple(name for name in dict.fromkeys(choice.functions) if name not in found)
    else:
        wanted = "" if choice.everything else choice.prefix or ""
        functions = tuple(Function(name, group) for name, group in sorted(found.items()) if name.startswith(wanted))
        missing = ()
    if not functions:
        raise NothingChosen(
            f"no log group for {choice.describe()} under {choice.listing_prefix()}: check the names and --region"
        )
    return Chosen(functions, missing)


def log_group_names(logs: Client, prefix: str) -> list[str]:
    """Every log group whose name starts with ``prefix``: one paginated ``DescribeLogGroups``."""
    names: list[str] = []
    for page in logs.pages("describe_log_groups", logGroupNamePrefix=prefix):
        names += [group["logGroupName"] for group in page.get("logGroups", [])]
    return names
