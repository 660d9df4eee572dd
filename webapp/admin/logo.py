"""Admin page: the office's logo on printed documents (kop surat)."""

from __future__ import annotations

import base64

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.people import office_logo
from engine.people.policy import Ability
from webapp.admin import bp
from webapp.auth import requires
from webapp.context import engine


def logo_data_uri() -> str | None:
    """The logo as a data: URI (pages and PDFs fetch nothing); None without a valid logo."""
    path = office_logo.logo_file(engine())
    data = path.read_bytes() if path is not None else b""
    kind = office_logo.logo_type(data)
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}" if kind else None


@bp.get("/logo")
@requires(Ability.ADMINISTER)
def logo_page() -> str:
    return render_template("admin/logo.html", logo=logo_data_uri(), limit=office_logo.MAX_LOGO_BYTES)


@bp.post("/logo")
@requires(Ability.ADMINISTER)
def upload_logo() -> Response:
    upload = request.files.get("logo")
    office_logo.save_logo(engine(), upload.read(office_logo.MAX_LOGO_BYTES + 1) if upload else b"",
                          current_user.username)
    flash(_("The logo is saved; it is printed on the kop surat of new documents."), "success")
    return redirect(url_for("admin.logo_page"))


@bp.post("/logo/remove")
@requires(Ability.ADMINISTER)
def remove_logo() -> Response:
    office_logo.remove_logo(engine(), current_user.username)
    flash(_("The logo is removed."), "success")
    return redirect(url_for("admin.logo_page"))
