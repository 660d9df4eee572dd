"""Admin page: mail not delivered yet, with its attempts and last error, and a retry."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.people.policy import Ability
from engine.runtime import outbox
from webapp.admin import bp
from webapp.auth import requires
from webapp.context import engine


@bp.get("/outbox")
@requires(Ability.ADMINISTER)
def outbox_page() -> str:
    ctx = engine()
    return render_template("admin/outbox.html", rows=outbox.undelivered(ctx), max_attempts=outbox.MAX_ATTEMPTS)


@bp.post("/outbox/<int:mail_id>/retry")
@requires(Ability.ADMINISTER)
def retry(mail_id: int) -> Response:
    if outbox.retry_now(engine(), mail_id, current_user.username):
        flash(_("The mail was sent."), "success")
    else:
        flash(_("The mail could not be sent yet; see its last error."), "error")
    return redirect(url_for("admin.outbox_page"))
