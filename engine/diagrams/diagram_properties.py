"""Everything sopflow reads from a diagram's extension properties, declared once: name, the kind of value, the
elements that carry it and its label. Validation checks diagrams against it (engine/diagrams/property_rules.py), import
keeps exactly these, expression checks take the expression properties from it. A rule of the SOP (a time
standard, which step is the monthly evaluation, which flow goes back a step) is a property here, never a name
in Python."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    TEXT = "text"
    DURATION = "duration"  # ISO 8601 in the XML (PT45M); "45 menit" for people (engine/diagrams/durations.py)
    EXPRESSION = "expression"  # evaluated against the task's data (engine/diagrams/expressions.py)
    FIELD = "field"  # the name of a form field of the same step
    CONDITION = "condition"  # FIELD=VALUE on the same step's form
    FORM_FIELD = "form_field"  # form.<name>: engine/diagrams/forms.py
    CHOICE = "choice"


USER_TASK, PROCESS, SEQUENCE_FLOW = "userTask", "process", "sequenceFlow"

# Values of `penanda`: what the reports need to know about a step.
MONTHLY_EVALUATION = "evaluasi_bulanan"
# Value of `putaran_ulang` on a flow that sends an item back to an earlier step (Belum sesuai, Dikembalikan...).
LOOP_BACK = "ya"
# Property `hitungan_waktu` = `hari_kerja`: the step's time standard is whole days counted on working days.
COUNTING, WORKING_DAYS = "hitungan_waktu", "hari_kerja"
NOTE = "keterangan"  # the SOP table's Keterangan of a step, printed in the SOP document
# Value of process property `mulai`: only the engine starts the process (one item per planned item).
ENGINE_STARTED = "otomatis"


# What a person reads for a choice value where its code, humanised, would not do (the panel's select).
CHOICE_LABELS = {ENGINE_STARTED: "Otomatis, oleh sopflow"}


@dataclass(frozen=True)
class PropertySpec:
    name: str  # for a prefix, the prefix with its dot ("form.")
    kind: Kind
    elements: tuple[str, ...]
    label: str  # Indonesian: shown in the panel and the SOP document
    required: bool = False
    choices: tuple[str, ...] = ()
    prefix: bool = False

    def matches(self, name: str) -> bool:
        return name.startswith(self.name) and len(name) > len(self.name) if self.prefix else name == self.name


REGISTRY: tuple[PropertySpec, ...] = (
    PropertySpec("mulai", Kind.CHOICE, (PROCESS,), "Dimulai oleh", choices=(ENGINE_STARTED,)),
    PropertySpec("sop.", Kind.TEXT, (PROCESS,), "Identitas SOP", prefix=True),
    PropertySpec("langkah", Kind.TEXT, (USER_TASK,), "Nomor langkah"),
    PropertySpec("kelengkapan", Kind.TEXT, (USER_TASK,), "Kelengkapan"),
    PropertySpec("output", Kind.TEXT, (USER_TASK,), "Output"),
    PropertySpec(NOTE, Kind.TEXT, (USER_TASK,), "Keterangan"),
    PropertySpec("standar_waktu", Kind.DURATION, (USER_TASK,), "Standar waktu", required=True),
    PropertySpec(COUNTING, Kind.CHOICE, (USER_TASK,), "Hitungan standar waktu", choices=(WORKING_DAYS,)),
    PropertySpec("opd", Kind.EXPRESSION, (USER_TASK,), "OPD penanggung jawab"),
    PropertySpec("judul", Kind.EXPRESSION, (USER_TASK,), "Judul item"),
    PropertySpec("kelas_dip", Kind.EXPRESSION, (USER_TASK,), "Klasifikasi DIP"),
    PropertySpec("penanda", Kind.CHOICE, (USER_TASK,), "Penanda langkah", choices=(MONTHLY_EVALUATION,)),
    PropertySpec("periksa_tautan", Kind.FIELD, (USER_TASK,), "Isian tautan yang diperiksa server"),
    PropertySpec("periksa_tautan.wajib_lolos", Kind.CONDITION, (USER_TASK,), "Tautan wajib dapat diakses bila"),
    PropertySpec("periksa_tautan.sama_dengan", Kind.TEXT, (USER_TASK,), "Tautan seharusnya sama dengan isian"),
    PropertySpec("periksa_tautan.alasan_beda", Kind.FIELD, (USER_TASK,), "Isian alasan tautan berbeda"),
    PropertySpec("form.", Kind.FORM_FIELD, (USER_TASK,), "Isian formulir", prefix=True),
    PropertySpec("putaran_ulang", Kind.CHOICE, (SEQUENCE_FLOW,), "Mengembalikan ke langkah sebelumnya",
                 choices=(LOOP_BACK,)),
)


def panel_registry() -> list[dict[str, object]]:
    """The registry as the modeler's properties panel reads it."""
    return [{"name": spec.name, "kind": spec.kind.value, "elements": list(spec.elements), "label": spec.label,
             "prefix": spec.prefix, "choices": [[code, CHOICE_LABELS.get(code, code.replace("_", " ").capitalize())]
                                                for code in spec.choices]}
            for spec in REGISTRY]


def spec_of(name: str) -> PropertySpec | None:
    return next((spec for spec in REGISTRY if spec.matches(name)), None)


def is_known(name: str) -> bool:
    return spec_of(name) is not None
