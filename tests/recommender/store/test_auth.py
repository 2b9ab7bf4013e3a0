import re

import pandas as pd
import pytest
from click.testing import CliRunner

from recommender.cli import cli
from recommender.cli.keys import ROLE_CHOICES
from recommender.exceptions import DataError, NotFoundError
from recommender.store import auth
from recommender.store import keys as store_keys


@pytest.fixture
def parked_store(store):
    """The empty store with two parks."""
    store.upsert_parks(pd.DataFrame({"park_id": ["p-east", "p-west"],
                                     "name_en": ["East park", "West park"]}))
    return store


def test_keys_are_long_random_and_marked():
    made = {auth.generate_key() for _ in range(200)}
    assert len(made) == 200
    assert all(re.fullmatch(r"cs[A-Za-z0-9]{41}", k) for k in made)
    assert len({k[: auth.PREFIX_LENGTH] for k in made}) == 200


def test_a_hash_is_the_sha256_of_the_key():
    assert auth.hash_key("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def test_permissions_are_data_and_admin_has_them_all():
    assert set(auth.PERMISSIONS) == set(auth.ROLES) == set(ROLE_CHOICES)
    every = set().union(*auth.PERMISSIONS.values())
    assert auth.PERMISSIONS[auth.ADMIN] == every
    assert auth.PERMISSIONS[auth.VIEWER] < auth.PERMISSIONS[auth.OFFICER]
    assert auth.roles_with(auth.MANAGE_KEYS) == ["admin"]
    assert auth.roles_with(auth.READ_OUTCOMES) == ["admin", "officer", "viewer"]
    assert auth.roles_with(auth.READ_PARKS) == list(auth.ROLES)


def test_a_created_key_authenticates_and_is_stored_hashed(store):
    key, principal = auth.create_key(store, auth.OFFICER, label="Ms Li")

    found = auth.authenticate(store, key)

    assert found == principal
    assert (found.role, found.label, found.prefix) == ("officer", "Ms Li", key[:8])
    assert found.can(auth.RECORD_OUTCOMES) and not found.can(auth.MANAGE_KEYS)
    (row,) = store_keys.keys(store)
    assert row["key_hash"] == auth.hash_key(key)
    assert key not in {str(v) for v in row.values()}


@pytest.mark.parametrize("presented", [None, "", "cs", "cs" + "x" * 41, "x" * 1000])
def test_a_wrong_key_authenticates_nobody(store, presented):
    auth.create_key(store, auth.VIEWER)
    assert auth.authenticate(store, presented) is None


def test_a_key_sharing_a_prefix_is_still_wrong(store):
    key, _ = auth.create_key(store, auth.VIEWER)
    assert auth.authenticate(store, key[:-1] + ("a" if key[-1] != "a" else "b")) is None


def test_a_revoked_key_authenticates_nobody(store):
    key, principal = auth.create_key(store, auth.ADMIN)

    revoked = auth.revoke_key(store, principal.id)

    assert revoked.revoked_at is not None and not revoked.active
    assert auth.authenticate(store, key) is None
    assert auth.revoke_key(store, principal.id).revoked_at == revoked.revoked_at  # kept


def test_a_session_s_digest_authenticates_its_key_until_revoked(store):
    key, principal = auth.create_key(store, auth.OFFICER)
    digest = auth.hash_key(key)
    found = auth.authenticate_digest(store, digest)
    assert found is not None and found.id == principal.id and found.role == auth.OFFICER
    for wrong in (None, "", digest[:-1], auth.hash_key(key + "x"), key):
        assert auth.authenticate_digest(store, wrong) is None
    auth.revoke_key(store, principal.id)
    assert auth.authenticate_digest(store, digest) is None


def test_keys_are_revoked_by_id_prefix_or_whole_key(store):
    made = [auth.create_key(store, auth.VIEWER) for _ in range(3)]
    auth.revoke_key(store, str(made[0][1].id))
    auth.revoke_key(store, made[1][1].prefix)
    auth.revoke_key(store, made[2][0])
    assert all(not p.active for p in auth.list_keys(store))


def test_an_ambiguous_prefix_asks_for_the_id(store):
    for digest in ("1" * 64, "2" * 64):
        store_keys.add_key(store, prefix="csSAMEPR", key_hash=digest, role="viewer")
    with pytest.raises(DataError, match="several keys"):
        auth.revoke_key(store, "csSAMEPR")


@pytest.mark.parametrize("what", ["999", "csNOPREF", "cs" + "q" * 41])
def test_revoking_an_unknown_key_is_not_found(store, what):
    with pytest.raises(NotFoundError, match="no API key"):
        auth.revoke_key(store, what)


def test_a_park_manager_sees_its_own_parks_only(parked_store):
    key, principal = auth.create_key(parked_store, auth.PARK_MANAGER, park_ids=["p-east"])
    assert principal.park_scope == ("p-east",)
    assert principal.sees_park("p-east") and not principal.sees_park("p-west")
    _, officer = auth.create_key(parked_store, auth.OFFICER)
    assert officer.park_scope is None and officer.sees_park("p-west")


@pytest.mark.parametrize(("role", "parks", "error", "match"), [
    ("park_manager", [], DataError, "at least one park"),
    ("viewer", ["p-east"], DataError, "park_manager key only"),
    ("park_manager", ["p-nowhere"], NotFoundError, "p-nowhere"),
    ("superuser", [], DataError, "unknown role"),
])
def test_key_roles_and_parks_are_checked(parked_store, role, parks, error, match):
    with pytest.raises(error, match=match):
        auth.create_key(parked_store, role, park_ids=parks)
    assert store_keys.keys(parked_store) == []


def test_the_demo_keys_are_made_once(store):
    first = auth.ensure_demo_keys(store)
    again = auth.ensure_demo_keys(store)

    assert set(first) == {"officer", "admin"} and again == {}
    assert auth.authenticate(store, first["officer"]).role == "officer"
    assert auth.ensure_demo_key(store) is None
    auth.revoke_key(store, first["officer"])
    assert auth.ensure_demo_key(store) is not None  # a revoked demo key is replaced


def test_a_key_speaks_for_its_person_and_a_key_without_one_for_its_label(store):
    named, _ = auth.create_key(store, auth.OFFICER, label="ops", name="  张三 ", unit="招商一科")
    old, _ = auth.create_key(store, auth.OFFICER, label="ops desk", name="  ", unit="")
    bare, bare_principal = auth.create_key(store, auth.VIEWER)

    person = auth.authenticate(store, named)
    assert (person.name, person.display_name, person.unit) == ("张三", "张三", "招商一科")
    assert person.as_dict()["display_name"] == "张三" and person.as_dict()["unit"] == "招商一科"
    unnamed = auth.authenticate(store, old)
    assert (unnamed.name, unnamed.display_name, unnamed.unit) == ("ops desk", None, None)
    assert auth.authenticate(store, bare).name == bare_principal.prefix == bare[:8]


def test_the_demo_keys_speak_for_invented_people_of_a_demo_bureau(store):
    made = auth.ensure_demo_keys(store, roles=(auth.ADMIN, auth.OFFICER, auth.VIEWER))

    people = {role: (auth.authenticate(store, key).name, auth.authenticate(store, key).unit,
                     auth.authenticate(store, key).label) for role, key in made.items()}
    assert people == {"admin": ("演示管理员", "招商局", "demo admin"),
                      "officer": ("张三", "招商一科", "demo officer"),
                      "viewer": ("王五", "产业研究室", "demo viewer")}


def test_the_store_file_never_holds_a_key(tmp_path):
    from recommender.store import open_store

    path = tmp_path / "keys.db"
    with open_store(f"sqlite:///{path}") as store:
        key, _ = auth.create_key(store, auth.ADMIN)
        demo = auth.ensure_demo_key(store)
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in raw and demo.encode() not in raw
    assert auth.hash_key(key).encode() in raw


# --- the command line -----------------------------------------------------------------------
def run(url: str, *args: str):
    return CliRunner().invoke(cli, ["--database-url", url, "keys", *args])


def test_keys_create_list_revoke_on_the_command_line(tmp_path):
    from recommender.store import open_store

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with open_store(url) as store:
        store.upsert_parks(pd.DataFrame({"park_id": ["p-east"], "name_en": ["East"]}))

    created = run(url, "create", "--role", "park_manager", "--park", "p-east", "--label", "east")
    key = created.stdout.strip()
    listed = run(url, "list")
    revoked = run(url, "revoke", key[:8])
    as_json = run(url, "list", "--json")

    assert created.exit_code == 0 and re.fullmatch(r"cs[A-Za-z0-9]{41}", key)
    assert "not shown again" in created.stderr
    assert key[:8] in listed.stdout and key not in listed.stdout
    assert "park_manager" in listed.stdout and "p-east" in listed.stdout
    assert revoked.exit_code == 0 and "revoked key 1" in revoked.stdout
    assert '"revoked_at": null' not in as_json.stdout and key not in as_json.stdout


def test_keys_create_with_a_name_and_unit_and_list_shows_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    created = run(url, "create", "--role", "officer", "--name", "张三", "--unit", "招商一科")
    run(url, "create", "--role", "viewer", "--label", "old desk")
    listed = run(url, "list").stdout.splitlines()
    as_json = run(url, "list", "--json").stdout

    assert created.exit_code == 0 and "created for 张三 (招商一科)" in created.stderr
    assert "张三 (招商一科)" in listed[0] and "officer" in listed[0]
    assert "old desk" in listed[1] and "张三" not in listed[1]
    assert '"display_name": "张三"' in as_json and '"unit": "招商一科"' in as_json


def test_an_old_key_is_given_its_person_by_id_or_prefix(tmp_path):
    from recommender.store import open_store

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    key = run(url, "create", "--role", "viewer", "--label", "old desk").stdout.strip()

    named = run(url, "name", key[:8], "--name", "王五", "--unit", "产业研究室")
    cleared = run(url, "name", "1", "--name", " ")
    missing = run(url, "name", "9", "--name", "赵六")

    assert named.exit_code == 0 and "is for 王五 (产业研究室)" in named.stdout
    assert cleared.exit_code == 0 and cleared.stdout.rstrip().endswith("is for -")
    assert missing.exit_code == 2 and "no API key 9" in missing.stderr
    with open_store(url) as store:
        auth.name_key(store, key, name="王五", unit="产业研究室")
        assert (auth.authenticate(store, key).name, auth.authenticate(store, key).unit) == (
            "王五", "产业研究室")


@pytest.mark.parametrize(("args", "message"), [
    (("create", "--role", "park_manager"), "at least one park"),
    (("create", "--role", "officer", "--park", "p-x"), "park_manager key only"),
    (("revoke", "77"), "no API key 77"),
])
def test_bad_key_commands_exit_with_2_and_a_message(tmp_path, args, message):
    result = run(f"sqlite:///{tmp_path / 'cli.db'}", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unknown_role_is_refused_by_the_command(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'cli.db'}", "create", "--role", "root")
    assert result.exit_code == 2 and "root" in result.stderr
