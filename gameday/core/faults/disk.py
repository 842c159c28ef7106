"""disk_fill: one file `<path>/.gameday-fill-<fault_id>` allocated with fallocate.

The free-space rule is checked on the host twice — at capability and again by the inject line
itself, just before allocating — because the disk may have filled up in between: the fill
never leaves less than `keep_free` available (as `df` counts it for unprivileged users, so the
root reserve is not counted as free). Revert deletes the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gameday.core.faults.base import FaultPlan, HostContext, Lines, abs_path_of, fail, label
from gameday.core.shell import render
from gameday.core.units import format_size
from gameday.core.yamlsrc import MapNode

DEFAULT_KEEP_FREE = 512 * 1024 * 1024


def fill_file(path: str, fault_id: str) -> str:
    return f"{path.rstrip('/')}/.gameday-fill-{fault_id}"


@dataclass(frozen=True, kw_only=True)
class DiskFill:
    line: int
    name: str | None = None
    path: str = "/var/tmp"
    size: int
    keep_free: int = DEFAULT_KEEP_FREE
    kind: str = field(default="disk_fill", init=False)

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        lines = Lines(ctx, fault_id)
        target = fill_file(self.path, fault_id)
        file = render((target,))
        size = str(self.size)
        room = (
            f"[ -d {render((self.path,))} ] || "
            + fail(f"{self.path} is not a directory on this host")
            + "; avail=$("
            + render(("df", "-B1", "--output=avail", self.path))
            + " | tail -n 1 | tr -d ' '); "
            + "case $avail in ''|*[!0-9]*) "
            + fail(f"cannot read the free space of {self.path}")
            + ";; esac; "
            + f'if [ "$avail" -lt {self.size + self.keep_free} ]; then '
            + render(
                (
                    "printf",
                    f"refusing to fill {format_size(self.size)} in %s: it has %s bytes free and "
                    f"must keep {format_size(self.keep_free)} free\\n",
                    self.path,
                )
            )
            + ' "$avail" >&2; exit 1; fi'
        )
        allocate = (
            f"[ ! -e {file} ] || "
            + fail(f"{target} already exists")
            + f"; {room}; "
            + f"{render(('fallocate', '-l', size, target))} || "
            + f"{{ {render(('rm', '-f', target))}; {render(('head', '-c', size, '/dev/zero'))} "
            + f"> {file}; }} || {{ {render(('rm', '-f', target))}; exit 1; }}"
        )
        return FaultPlan(
            kind=self.kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=(
                *lines.sudo_capability(),
                lines.tools_capability(("fallocate", "util-linux"), ("df", "coreutils")),
                lines.sh(room),
            ),
            inject=(lines.sh(allocate),),
            verify_active=(
                lines.sh(
                    f'[ -f {file} ] && [ "$({render(("stat", "-c", "%s", target))})" -ge {size} ]'
                ),
            ),
            revert=(lines.cmd("rm", "-f", target),),
            verify_reverted=(lines.sh(f"[ ! -e {file} ]"),),
            summary=(
                f"Fill {format_size(self.size)} of {self.path} with {target} "
                f"(refused if less than {format_size(self.keep_free)} would stay free)"
            ),
        )


def parse_disk_fill(m: MapNode) -> DiskFill:
    path = m.get("path")
    keep = m.get("keep_free")
    return DiskFill(
        line=m.line,
        name=label(m),
        path="/var/tmp" if path is None else abs_path_of(path),
        size=m.require("size").as_size(min=1, max=1024**5),
        keep_free=DEFAULT_KEEP_FREE if keep is None else keep.as_size(min=0, max=1024**5),
    )
