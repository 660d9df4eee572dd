"""Library errors about a diagram (expat, lxml, the XML schema, SpiffWorkflow's parser, Python's expression
syntax) as Indonesian sentences that name the place: known library messages get their own sentence, any
other one a general sentence naming the element or line. The library's own English text never reaches a
person; it goes to the log."""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

# Library message (a regular expression, searched) -> Indonesian sentence; %(where)s names the element or line.
_XML_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"Excessive depth in document", "bersarang lebih dari 256 tingkat elemen pada %(where)s"),
    (r"undefined entity|Entity '[^']*' not defined",
     "memakai entitas XML yang tidak dideklarasikan pada %(where)s"),
    (r"not well-formed|invalid token|StartTag: invalid element name|Char 0x[0-9A-F]+ out of allowed range",
     "memuat tanda yang tidak sah pada %(where)s"),
    (r"mismatched tag|Opening and ending tag mismatch", "tag pembuka dan penutup tidak cocok pada %(where)s"),
    (r"no element found|Document is empty|Start tag expected|Premature end of data|unclosed token",
     "kosong atau terpotong pada %(where)s"),
    (r"junk after document element|Extra content at the end of the document",
     "ada isi setelah akhir dokumen pada %(where)s"),
    (r"duplicate attribute|Attribute \S+ redefined", "satu atribut ditulis dua kali pada %(where)s"),
    (r"unbound prefix|Namespace prefix \S+ .*not defined", "prefiks namespace tidak dideklarasikan pada %(where)s"),
)
_BPMN_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"No start event found", "proses %(where)s tidak memiliki start event"),
    (r"Multiple outgoing flows are not supported",
     "%(where)s memiliki lebih dari satu alur keluar; gunakan gateway untuk percabangan"),
    (r"is not executable", "proses %(where)s tidak ditandai dapat dijalankan (isExecutable)"),
    (r"Duplicate process ID", "id proses %(where)s dipakai dua kali"),
    (r"no support implemented for this task type", "jenis elemen %(where)s tidak didukung"),
    (r"Time Specification|Unknown Time Specification", "pengaturan waktu timer %(where)s tidak dapat dibaca"),
    (r"identifier is missing|Expected an? \w+ node", "%(where)s merujuk definisi event yang tidak ada"),
    (r"loopMaximum or loopCondition|multiinstance|loop input|loop output",
     "pengulangan (loop/multi-instance) pada %(where)s tidak lengkap"),
    (r"This element is not expected|Missing child element|is not a valid value|is not allowed|"
     r"attribute '[^']*' is required|The attribute '[^']*'",
     "%(where)s tidak sesuai skema BPMN 2.0"),
)
_UNKNOWN = "tidak dapat dibaca pada %(where)s"
_SYNTAX_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"invalid syntax|invalid decimal literal|invalid character", "penulisan tidak sah"),
    (r"was never closed|unexpected EOF|unterminated", "tanda kurung atau kutip tidak ditutup"),
    (r"unmatched|does not match", "tanda kurung tidak berpasangan"),
    (r"unindent|indent", "spasi di awal ekspresi tidak sah"),
    (r"cannot assign|Maybe you meant '==' ", "penugasan (=) tidak diizinkan; untuk membandingkan pakai =="),
)


def _sentence(library_text: str, table: tuple[tuple[str, str], ...], where: str) -> str:
    log.info("diagram problem from a library at %s: %s", where, library_text)
    for pattern, sentence in table:
        if re.search(pattern, library_text, flags=re.IGNORECASE):
            return sentence % {"where": where}
    return _UNKNOWN % {"where": where}


def _line_place(line: object, column: object = None) -> str:
    if not line:
        return "dokumen"
    return f"baris {line}, kolom {column}" if column else f"baris {line}"


def xml_problem(error: Exception) -> str:
    """An XML syntax error (expat's ParseError or lxml's XMLSyntaxError) with its line and column."""
    position = getattr(error, "position", None)
    line, column = position if isinstance(position, tuple) else (getattr(error, "lineno", None), None)
    return "diagram bukan XML yang valid: " + _sentence(str(error), _XML_MESSAGES, _line_place(line, column))


def bpmn_problem(error: Exception) -> str:
    """A SpiffWorkflow parsing or XML-schema error, naming its element (by name, else by id) or its line."""
    element_id = str(getattr(error, "id", "") or "")
    name = str(getattr(error, "name", "") or "")
    if element_id:
        where = repr(name) if name else element_id  # the problem carries the id to mark the element
    else:
        line = getattr(error, "line_number", None)
        where = f"elemen di baris {line}" if line else "dokumen"
    return "diagram bukan BPMN yang valid: " + _sentence(str(error), _BPMN_MESSAGES, where)


def syntax_problem(error: SyntaxError) -> str:
    """Python's syntax message for an expression ("invalid syntax") in Indonesian, with the column."""
    log.info("expression syntax error: %s", error.msg)
    reason = next((sentence for pattern, sentence in _SYNTAX_MESSAGES
                   if re.search(pattern, error.msg or "", flags=re.IGNORECASE)), "penulisan tidak dapat dibaca")
    return f"{reason} (kolom {error.offset})" if error.offset else reason
