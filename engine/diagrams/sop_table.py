"""The SOP as a process owner knows it: the table of the Permenpan RB 35/2012 form (an identity block, then rows
of kegiatan, pelaksana, kelengkapan, waktu, output, keterangan, and for a decision its question with the rows
its Ya and Tidak lead to). Read from the page's form, a .csv (`;` or `,`, UTF-8 with or without BOM) or an .xlsx
sheet laid out like the template this module writes; every problem names its row and column."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.diagrams.durations import Duration, parse_words
from engine.diagrams.sop_document import IDENTITY_FIELDS, SECTION_FIELDS
from engine.errors import Bytes, NotFound, SopflowError

# Column key -> header of the table (as the form prints it); the order of the file's columns.
COLUMNS = (
    ("no", "No"),
    ("kegiatan", "Kegiatan"),
    ("pelaksana", "Pelaksana"),
    ("kelengkapan", "Kelengkapan"),
    ("waktu", "Waktu"),
    ("output", "Output"),
    ("keterangan", "Keterangan"),
    ("keputusan", "Keputusan"),
    ("ya", "Jika ya"),
    ("tidak", "Jika tidak"),
)
IDENTITY = (*IDENTITY_FIELDS, *SECTION_FIELDS)  # key after "sop." -> label of the identity block
END = "selesai"  # a Ya/Tidak target that ends the procedure
MAX_ROWS = 200
MAX_BYTES = 1024 * 1024
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sop"


@dataclass(frozen=True)
class TableRow:
    number: int
    activity: str
    lane: str
    requirement: str
    duration: Duration
    output: str
    note: str
    question: str = ""  # a decision row: the question its Ya/Tidak answers
    if_yes: int | None = None  # row number; None: the procedure ends
    if_no: int | None = None


@dataclass(frozen=True)
class SopTable:
    identity: dict[str, str]  # "nama", "nomor", "dasar_hukum"... (the keys of IDENTITY)
    rows: tuple[TableRow, ...]

    @property
    def name(self) -> str:
        return self.identity.get("nama", "")

    def row(self, number: int) -> TableRow:
        return next(r for r in self.rows if r.number == number)


@dataclass(frozen=True)
class TableProblem:
    row: int | None  # the row's number as written (its position when it has none); None for the identity block
    column: str  # a header of COLUMNS or a label of IDENTITY
    error: SopflowError


class InvalidTable(SopflowError):
    """A table that cannot become a diagram; `problems` say where."""

    def __init__(self, problems: Sequence[TableProblem]) -> None:
        super().__init__("The SOP table has %(count)d problems; they are marked next to their rows.",
                         count=len(problems))
        self.problems = list(problems)


@dataclass
class _Reading:
    lanes: Sequence[str]
    problems: list[TableProblem] = field(default_factory=list)

    def problem(self, at: int | None, column: str, template: str, /, **params: object) -> None:
        self.problems.append(TableProblem(at, column, SopflowError(template, **params)))


def read_table(identity: Mapping[str, str], rows: Iterable[Mapping[str, str]], lanes: Sequence[str],
               office_lanes: Collection[str] = ()) -> SopTable:
    """The table from its identity values and its rows (column key -> text); blank rows are skipped. A lane of
    `office_lanes` works for one office only, so it cannot take the first row (nobody would have named the
    office yet)."""
    reading = _Reading(lanes)
    cells = [{key: " ".join(str(row.get(key) or "").split()) for key, _ in COLUMNS} for row in rows]
    cells = [c for c in cells if any(value for key, value in c.items() if key != "no")]
    known = {key for key, _ in IDENTITY}
    values = {key: str(value).strip() for key, value in identity.items() if key in known and str(value).strip()}
    if not values.get("nama"):
        reading.problem(None, "Nama SOP", "The SOP needs a name (Nama SOP).")
    if not cells:
        reading.problem(None, "Kegiatan", "The table has no activities: write at least one row.")
    if len(cells) > MAX_ROWS:
        reading.problem(None, "No", "The table has %(count)d rows; at most %(limit)d are read.", count=len(cells),
                        limit=MAX_ROWS)
        cells = cells[:MAX_ROWS]
    if cells and cells[0]["pelaksana"] in office_lanes:
        reading.problem(1, "Pelaksana", "%(lane)s works for one office only, so it cannot do the first step: the "
                        "first step names the office the case belongs to.", lane=cells[0]["pelaksana"])
    numbers = _numbers(cells, reading)
    table_rows = [r for r in (_row(c, n, numbers, reading) for c, n in zip(cells, numbers, strict=True)) if r]
    if reading.problems:
        raise InvalidTable(reading.problems)
    return SopTable(values, tuple(table_rows))


def _numbers(cells: list[dict[str, str]], reading: _Reading) -> list[int]:
    numbers: list[int] = []
    for position, cell in enumerate(cells, start=1):
        text = cell["no"].removesuffix(".")
        written = text.isdigit() and int(text) > 0
        number = int(text) if written else position
        if cell["no"] and not written:
            reading.problem(position, "No", '"%(text)s" is not a row number.', text=cell["no"])
        elif number in numbers:
            reading.problem(number, "No", "Row number %(number)d is used twice.", number=number)
        numbers.append(number)
    return numbers


def _row(cell: dict[str, str], number: int, numbers: list[int], reading: _Reading) -> TableRow | None:
    before = len(reading.problems)
    if not cell["kegiatan"]:
        reading.problem(number, "Kegiatan", "Row %(row)d has no activity (Kegiatan).", row=number)
    if cell["pelaksana"] not in reading.lanes:
        reading.problem(number, "Pelaksana", '"%(lane)s" is not a performer of this office; choose one of: '
                        "%(lanes)s.", lane=cell["pelaksana"] or "-", lanes=", ".join(reading.lanes))
    duration = None
    try:
        duration = parse_words(cell["waktu"])
    except SopflowError as error:
        reading.problems.append(TableProblem(number, "Waktu", error))
    later = [n for n in numbers if n > number]
    default_yes = str(later[0]) if later else END
    question = cell["keputusan"]
    if_yes = _target(cell["ya"] or default_yes, number, numbers, "Jika ya", reading)
    if_no = _target(cell["tidak"], number, numbers, "Jika tidak", reading) if question and cell["tidak"] else None
    if question and not cell["tidak"]:
        reading.problem(number, "Jika tidak", "Row %(row)d asks a question: say which row its Tidak leads to "
                        '(a row number or "selesai").', row=number)
    if not question and cell["tidak"]:
        reading.problem(number, "Keputusan", "Row %(row)d has a Tidak target but no question (Keputusan).",
                        row=number)
    if len(reading.problems) > before or duration is None:
        return None
    return TableRow(number, cell["kegiatan"], cell["pelaksana"], cell["kelengkapan"], duration, cell["output"],
                    cell["keterangan"], question, if_yes, if_no)


def _target(text: str, number: int, numbers: list[int], column: str, reading: _Reading) -> int | None:
    cleaned = text.strip().lower().removeprefix("ke ").removeprefix("langkah ").removesuffix(".")
    if cleaned == END:
        return None
    if cleaned.isdigit() and int(cleaned) in numbers and int(cleaned) != number:
        return int(cleaned)
    if cleaned.isdigit() and int(cleaned) == number:
        reading.problem(number, column, "Row %(row)d cannot lead to itself.", row=number)
    else:
        reading.problem(number, column, '"%(text)s" is not a row of this table nor "selesai".', text=text)
    return None


# Files: the identity block (label; value), then the header row, then the rows.

def read_file(filename: str, content: bytes, lanes: Sequence[str], office_lanes: Collection[str] = ()) -> SopTable:
    """A .csv or .xlsx upload laid out like the template."""
    return read_table(*file_cells(filename, content), lanes, office_lanes)


def file_cells(filename: str, content: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The identity values and the rows' cells of an upload, unchecked (the page shows them for review);
    a file that is not laid out like the template is refused here."""
    if len(content) > MAX_BYTES:
        raise SopflowError("The file is larger than %(limit)s; an SOP table is much smaller.", limit=Bytes(MAX_BYTES))
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "csv":
        lines = _csv_lines(content)
    elif extension == "xlsx":
        lines = _xlsx_lines(content)
    else:
        raise SopflowError('"%(name)s" is not a .csv or .xlsx file.', name=filename)
    return _cells(lines)


