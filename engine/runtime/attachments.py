"""Attachments: size from the configuration, type judged by content (never by name), stored outside the web
root under a random name, the checksum recorded in the instance's history in the same transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path, PurePath
from uuid import uuid4

import filetype  # type: ignore[import-untyped]

from engine.audit.events import append_event
from engine.context import EngineContext
from engine.errors import Bytes, InvalidInput, NotAllowed, NotFound, SopflowError
from engine.people.users import get_user
from engine.store import Attachment, WorkItem

SAME_KIND = {"jpeg": "jpg"}
MAX_REASON = 1000
MAX_FILENAME_CHARS = 200


class RefusedUpload(SopflowError):
    """An upload that is empty, too large, or not of an allowed type by its content. Like a FieldError, it
    keeps its English template and parameters so the web layer can say it in the user's language."""


@dataclass(frozen=True)
class StoredFile:
    attachment: Attachment
    path: Path


def _kind_by_name(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower().lstrip(".")
    return SAME_KIND.get(suffix, suffix)


def check_upload(ctx: EngineContext, filename: str, content: bytes) -> str:
    """The media type of an acceptable upload; RefusedUpload with the reason otherwise."""
    settings = ctx.settings
    if len(filename) > MAX_FILENAME_CHARS:
        raise RefusedUpload("A file name has at most %(limit)d characters; this one has %(length)d",
                            limit=MAX_FILENAME_CHARS, length=len(filename))
    if any(ch in "/\\" or not ch.isprintable() for ch in filename):
        raise RefusedUpload("%(name)s: a file name may not contain folders or control characters",
                            name=filename.encode("unicode_escape").decode("ascii"))
    if not content:
        raise RefusedUpload("%(name)s is empty", name=filename)
    if len(content) > settings.upload_max_bytes:
        raise RefusedUpload("%(name)s is %(size)s; the limit is %(limit)s.", name=filename,
                            size=Bytes(len(content)), limit=Bytes(settings.upload_max_bytes))
    allowed = {SAME_KIND.get(ext, ext) for ext in settings.upload_extensions}
    detected = filetype.guess(content)
    if detected is None:
        raise RefusedUpload("%(name)s is not an allowed kind of file by its content; allowed: %(allowed)s",
                            name=filename, allowed=", ".join(sorted(allowed)))
    if detected.extension not in allowed:
        found = detected.extension
        raise RefusedUpload("%(name)s is not an allowed kind of file by its content (%(found)s); allowed: %(allowed)s",
                            name=filename, found=found, allowed=", ".join(sorted(allowed)))
    named = _kind_by_name(filename)
    if named != detected.extension:
        raise RefusedUpload("%(name)s is named as .%(named)s but its content is %(found)s; refused",
                            name=filename, named=named or "?", found=detected.extension)
    media_type: str = detected.mime
    return media_type


def _safe_filename(filename: str) -> str:
    name = PurePath(filename.replace("\\", "/")).name.strip() or "berkas"
    return "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/|?*')[:200] or "berkas"


def add_attachment(
    ctx: EngineContext, instance_id: int, task_id: str | None, filename: str, content: bytes, actor: str
) -> Attachment:
    """Store a file for an instance (and the task it came with). The file is written before the row;
    a failed transaction leaves an orphan file, never a row without its file."""
    media_type = check_upload(ctx, filename, content)
    directory = ctx.settings.upload_dir
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    digest = hashlib.sha256(content).hexdigest()
    now = ctx.clock.now()
    with ctx.db.session() as session:
        user = get_user(session, actor)
        instance = ctx.policy.viewable_instance(session, user, instance_id)
        if instance.status != "running":
            raise NotAllowed("Item %(id)s is closed; no more files can be attached.", id=instance_id)
        if task_id is not None:
            item = session.get(WorkItem, task_id)
            if item is None or item.instance_id != instance_id:
                raise NotFound("Item %(id)s has no task %(task)s.", id=instance_id, task=task_id)
        (directory / stored_name).write_bytes(content)
        attachment = Attachment(
            id=str(uuid4()),
            instance_id=instance_id,
            task_id=task_id,
            filename=_safe_filename(filename),
            media_type=media_type,
            size=len(content),
            sha256=digest,
            stored_name=stored_name,
            uploaded_by=actor,
            uploaded_at=now,
        )
        session.add(attachment)
        append_event(
            session,
            process_id=instance.process_id,
            type="attachment_added",
            actor=actor,
            at=now,
            instance=instance,
            task_id=task_id,
            payload={"attachment": attachment.id, "filename": attachment.filename, "media_type": media_type,
                     "size": len(content), "sha256": digest},
        )
    return attachment


def open_attachment(ctx: EngineContext, attachment_id: str, viewer: str) -> StoredFile:
    """The attachment and its file, for a user who may see its instance."""
    with ctx.db.session() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            raise NotFound("There is no attachment %(id)s.", id=attachment_id)
        ctx.policy.viewable_instance(session, get_user(session, viewer), attachment.instance_id)
    path = ctx.settings.upload_dir / attachment.stored_name
    if not path.is_file():
        raise NotFound("The file %(name)s is missing from storage.", name=attachment.filename)
    return StoredFile(attachment, path)



def remove_attachment(ctx: EngineContext, attachment_id: str, actor: str, reason: str) -> Attachment:
    """The uploader takes a file back while its step is open; the file and row stay for the audit record,
    marked removed, and the removal is an event of the instance."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("a removal needs a reason", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput("the reason is longer than %(limit)d characters", field="reason", limit=MAX_REASON)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            raise NotFound("no attachment %(id)s", id=attachment_id)
        instance = ctx.policy.viewable_instance(session, get_user(session, actor), attachment.instance_id)
        if attachment.uploaded_by != actor:
            raise NotAllowed("only %(user)s, who uploaded %(name)s, may remove it", user=attachment.uploaded_by,
                             name=attachment.filename)
        if attachment.removed_at is not None:
            raise NotAllowed("%(name)s was already removed", name=attachment.filename)
        item = session.get(WorkItem, attachment.task_id) if attachment.task_id else None
        if instance.status != "running" or item is None or item.status not in ("ready", "claimed"):
            raise NotAllowed("%(name)s belongs to a step that is no longer open; it stays", name=attachment.filename)
        attachment.removed_at, attachment.removed_by, attachment.removal_reason = now, actor, reason
        append_event(
            session,
            process_id=instance.process_id,
            type="attachment_removed",
            actor=actor,
            at=now,
            instance=instance,
            task_id=attachment.task_id,
            payload={"attachment": attachment.id, "filename": attachment.filename, "sha256": attachment.sha256,
                     "reason": reason},
        )
    return attachment
