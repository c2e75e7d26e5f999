"""Secret-keyed and per-student exercises: which seed a sheet's exercise really uses.

Without a secret, exercise ``jacobian-7`` is ``generate("jacobian", 7)``, which anyone
with diffcheck can regenerate, solutions included. With a secret (``--secret`` or
``DIFFCHECK_SECRET``), the generator's seed is an HMAC-SHA256 of the kind, the sheet's
seed, the level and the student under the secret: the id on the sheet stays
``jacobian-7``, but without the secret nobody can compute the seed the key records.
A roster (``--students roster.csv``) or ``--variants N`` gives each student (or
variant) a seed of their own, the same way; the key records every student's exercises.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re

from diffcheck.exercises.files import read_capped

SECRET_ENV = "DIFFCHECK_SECRET"
MAX_STUDENTS = 2000
NAME = re.compile(r"[^A-Za-z0-9._-]+")


class RosterError(ValueError):
    """The roster cannot be read; the message names the file and the problem."""


def derived_seed(kind: str, seed: int, level: int | None, student: str = "",
                 secret: str | None = None) -> int:
    """The generator seed of one exercise (a 63-bit int).

    With neither a secret nor a student it is ``seed`` itself (a plain, public sheet).
    Otherwise it is HMAC-SHA256 under ``secret`` (an empty key when there is none: a
    per-student sheet without a secret is reproducible by anyone who knows the names).
    """
    if not secret and not student:
        return seed
    message = f"diffcheck-exercise\x00{kind}\x00{seed}\x00{level or 0}\x00{student}".encode()
    digest = hmac.new((secret or "").encode(), message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def file_stem(name: str) -> str:
    """A student name as a safe file stem (``Ann O'Neil`` → ``Ann_O_Neil``)."""
    return NAME.sub("_", name).strip("._") or "student"


def read_roster(path: str, max_bytes: int = 2 * 1024 * 1024) -> list[str]:
    """Student names from a CSV roster: a ``student`` (or ``name``) column, else the first.

    Blank lines and lines starting with ``#`` are skipped; duplicates and an empty roster
    are errors.
    """
    raw = read_capped(path, max_bytes, f"roster {path!r}", RosterError)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(f"roster {path!r} is not UTF-8 text") from None
    rows = [row for row in csv.reader(io.StringIO(text))
            if any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")]
    if not rows:
        raise RosterError(f"roster {path!r} names no student")
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(h) for h in ("student", "name") if h in header), None)
    if column is not None:
        rows = rows[1:]
    names = [row[column or 0].strip() for row in rows if len(row) > (column or 0)]
    names = [n for n in names if n]
    if not names:
        raise RosterError(f"roster {path!r} names no student")
    if len(names) > MAX_STUDENTS:
        raise RosterError(f"roster {path!r} has more than {MAX_STUDENTS} students")
    seen: dict[str, str] = {}
    for name in names:
        stem = file_stem(name)
        if stem in seen:
            raise RosterError(f"roster {path!r}: {name[:40]!r} and {seen[stem][:40]!r} would "
                              "share a file name; make the names distinct")
        seen[stem] = name
    return names


def variant_names(count: int) -> list[str]:
    """``variant-1`` ... ``variant-N``."""
    return [f"variant-{k}" for k in range(1, count + 1)]
