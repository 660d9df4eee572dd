""""SOP baru dari tabel": the process owner writes (or uploads) the SOP as the Permenpan form lays it out, and
sopflow opens the generated diagram in the modeler as a draft."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.diagrams import sop_table
from engine.diagrams.sop_generator import draft_from_table, table_lanes
from engine.diagrams.validation import DiagramProblems
from engine.errors import SopflowError
from engine.people.policy import Ability
from webapp.auth import requires
from webapp.context import engine
from webapp.errors import status_of, translated
from webapp.modeler import bp

BLANK_ROWS = 3


def _form_cells() -> tuple[dict[str, str], list[dict[str, str]]]:
    identity = {key: request.form.get(f"sop.{key}", "") for key, _label in sop_table.IDENTITY}
    columns = {key: request.form.getlist(key) for key, _label in sop_table.COLUMNS}
    count = len(columns["kegiatan"])
    rows = [{key: (values[i] if i < len(values) else "") for key, values in columns.items()} for i in range(count)]
    for position, row in enumerate(rows, start=1):
        row["no"] = str(position)
    return identity, rows


def _page(identity: dict[str, str], rows: list[dict[str, str]], status: int = 200,
          problems: list[sop_table.TableProblem] | None = None, message: str | None = None,
          diagram_problems: list[str] | None = None) -> tuple[str, int]:
    lanes, _office = table_lanes(engine().settings)
    by_row: dict[int, list[str]] = {}
    general: list[str] = []
    for problem in problems or []:
        text = f"{problem.column}: {translated(problem.error)}"
        (by_row.setdefault(problem.row, []) if problem.row is not None else general).append(text)
    numbered = [{**row, "no": str(position)} for position, row in enumerate(rows, start=1)]
    return render_template(
        "modeler/sop_table.html", identity=identity, identity_fields=sop_table.IDENTITY, rows=numbered,
        columns=sop_table.COLUMNS, lanes=lanes, row_problems=by_row, general_problems=general, message=message,
        diagram_problems=diagram_problems or [], examples=sop_table.example_names(),
    ), status


@bp.get("/tabel")
@requires(Ability.MODEL)
def sop_table_page() -> tuple[str, int]:
    return _page({}, [{} for _ in range(BLANK_ROWS)])


@bp.post("/tabel")
@requires(Ability.MODEL)
def sop_table_submit() -> Any:
    """"Buat diagram", or (without JavaScript) "Tambah baris"."""
    identity, rows = _form_cells()
    if request.form.get("action") == "add_row":
        return _page(identity, [*rows, {}])
    lanes, office_lanes = table_lanes(engine().settings)
    try:
        table = sop_table.read_table(identity, rows, lanes, office_lanes)
        process_id = draft_from_table(engine(), table, current_user.username)
    except sop_table.InvalidTable as error:
        return _page(identity, rows, 400, error.problems, translated(error))
    except DiagramProblems as error:
        return _page(identity, rows, 422, message=translated(error),
                     diagram_problems=[problem.message for problem in error.problems])
    except SopflowError as error:
        return _page(identity, rows, status_of(error), message=translated(error))
    flash(_("The diagram was generated from the table and opened as a draft: check it, then deploy it."),
          "success")
    return redirect(url_for("modeler.editor", process_id=process_id))


@bp.post("/tabel/unggah")
@requires(Ability.MODEL)
def sop_table_upload() -> tuple[str, int]:
    """An .xlsx or .csv fills the page's table, for review before the diagram is made."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page({}, [{} for _ in range(BLANK_ROWS)], 400, message=_("Choose a .xlsx or .csv file."))
    try:
        identity, rows = sop_table.file_cells(upload.filename, upload.read(sop_table.MAX_BYTES + 1))
    except sop_table.InvalidTable as error:
        return _page({}, [{} for _ in range(BLANK_ROWS)], 400, error.problems, translated(error))
    except SopflowError as error:
        return _page({}, [{} for _ in range(BLANK_ROWS)], status_of(error), message=translated(error))
    flash(_("%(count)d rows read from %(name)s: check them, then generate the diagram.", count=len(rows),
            name=upload.filename), "success")
    return _page(identity, rows or [{}])


@bp.get("/tabel/templat.<kind>")
@requires(Ability.MODEL)
def sop_table_template(kind: str) -> Response:
    return _download(kind, None, "templat_sop")


@bp.get("/tabel/contoh/<name>.<kind>")
@requires(Ability.MODEL)
def sop_table_example(name: str, kind: str) -> Response:
    return _download(kind, sop_table.example(name, *table_lanes(engine().settings)), name)


def _download(kind: str, table: sop_table.SopTable | None, filename: str) -> Response:
    if kind == "xlsx":
        return Response(sop_table.template_xlsx(table), headers={
            "Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if kind == "csv":
        return Response(sop_table.template_csv(table), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})
    raise SopflowError(_("Choose .xlsx or .csv."))

