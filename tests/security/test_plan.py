"""`imgb validate` and `imgb plan` on a pull request's configuration: committed symbolic links to
secrets or to other projects' files, and blocks that choose another project's state or store.
Each runs the real CLI and checks that the victim was neither read (nothing of it printed) nor
changed, and that the configuration's own intent was refused with a diagnostic."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from imgb.reconciler.cli import main
from tests.security.conftest import Victim, tree_state

MAIN = """
template "web" {
  base_image = "busybox"
  image_name = "web"
  build      = "RUN echo hi"
}
"""


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    d = tmp_path / "pr"
    d.mkdir()
    (d / "main.imgb.hcl").write_text(MAIN)
    return d


def imgb(d: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["-C", str(d), *args])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


SECRET = "host secret 7d1c0ffee"


@pytest.mark.parametrize("name", ["extra.imgb.hcl", "x.auto.imgbvars.hcl"])
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_a_configuration_file_linked_to_a_secret_is_not_read(cfg: Path, victim: Victim, capsys: pytest.CaptureFixture[str],
                                                              name: str, command: str) -> None:
    (cfg / name).symlink_to(victim.secret)
    code, text = imgb(cfg, capsys, command)
    assert code != 0 and SECRET not in text and "7d1c0ffee" not in text, text
    assert name in text
    assert victim.untouched()


def test_a_var_file_linked_out_of_the_directory_is_not_read(cfg: Path, victim: Victim,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (cfg / "prod.imgbvars.hcl").symlink_to(victim.secret)
    code, text = imgb(cfg, capsys, "plan", "-var-file=prod.imgbvars.hcl")
    assert code != 0 and SECRET not in text, text


def test_file_functions_do_not_follow_links_out(cfg: Path, victim: Victim, capsys: pytest.CaptureFixture[str]) -> None:
    (cfg / "notes.txt").symlink_to(victim.secret)
    (cfg / "main.imgb.hcl").write_text(MAIN + 'output "leak" {\n  value = file("notes.txt")\n}\n')
    code, text = imgb(cfg, capsys, "plan")
    assert code != 0 and SECRET not in text, text


def test_a_committed_lock_link_does_not_make_plan_overwrite_its_target(cfg: Path, victim: Victim,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (cfg / "imgb.state.json.lock").symlink_to(victim.secret)
    code, text = imgb(cfg, capsys, "plan")
    assert code != 0 and "symbolic link" in text, text
    assert victim.untouched()


@pytest.mark.parametrize("link", ["imgb.state.json", "imgb.state.d"])
def test_a_committed_state_link_does_not_choose_another_projects_state(cfg: Path, tmp_path: Path, link: str,
                                                                       capsys: pytest.CaptureFixture[str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Followed, the link would make the plan read the other project's state and plan to destroy
    # its images; the lock, journal and backup would be written there.
    other = tmp_path / "other-project"
    other.mkdir()
    imgb_apply_state(other, capsys)
    before = _files(other)
    if link == "imgb.state.json":
        (cfg / link).symlink_to(other / "imgb.state.json")
    else:
        (cfg / link).symlink_to(other / "imgb.state.d")
        monkeypatch.setenv("IMGB_WORKSPACE", "prod")
    code, text = imgb(cfg, capsys, "plan")
    assert code != 0 and ("symbolic link" in text or "outside the configuration directory" in text), text
    assert _files(other) == before


def imgb_apply_state(d: Path, capsys: pytest.CaptureFixture[str]) -> bool:
    """Another project with a state of its own (written directly: no build is needed)."""
    state = {"version": 1, "serial": 3, "lineage": "other", "resources": []}
    (d / "imgb.state.json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    (d / "imgb.state.d" / "prod").mkdir(parents=True)
    (d / "imgb.state.d" / "prod" / "imgb.state.json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    return True


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_a_backend_path_outside_the_directory_needs_the_operator(cfg: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    other.mkdir()
    imgb_apply_state(other, capsys)
    before = _files(other)
    (cfg / "backend.imgb.hcl").write_text(f'imgb {{\n  backend "local" {{\n    path = "{other}/imgb.state.json"\n  }}\n}}\n')
    code, text = imgb(cfg, capsys, "plan")
    assert code != 0 and "IMGB_ALLOW_PATHS" in text and "outside the configuration directory" in text, text
    assert _files(other) == before
    # The operator's flag allows it (and only the operator's: the configuration cannot).
    code, text = imgb(cfg, capsys, f"-allow-path={other}", "validate")
    assert code == 0, text


@pytest.mark.parametrize("root", ["ABS", "../elsewhere", "link"])
def test_a_provider_root_outside_the_directory_needs_the_operator(cfg: Path, tmp_path: Path, root: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "shared-store"
    (store / "regions").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (cfg / "link").symlink_to(store)
    value = str(store) if root == "ABS" else root
    (cfg / "provider.imgb.hcl").write_text(f'provider "local" {{\n  root = "{value}"\n}}\n')
    before = sorted(p.name for p in store.rglob("*"))
    code, text = imgb(cfg, capsys, "plan")
    assert code != 0 and "outside the configuration directory" in text, text
    assert sorted(p.name for p in store.rglob("*")) == before
    assert not (tmp_path / "elsewhere" / "regions").exists()


def test_a_template_cannot_take_the_name_of_an_imported_base(cfg: Path, tmp_path: Path, probe_binary: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from imgb.providers.local import LocalProvider, import_image

    store = cfg / ".imgb" / "cloud"
    rootfs = tmp_path / "corp"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "corp").write_text("the real corp base\n")
    base = import_image(store, "local-1", "corp-base", str(rootfs))
    (cfg / "provider.imgb.hcl").write_text('provider "local" {\n  root = ".imgb/cloud"\n}\n')
    (cfg / "main.imgb.hcl").write_text(MAIN.replace('image_name = "web"', 'image_name = "corp-base"'))
    code, text = imgb(cfg, capsys, "plan")
    assert code != 0 and "corp-base" in text and "base image" in text, text
    # And even an image of that name built some other way never shadows the import.
    p = LocalProvider(store, "local-1")
    rec = p.store.get("local-1", "images", base["id"])
    assert rec is not None
    impostor = dict(rec, id="m-" + "f" * 20, source="build", created="9999-12-31T00:00:00.000000Z")
    p.store.put("local-1", "images", impostor)
    assert p.resolve_base_image("corp-base", None) == base["id"]


def test_network_for_builds_is_the_operators_decision(cfg: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGB_ALLOW_NETWORK", raising=False)
    (cfg / "main.imgb.hcl").write_text(MAIN.replace('build      = "RUN echo hi"',
                                                    'build = "RUN echo hi"\n  internet_max_bandwidth_out = 10'))
    code, text = imgb(cfg, capsys, "plan")
    assert code != 0 and "IMGB_ALLOW_NETWORK" in text, text
    code, text = imgb(cfg, capsys, "-allow-network", "plan")
    assert code in (0, 2) and "IMGB_ALLOW_NETWORK" not in text, text
    assert os.environ.get("IMGB_ALLOW_NETWORK") is None  # one command's flag



@pytest.mark.parametrize("call", ["opa.runtime()", 'opa["runtime"]()', "opa .runtime().env"])
def test_a_policy_cannot_read_the_environment(cfg: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch, call: str) -> None:
    # Policies come with the configuration; what deny returns is printed in the plan and in the
    # pull request's comment. opa.runtime() would print the process's environment: cloud keys,
    # the PostgreSQL connection string, CI tokens.
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret-5a1t")
    (cfg / "policy").mkdir()
    (cfg / "policy" / "leak.rego").write_text(
        f'package leak\nimport rego.v1\n\ndeny contains msg if {{\n  msg := sprintf("%v", [{call}])\n}}\n')
    for command in (["plan"], ["policy", "test"]):
        code, text = imgb(cfg, capsys, *command)
        assert code != 0 and "env-secret-5a1t" not in text and "opa.runtime()" in text, text
        assert "policy/leak.rego" in text and "line 5" in text, text


@pytest.mark.parametrize("how", ["file-link", "directory-link", "absolute-path", "dotdot-path"])
def test_policies_are_read_from_the_configuration_directory_only(cfg: Path, victim: Victim, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str], how: str) -> None:
    # A policy file is parsed, and the engine's errors quote what it read: a link to a secret, or
    # a path out of the directory, must not be read at all.
    victim.secret.write_text("package stolen\nhost secret 7d1c0ffee +\n")
    victim.before = tree_state(victim.path)
    if how == "file-link":
        (cfg / "policy").mkdir()
        (cfg / "policy" / "a.rego").symlink_to(victim.secret)
    elif how == "directory-link":
        (cfg / "policy").symlink_to(victim.path)
        os.rename(victim.secret, victim.path / "a.rego")
        victim.before = tree_state(victim.path)
    else:
        where = str(victim.secret) if how == "absolute-path" else os.path.relpath(victim.secret, cfg)
        (cfg / "policy.imgb.hcl").write_text(f'imgb {{\n  policy_paths = ["{where}"]\n}}\n')
    for command in (["plan"], ["validate"], ["policy", "test"]):
        code, text = imgb(cfg, capsys, *command)
        assert "7d1c0ffee" not in text, text
        if command != ["validate"]:
            assert code != 0 and ("outside the configuration directory" in text or "leads out of" in text), text
    assert victim.untouched()


def test_a_pg_conn_str_in_the_configuration_cannot_redirect_the_operators_connection(
        cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # The operator's IMGB_PG_CONN_STR (or libpq's PGPASSWORD...) holds credentials; a pull request's
    # conn_str pointing at its own server must not get a connection (a server may ask libpq for
    # the password in clear). A listener stands in for that server: nothing may reach it.
    import socket

    attacker = socket.socket()
    attacker.bind(("127.0.0.1", 0))
    attacker.listen(8)
    attacker.settimeout(0.5)
    try:
        monkeypatch.setenv("IMGB_PG_CONN_STR", "host=127.0.0.1 port=1 user=ci password=operator-pw-9d2e")
        monkeypatch.setenv("PGPASSWORD", "operator-pw-9d2e")
        port = attacker.getsockname()[1]
        (cfg / "backend.imgb.hcl").write_text(
            f'imgb {{\n  backend "pg" {{\n    conn_str = "host=127.0.0.1 port={port} user=ci connect_timeout=2"\n  }}\n}}\n')
        for command in ("plan", "validate"):
            code, text = imgb(cfg, capsys, command)
            if command == "plan":
                assert code != 0 and "conn_str" in text and "IMGB_PG_CONN_STR" in text, text
            assert "operator-pw-9d2e" not in text, text
        with pytest.raises(TimeoutError):
            attacker.accept()
    finally:
        attacker.close()


def test_a_pg_schema_the_operator_did_not_allow_is_refused(cfg: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # In a database shared by several projects, schema_name = "other_project" would read the other
    # project's state and plan to destroy its images. The operator pins the schema.
    monkeypatch.setenv("IMGB_PG_CONN_STR", "host=127.0.0.1 port=1 user=ci connect_timeout=2")
    monkeypatch.setenv("IMGB_PG_SCHEMA", "web_team")
    (cfg / "backend.imgb.hcl").write_text('imgb {\n  backend "pg" {\n    schema_name = "payments_team"\n  }\n}\n')
    code, text = imgb(cfg, capsys, "plan")
    assert code != 0 and "IMGB_PG_SCHEMA=web_team" in text and "payments_team" in text, text
    assert "cannot connect" not in text, text  # refused before connecting


@pytest.mark.parametrize("args", [["fmt", "-check", "-diff"], ["fmt"]])
def test_fmt_neither_shows_nor_rewrites_a_file_linked_out_of_the_directory(
        cfg: Path, victim: Victim, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    # The generated CI runs `imgb fmt -check -diff` on every pull request: a committed
    # leak.imgb.hcl -> secret printed the secret as a diff, and `imgb fmt` rewrote it.
    victim.secret.write_text('aws_secret   =    "host secret 7d1c0ffee"\n')
    victim.before = tree_state(victim.path)
    (cfg / "leak.imgb.hcl").symlink_to(victim.secret)
    code, text = imgb(cfg, capsys, *args)
    assert code != 0 and "7d1c0ffee" not in text and "leak.imgb.hcl" in text, text
    assert victim.untouched()


def test_a_parse_cache_entry_committed_to_the_checkout_is_not_unpickled(cfg: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # An operator may keep the parse cache inside the checkout (IMGB_CACHE_DIR=.cache, to cache it
    # between CI runs). A pull request can then commit an entry under the key of its own file (the
    # key is public: a hash of the bytes, the name and imgb's code), owned by the CI user like any
    # checked-out file; unpickled, it runs any code in the job that holds the credentials.
    import pickle

    from imgb.reconciler.config.cache import _key

    proof = tmp_path / "proof-of-unpickling"

    class Planted:
        def __reduce__(self) -> tuple[object, ...]:
            return (Path.touch, (proof,))

    monkeypatch.setenv("IMGB_CACHE_DIR", str(cfg / ".cache"))
    entry = cfg / ".cache" / "parsed" / (_key((cfg / "main.imgb.hcl").read_bytes(), "main.imgb.hcl") + ".pickle")
    entry.parent.mkdir(parents=True)
    os.chmod(entry.parent, 0o700)
    os.chmod(entry.parent.parent, 0o700)
    entry.write_bytes(pickle.dumps(Planted()))
    os.chmod(entry, 0o600)
    for command in ("validate", "plan"):
        code, text = imgb(cfg, capsys, command)
        assert not proof.exists(), "a committed cache entry was unpickled"
        assert code in (0, 2), text
