"""The bench's one table: rows of cells, aligned, numbers right-aligned."""

import re

COLUMNS = ["measurement", "req/s", "p99 ms", "responder µs/req", "nginx µs/req", "PostgreSQL µs/req",
           "evolution-sim µs/req", "C hello µs/req", "notes"]
# The CPU columns, in the order of the process trees the bench reads (Bench.trees).
CPU_COLUMNS = 5
NUMERIC = re.compile(r"^[-+]?[\d.,]+%?$|^-$|^[\d.]+×$")


class Table:
    """Rows added one by one by the measurements; rendered once at the end."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def add(self, label: str, rps: str = "", p99: str = "", cpu: list[str] | None = None, note: str = "") -> None:
        """A row: its label, req/s, p99, the CPU µs/req cells (empty when not measured) and its note."""
        cells = list(cpu) if cpu else [""] * CPU_COLUMNS
        self.rows.append([label, rps, p99, *cells, note])

    def add_note(self, label: str, note: str) -> None:
        """A row with a label and a note only."""
        self.add(label, note=note)

    def render(self) -> str:
        """Aligned text: the header, a rule, then the rows; numbers right-aligned, the notes left as they are."""
        rows = [COLUMNS, *self.rows]
        width = len(COLUMNS)
        widths = [max(len(row[i]) for row in rows) for i in range(width)]
        lines = []
        for number, row in enumerate(rows):
            cells = []
            for i, cell in enumerate(row):
                last = i == width - 1
                if number > 0 and 0 < i < width - 1 and NUMERIC.match(cell):
                    cells.append(cell.rjust(widths[i]))
                else:
                    cells.append(cell if last else cell.ljust(widths[i]))
            lines.append("  ".join(cells).rstrip())
            if number == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def ratio(a: float, b: float) -> str:
    """a ÷ b with two decimals; '-' when b is 0."""
    return f"{a / b:.2f}" if b > 0 else "-"


def pass_or_fail(value: str, target: float) -> str:
    """PASS when VALUE < TARGET; '-' (no value) is a FAIL."""
    return "PASS" if value != "-" and float(value) < target else "FAIL"


def counts(values: dict) -> str:
    """{"200": 64} → '200×64' (sorted, space-separated)."""
    return " ".join(f"{key}×{value}" for key, value in sorted(values.items()))
