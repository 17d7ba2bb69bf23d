"""What a data preparation kept and dropped, and why: the table the training CLI prints."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

SPLITS = ("train", "eval", "test")


@dataclass
class DataStats:
    """Counts of one ``prepare`` run.

    ``files_read`` = files used + sum of ``files_skipped``; ``pieces`` = sum of
    ``pieces_per_split``; ``examples`` per split = original examples + augmented copies.
    ``dropped`` counts what the extraction rules threw away (whole sequences, tracks or
    windows), by reason; ``cut_up`` counts melodies / drum tracks longer than 512 steps cut
    into several examples, ``truncated`` performances cut to 512 events.
    """

    config: str
    source: str
    files_read: int = 0
    files_skipped: Counter = field(default_factory=Counter)
    pieces_per_split: Counter = field(default_factory=Counter)
    examples: Counter = field(default_factory=Counter)  # split -> examples
    augmented: Counter = field(default_factory=Counter)  # split -> augmented copies
    dropped: Counter = field(default_factory=Counter)  # reason -> count
    cut_up: int = 0
    truncated: int = 0

    @property
    def files_used(self) -> int:
        return self.files_read - sum(self.files_skipped.values())

    @property
    def pieces(self) -> int:
        return sum(self.pieces_per_split.values())

    def summary(self) -> str:
        """A readable table of the counts."""
        def per_split(counts: Counter) -> str:
            return ", ".join(f"{split} {counts[split]}" for split in SPLITS
                             if counts[split] or split != "test")

        rows = [(f"{self.config} from {self.source}", ""),
                ("files read", f"{self.files_read} ({self.files_used} used)")]
        rows += [(f"  skipped: {reason}", str(count))
                 for reason, count in self.files_skipped.most_common()]
        rows.append(("pieces", f"{self.pieces} ({per_split(self.pieces_per_split)})"))
        rows.append(("examples", f"{sum(self.examples.values())} "
                                 f"({per_split(self.examples)})"))
        if sum(self.augmented.values()):
            rows.append(("  of which augmented", per_split(self.augmented)))
        if self.cut_up:
            rows.append(("  long tracks cut into several", str(self.cut_up)))
        if self.truncated:
            rows.append(("  truncated to the maximum length", str(self.truncated)))
        if self.dropped:
            rows.append(("dropped", ""))
            rows += [(f"  {reason}", str(count)) for reason, count in self.dropped.most_common()]
        width = max(len(label) for label, _ in rows[1:])
        lines = [rows[0][0]] + [f"  {label.ljust(width)}  {value}".rstrip()
                                for label, value in rows[1:]]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
