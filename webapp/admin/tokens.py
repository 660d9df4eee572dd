"""Admin page: every user's API tokens, with their life cycle, and revocation."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.people import tokens
from engine.people.policy import Ability
from webapp.admin import bp
from webapp.auth import requires
from webapp.context import engine


@bp.get("/tokens")
@requires(Ability.ADMINISTER)
def tokens_page() -> str:
    ctx = engine()
    return render_template("admin/tokens.html", rows=tokens.list_tokens(ctx), now=ctx.clock.now(),
                           state_of=tokens.token_state)


@bp.post("/tokens/revoke")
@requires(Ability.ADMINISTER)
def revoke_token() -> Response:
    username = request.form.get("username", "")
    token_id = request.form.get("token_id", "")
    count = tokens.revoke_tokens(engine(), username, token_id=int(token_id) if token_id.isdigit() else None,
                                 actor=current_user.username)
    flash(_("%(count)d API token(s) of %(user)s revoked.", count=count, user=username), "success")
    return redirect(url_for("admin.tokens_page"))
