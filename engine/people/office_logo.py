"""The office's logo on printed documents, uploaded by the Admin: a PNG or JPEG recognised by its content (never
by its name), at most 512 KB, kept in the instance folder beside the uploads. Replacing or removing it is an
event. Without an uploaded logo, the one named in the configuration (instansi.logo) is used, if any."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import filetype  # type: ignore[import-untyped]

from engine.context import EngineContext
from engine.errors import Bytes, SopflowError
from engine.people.administration import record_administration

MAX_LOGO_BYTES = 512 * 1024
LOGO_TYPES = frozenset({"image/png", "image/jpeg"})


def _uploaded(ctx: EngineContext) -> Path:
    return ctx.settings.upload_dir.parent / "office-logo"


def logo_file(ctx: EngineContext) -> Path | None:
    """The uploaded logo, else the configured one; None when there is neither."""
    for path in (_uploaded(ctx), ctx.settings.office.logo):
        if path is not None and path.is_file():
            return path
    return None


def logo_type(data: bytes) -> str | None:
    kind = filetype.guess_mime(data)
    return kind if kind in LOGO_TYPES else None


def save_logo(ctx: EngineContext, data: bytes, actor: str) -> None:
    if not data:
        raise SopflowError("Choose a PNG or JPEG file for the logo.")
    if len(data) > MAX_LOGO_BYTES:
        raise SopflowError("The logo is larger than %(limit)s.", limit=Bytes(MAX_LOGO_BYTES))
    kind = logo_type(data)
    if kind is None:
        raise SopflowError("The logo must be a PNG or JPEG image; this file is not one, whatever its name.")
    target = _uploaded(ctx)
    target.parent.mkdir(parents=True, exist_ok=True)
    with ctx.db.session() as session:
        record_administration(session, ctx, "office_logo_changed", actor, image_type=kind, bytes=len(data),
                              sha256=hashlib.sha256(data).hexdigest())
        staged = target.with_suffix(".new")
        staged.write_bytes(data)
        os.replace(staged, target)  # before the event commits: a failed write records nothing


def remove_logo(ctx: EngineContext, actor: str) -> None:
    target = _uploaded(ctx)
    if not target.is_file():
        raise SopflowError("No logo has been uploaded.")
    with ctx.db.session() as session:
        record_administration(session, ctx, "office_logo_removed", actor)
        target.unlink()