def _csv_lines(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SopflowError("The file is not UTF-8 text: save the sheet as CSV UTF-8.") from error
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_lines(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # here: only an upload needs it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SopflowError("The file is not an Excel workbook (.xlsx).") from error
    sheet = workbook.worksheets[0]
    lines = [[_cell_text(v) for v in row] for row in sheet.iter_rows(max_row=MAX_ROWS + 60, values_only=True)]
    workbook.close()
    return lines


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _cells(lines: list[list[str]]) -> tuple[dict[str, str], list[dict[str, str]]]:
    headers = {label.lower(): key for key, label in COLUMNS}
    labels = {label.lower(): key for key, label in IDENTITY}
    header_at = next((i for i, line in enumerate(lines) if line and line[0].strip().lower() == "no"), None)
    if header_at is None:
        raise InvalidTable([TableProblem(None, "No", SopflowError(
            'The file has no header row starting with "No": download the template and fill it in.'))])
    identity, problems = {}, []
    for line in lines[:header_at]:
        label = line[0].strip().rstrip(":").lower() if line else ""
        if not label:
            continue
        if label not in labels:
            problems.append(TableProblem(None, line[0].strip(), SopflowError(
                '"%(label)s" is not a field of the SOP identity.', label=line[0].strip())))
            continue
        identity[labels[label]] = next((cell.strip() for cell in line[1:] if cell.strip()), "")
    columns = [headers.get(cell.strip().lower()) for cell in lines[header_at]]
    missing = [label for key, label in COLUMNS if key not in columns]
    if missing:
        problems.append(TableProblem(None, missing[0], SopflowError(
            "The header row lacks the columns %(columns)s.", columns=", ".join(missing))))
    if problems:
        raise InvalidTable(problems)
    rows = [{key: cell for key, cell in zip(columns, line, strict=False) if key} for line in lines[header_at + 1:]]
    return identity, [row for row in rows if any(str(v).strip() for v in row.values())][:MAX_ROWS + 1]


def template_lines(table: SopTable | None = None) -> list[list[str]]:
    """The identity block and the header (with the table's rows when given): what the template and the
    examples hold."""
    identity = table.identity if table else {}
    lines = [[label, identity.get(key, "")] for key, label in IDENTITY]
    lines += [[], [label for _, label in COLUMNS]]
    for row in table.rows if table else ():
        lines.append([str(row.number), row.activity, row.lane, row.requirement, row.duration.words, row.output,
                      row.note, row.question, _target_text(row.if_yes), _target_text(row.if_no) if row.question
                      else ""])
    return lines


def _target_text(number: int | None) -> str:
    return END if number is None else str(number)


def template_csv(table: SopTable | None = None) -> bytes:
    """`;`-separated, with a BOM: what a spreadsheet in Indonesia opens as columns."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(template_lines(table))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(table: SopTable | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "SOP"
    for line in template_lines(table):
        sheet.append(line)
    bold = Font(bold=True)
    for row in sheet.iter_rows(max_col=1):
        row[0].font = bold
    header = len(IDENTITY) + 2
    for cell in sheet[header]:
        cell.font = bold
    for letter, width in zip("ABCDEFGHIJ", (24, 48, 18, 28, 14, 28, 24, 28, 10, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def example_names() -> list[tuple[str, str]]:
    """(file stem, Nama SOP) of the example tables kept in the repository."""
    found = []
    for path in sorted(EXAMPLES.glob("*.csv")):
        identity, _rows = file_cells(path.name, path.read_bytes())
        found.append((path.stem, identity.get("nama", path.stem)))
    return found


def example(stem: str, lanes: Sequence[str], office_lanes: Collection[str] = ()) -> SopTable:
    if stem not in {name for name, _title in example_names()}:
        raise NotFound("There is no example table %(name)s.", name=stem)
    path = EXAMPLES / f"{stem}.csv"
    return read_file(path.name, path.read_bytes(), lanes, office_lanes)
