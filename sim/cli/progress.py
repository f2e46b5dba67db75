"""The progress bar over replications (tqdm, on stderr).

Shown only when stderr is a terminal and not with ``--quiet``, so logs and pipes stay clean; tqdm
is imported at the first report, so commands that run nothing never load it.
"""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    """A tqdm bar over replications on stderr; off with --quiet or when stderr is not a terminal.

    The bar is created at the first report, when the number of replications is known.
    """

    def __init__(self, quiet: bool, desc: str) -> None:
        self.quiet = quiet
        self.desc = desc
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(
                total=total,
                initial=done,
                desc=self.desc,
                unit="rep",
                file=sys.stderr,
                disable=True if self.quiet else None,  # None: shown only when stderr is a terminal
                dynamic_ncols=True,
                leave=False,
            )
            return
        bar = self.bar
        if bar.total != total:
            bar.total = total
            bar.refresh()
        if done > bar.n:
            bar.update(done - bar.n)

    def message(self, text: str) -> None:
        from tqdm import tqdm

        tqdm.write(text, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


__all__ = ["Progress"]
