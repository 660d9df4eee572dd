"""The kop surat, the document number and the signature block of printed audit documents, from the `instansi`
section of the configuration. A document number is derived from what the document is and its period, so the
same document printed twice carries the same number: PPID/<KIND>/<month in Roman numerals>/<year>, with the
item's number for a record (e.g. PPID/EVAL/XI/2026, PPID/REK-12/XII/2026)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from webapp.admin.logo import logo_data_uri
from webapp.context import engine

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


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


def letterhead(kind: str, period: date, dated: date) -> Letterhead:
    office = engine().settings.office
    return Letterhead(office.name, office.unit, office.address, office.contact, logo_data_uri(),
                      f"PPID/{kind}/{ROMAN[period.month - 1]}/{period.year}", dated, office.signatory_title,
                      office.signatory_name, office.signatory_nip)
