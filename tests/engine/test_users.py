"""People: roles from the configuration, Argon2id password hashes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.context import EngineContext
from engine.errors import NotAllowed, SopflowError
from engine.people import users
from engine.people.records import User
from tests.conftest import PASSWORD


def test_passwords_are_stored_as_argon2id_hashes_and_verified(ctx: EngineContext) -> None:
    with ctx.db.session() as session:
        stored = session.scalars(select(User.password_hash).where(User.username == "ppid.utama")).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert users.authenticate(ctx, "ppid.utama", PASSWORD).roles == {"ppid_utama"}
    for username, password in (("ppid.utama", "salah-sandi-123"), ("nobody", PASSWORD)):
        with pytest.raises(NotAllowed, match="wrong username or password"):
            users.authenticate(ctx, username, password)


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("x.baru", "panjang-sekali-1", "superadmin", "Unknown role 'superadmin'"),
        ("x.baru", "pendek", "plid_utama", "at least 8 characters"),
        ("ppid.utama", "panjang-sekali-1", "ppid_utama", "already exists"),
        ("system", "panjang-sekali-1", "ppid_utama", "reserved"),
    ],
)
def test_users_need_a_known_role_a_long_password_and_a_free_name(
    ctx: EngineContext, username: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(SopflowError, match=message):
        users.create_user(ctx, username, password, [role], "Nama", "x@ppid.test")
