"""The Admin uploads the office's logo for the kop surat: a real PNG or JPEG only, size-limited, an event each
time; a disguised or oversized file is refused with a reason and nothing is stored."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from engine.context import EngineContext
from engine.people import office_logo
from engine.store import Event
from tests.webapp.conftest import post
from tests.webapp.pages import People, error_message, flash_messages, page


def _png(size: tuple[int, int] = (40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def _logo_events(ctx: EngineContext) -> list[str]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Event.type).where(Event.type.like("office_logo_%")).order_by(Event.id)))


def test_the_admin_uploads_a_logo_that_is_shown_and_can_be_removed(people: People,
                                                                    engine_ctx: EngineContext) -> None:
    admin = people("admin")
    saved = post(admin, "/admin/logo", {"logo": (io.BytesIO(_png()), "lambang.png")},
                 content_type="multipart/form-data")
    shown = admin.get(saved.headers["Location"])
    assert flash_messages(shown) == ["Logo tersimpan; logo dicetak pada kop surat dokumen yang dibuat sesudah ini."]
    assert page(shown).xpath('//img[@class="office-logo"]/@src')[0].startswith("data:image/png;base64,")
    assert office_logo.logo_file(engine_ctx) is not None and _logo_events(engine_ctx) == ["office_logo_changed"]
    sop = page(people("pemilik.proses").get("/modeler/sop")).xpath('//img[@class="sop-logo"]/@src')
    assert sop and sop[0].startswith("data:image/png;base64,")  # the SOP sheet's identity block shows it too
    removed = admin.get(post(admin, "/admin/logo/remove").headers["Location"])
    assert "Belum ada logo." in removed.get_data(as_text=True)
    assert _logo_events(engine_ctx) == ["office_logo_changed", "office_logo_removed"]


def test_a_disguised_or_oversized_file_is_refused_and_nothing_is_stored(people: People,
                                                                        engine_ctx: EngineContext) -> None:
    admin = people("admin")
    disguised = post(admin, "/admin/logo", {"logo": (io.BytesIO(b"<svg onload='alert(1)'/>"), "lambang.png")},
                     content_type="multipart/form-data")
    assert disguised.status_code == 400
    assert "bukan gambar seperti itu, apa pun namanya" in error_message(disguised)
    big = _png() + b"\0" * office_logo.MAX_LOGO_BYTES
    oversized = post(admin, "/admin/logo", {"logo": (io.BytesIO(big), "besar.png")},
                     content_type="multipart/form-data")
    assert oversized.status_code == 400 and error_message(oversized) == "Logo lebih besar dari 512,0 KB."
    assert office_logo.logo_file(engine_ctx) is None and _logo_events(engine_ctx) == []
    assert people("ppid.utama").get("/admin/logo").status_code == 403
