"""The kop surat, the document number and the signature block of printed audit documents, from the `instansi`
section of the configuration. A document number is derived from what the document is and its period, so the
same document printed twice carries the same number: PPID/<KIND>/<month in Roman numerals>/<year>, with the
item's number for a record (e.g. PPID/EVAL/XI/2026, PPID/REK-12/XII/2026)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

import filetype  # type: ignore[import-untyped]

from webapp.context import engine

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
LOGO_TYPES = {"image/png", "image/jpeg"}


@dataclass(frozen=True)
class Letterhead:
    name: str
    unit: str
    address: str
    contact: str
    logo: str | None  # a data: URI, so the PDF fetches nothing
    number: str
    dated: date
    signatory_title: str
    signatory_name: str
    signatory_nip: str


def _logo() -> str | None:
    path = engine().settings.office.logo
    if path is None or not path.is_file():
        return None
    data = path.read_bytes()
    kind = filetype.guess_mime(data)
    if kind not in LOGO_TYPES:
        return None
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def letterhead(kind: str, period: date, dated: date) -> Letterhead:
    office = engine().settings.office
    return Letterhead(office.name, office.unit, office.address, office.contact, _logo(),
                      f"PPID/{kind}/{ROMAN[period.month - 1]}/{period.year}", dated, office.signatory_title,
                      office.signatory_name, office.signatory_nip)
