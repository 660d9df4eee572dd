"""Process owners' pages: the modeler (draft, validate, deploy), import/export, versions with diff and
migration, and the SOP document (page and PDF) for everyone logged in."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from engine.diagrams import drafts, durations, interchange, migration, versions
from engine.diagrams.diagram_properties import panel_registry
from engine.diagrams.sop_document import IDENTITY_FIELDS, IDENTITY_PREFIX, SECTION_FIELDS, build_sop_document
from engine.diagrams.validation import DiagramProblems, validate_diagram
from engine.errors import SopflowError
from engine.people.policy import Ability
from webapp.admin.logo import logo_data_uri
from webapp.auth import requires
from webapp.context import engine
from webapp.errors import status_of, translated
from webapp.modeler import bp
from webapp.pdf import pdf_response


def _xml_from_form() -> bytes:
    xml = request.form.get("xml", "")
    if not xml.strip():
        raise SopflowError(_("The request carries no diagram."))
    return xml.encode("utf-8")


def _json_error(error: SopflowError) -> tuple[Response, int]:
    problems = [p.as_dict() for p in error.problems] if isinstance(error, DiagramProblems) else []
    return jsonify({"error": translated(error), "problems": problems}), status_of(error)


def _int_arg(name: str, default: int | None = None) -> int | None:
    value = request.values.get(name)
    if value in (None, ""):
        return default
    try:
        return int(str(value))
    except ValueError as error:
        raise SopflowError(_("%(name)s must be a whole number.", name=name)) from error


@bp.get("/")
@requires(Ability.MODEL)
def index() -> str:
    return render_template("modeler/index.html", processes=versions.list_processes(engine()))


@bp.get("/<process_id>")
@requires(Ability.MODEL)
def editor(process_id: str) -> str:
    ctx = engine()
    diagram = drafts.open_diagram(ctx, process_id)
    result = validate_diagram(diagram.xml.encode("utf-8"), ctx.settings, set(ctx.handlers),
                              expected_process_id=process_id)
    labels = {
        "saved": _("Draft saved."),
        "valid": _("No problems: the diagram can be deployed."),
        "problems": _("Problems found: fix the marked elements."),
        "deployed": _("Deployed as version %(version)s."),
        "failed": _("The request failed:"),
        "lane": _("Lane (drawn in the diagram)"),
        "noLane": _("in no lane"),
        "timeStandard": _("Time standard"),
        "timeStandardHelp": _("A number and a unit: 45 menit, 1 jam 30 menit, 2 hari, 10 hari kerja."),
        "requiredInput": _("Required input (kelengkapan)"),
        "output": _("Output"),
        "step": _("Step number (langkah)"),
        "formFields": _("Form fields"),
        "fieldLabel": _("Label"),
        "fieldName": _("Name (filled in from the label)"),
        "fieldType": _("Type"),
        "fieldRequired": _("Required"),
        "fieldChoices": _("Choices, separated by ;"),
        "kinds": [("text", _("Text")), ("longtext", _("Long text")), ("url", _("Link")), ("date", _("Date")),
                  ("check", _("Checkbox")), ("choice", _("Choice")), ("nip", _("NIP")), ("office", _("Office (OPD)")),
                  ("items", _("List of information items"))],
        "required": _("Required"),
        "optional": _("Not required"),
        "requiredIf": _("Required if"),
        "moveUp": _("Move up"),
        "moveDown": _("Move down"),
        "remove": _("Remove"),
        "addField": _("Add a field"),
        "newField": _("New field"),
        "identity": _("SOP identity"),
        "group": _("Step"),
        "noteRequired": _("Write a note: what changed and why."),
        "flow": _("Sequence flow"),
    }
    identity = [(f"{IDENTITY_PREFIX}{key}", label) for key, label in (*IDENTITY_FIELDS, *SECTION_FIELDS)]
    return render_template("modeler/editor.html", process_id=process_id, diagram=diagram,
                           problems=[p.as_dict() for p in result.problems], labels=labels, identity=identity,
                           registry=panel_registry())


@bp.post("/duration")
@requires(Ability.MODEL)
def duration() -> Any:
    """The panel's one parser for a time standard typed in words: {iso, words, working_days} or a 400 with the
    reason."""
    try:
        parsed = durations.parse_words(request.form.get("text", ""))
    except SopflowError as error:
        return _json_error(error)
    return jsonify({"iso": parsed.iso, "words": parsed.words, "working_days": parsed.working_days})


@bp.post("/<process_id>/draft")
@requires(Ability.MODEL)
def save_draft(process_id: str) -> Any:
    try:
        draft = drafts.save_draft(engine(), process_id, _xml_from_form(), current_user.username)
    except SopflowError as error:
        return _json_error(error)
    return jsonify({"saved_at": draft.saved_at.isoformat(), "saved_by": draft.saved_by})


@bp.post("/<process_id>/draft/discard")
@requires(Ability.MODEL)
def discard_draft(process_id: str) -> BaseResponse:
    ctx = engine()
    discarded = drafts.discard_draft(ctx, process_id, current_user.username)
    if not versions.is_deployed(ctx, process_id):
        if discarded:
            flash(_("The draft of the new process was discarded."), "success")
        return redirect(url_for("modeler.index"))
    if discarded:
        flash(_("The draft was discarded; the deployed version is open."), "success")
    return redirect(url_for("modeler.editor", process_id=process_id))


@bp.post("/<process_id>/validate")
@requires(Ability.MODEL)
def validate(process_id: str) -> Any:
    ctx = engine()
    try:
        result = validate_diagram(_xml_from_form(), ctx.settings, set(ctx.handlers), expected_process_id=process_id)
    except SopflowError as error:
        return _json_error(error)
    return jsonify({"problems": [p.as_dict() for p in result.problems]})


@bp.post("/<process_id>/deploy")
@requires(Ability.MODEL)
def deploy(process_id: str) -> Any:
    try:
        deployment = drafts.deploy_diagram(engine(), process_id, _xml_from_form(), current_user.username,
                                           request.form.get("note"))
    except SopflowError as error:
        return _json_error(error)
    definition = deployment.definition
    return jsonify({"version": definition.version, "created": deployment.created,
                    "versions_url": url_for("modeler.version_list", process_id=process_id)})


@bp.post("/<process_id>/import")
@requires(Ability.MODEL)
def import_file(process_id: str) -> BaseResponse:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a .bpmn file to import."), "error")
        return redirect(url_for("modeler.editor", process_id=process_id))
    ctx = engine()
    result = interchange.import_for_context(ctx, upload.read(), process_id)
    drafts.save_draft(ctx, process_id, result.xml, current_user.username)
    flash(_("Imported from %(tool)s as the draft: %(notes)s", tool=result.tool,
            notes="; ".join(result.notes) or "-"), "success")
    if result.problems:
        flash(_("%(count)d problems must be fixed before deploying; they are marked on the diagram.",
                count=len(result.problems)), "error")
    return redirect(url_for("modeler.editor", process_id=process_id))


@bp.get("/<process_id>/export")
@requires(Ability.MODEL)
def export(process_id: str) -> Response:
    filename, xml = interchange.export_diagram(engine(), process_id, _int_arg("version"))
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/<process_id>/versions")
@requires(Ability.MODEL)
def version_list(process_id: str) -> str:
    ctx = engine()
    rows = versions.list_versions(ctx, process_id)
    return render_template("modeler/versions.html", process_id=process_id, versions=rows,
                           running=versions.running_instances(ctx, process_id), newest=rows[0].version)


@bp.get("/<process_id>/diff")
@requires(Ability.MODEL)
def diff(process_id: str) -> str:
    old, new = _int_arg("old"), _int_arg("new")
    if old is None or new is None:
        raise SopflowError(_("Choose two versions to compare."))
    result = versions.diff_versions(engine(), process_id, old, new)
    return render_template("modeler/diff.html", process_id=process_id, diff=result)


@bp.route("/instances/<int:instance_id>/migrate", methods=["GET", "POST"])
@requires(Ability.MODEL)
def migrate(instance_id: int) -> Any:
    to_version = _int_arg("to")
    if to_version is None:
        raise SopflowError(_("Choose the version to migrate to."))
    ctx = engine()
    if request.method == "GET":
        report = migration.migrate_instance(ctx, instance_id, to_version, current_user.username, dry_run=True)
        return render_template("modeler/migrate.html", report=report)
    report = migration.migrate_instance(ctx, instance_id, to_version, current_user.username, dry_run=False)
    flash(_("Instance %(id)d now runs on version %(version)d.", id=instance_id, version=report.to_version),
          "success")
    return redirect(url_for("modeler.version_list", process_id=report.process_id))


def _sop(process_id: str | None) -> tuple[Any, str]:
    document = build_sop_document(engine(), [process_id] if process_id else None,
                                  _int_arg("version") if process_id else None)
    html = render_template("modeler/sop_document.html", document=document, office_logo=logo_data_uri())
    return document, html


@bp.get("/sop")
@bp.get("/<process_id>/sop")
@login_required  # type: ignore[misc]
def sop(process_id: str | None = None) -> str:
    document, body = _sop(process_id)
    return render_template("modeler/sop.html", document=document, body=body, process_id=process_id,
                           version=request.args.get("version"))


@bp.get("/sop.pdf")
@bp.get("/<process_id>/sop.pdf")
@login_required  # type: ignore[misc]
def sop_pdf(process_id: str | None = None) -> Response:
    _document, body = _sop(process_id)
    html = render_template("modeler/sop_print.html", body=body)
    return pdf_response(html, f"sop_{process_id or 'ppid'}.pdf")
