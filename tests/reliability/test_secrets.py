"""Secrets never reach state, plan files, output, logs, debug logs or error messages.

Marker values are planted everywhere a secret can come from: sensitive variables set by --var,
--var-file, a *.auto.imgbvars.hcl file, IMGB_VAR_ and a default; Alibaba Cloud access keys in
the environment (and, against the API emulator, as the real credentials); a PostgreSQL
password in IMGB_PG_CONN_STR. They are used in component content, LABEL, ENV, RUN, tags, image
tags and outputs. Then every command runs (plan as text, JSON and markdown, a saved plan,
show, apply, output, state list/show/pull, logs, images, refresh, graph, a failing build, an
internal error) and every artifact is scanned: stdout and stderr, state, backup and journal,
plan files, the debug log, the local store's build logs and operation progress/errors, every
PostgreSQL table.

The store's records (component and template content, image tags) and image layers hold what
the configuration sends to the provider, as Alibaba Cloud's API stores it: the test checks that
the markers did reach them (so it can fail) and that they are owner-only (docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pgserver import pg_dsn, pg_schema  # noqa: F401  (fixtures)

from imgb.reconciler import planner as planner_mod
from tests.reliability.input_site import Outcome, imgb

CLI_SECRET = "MARKER-cli-var-5f1a9e"
FILE_SECRET = "MARKER-var-file-8c2d41"
AUTO_SECRET = "MARKER-auto-vars-3b7e02"
ENV_SECRET = "MARKER-env-var-9d4c77"
DEFAULT_SECRET = "MARKER-default-1e6f38"
AK_ID = "LTAI5tMARKERakid7731"
AK_SECRET = "MARKER-ak-secret-40c9b2"
PG_PASSWORD = "MARKER-pg-password-a71d"
VARIABLE_SECRETS = (CLI_SECRET, FILE_SECRET, AUTO_SECRET, ENV_SECRET, DEFAULT_SECRET)
ALL = (*VARIABLE_SECRETS, AK_ID, AK_SECRET, PG_PASSWORD)

CONFIG = """
imgb {
%(backend)s
}

provider "local" {
  root   = ".imgb/cloud"
  region = "local-1"
}

variable "cli_token" {
  type      = string
  sensitive = true
}
variable "file_token" {
  type      = string
  sensitive = true
}
variable "auto_token" {
  type      = string
  sensitive = true
}
variable "env_token" {
  type      = string
  sensitive = true
}
variable "default_token" {
  type      = string
  sensitive = true
  default   = "%(default)s"
}
variable "fail" {
  type    = bool
  default = false
}

component "setup" {
  description = "uses every secret"
  content     = <<-EOT
    RUN echo "cli=${var.cli_token} file=${var.file_token}" > /etc/tokens && echo "auto=${var.auto_token}"
    ENV ENV_TOKEN="${var.env_token}"
    LABEL default="${var.default_token}"
    RUN echo "from the environment: $ENV_TOKEN" && echo "${var.fail ? "failing now" : "ok"}" && ${var.fail ? "exit 3" : "true"}
  EOT
  tags        = { token = var.cli_token }
}

template "web" {
  base_image  = "busybox"
  build       = <<-EOT
    COMPONENT ${component.setup.id}
    RUN echo ${var.file_token} >> /etc/tokens
  EOT
  test        = <<-EOT
    RUN grep -q ${var.auto_token} /etc/tokens || grep -q cli= /etc/tokens
  EOT
  image_name  = "web"
  image_tags  = { auto = var.auto_token }
  tags        = { env = var.env_token }
  distribute  = [distribution.everywhere]
}

distribution "everywhere" {
  regions  = ["local-2"]
  accounts = ["100000000001"]
}

output "plain_output_of_a_secret" {
  value = "token: ${var.cli_token}"
}

output "sensitive_output" {
  value     = var.default_token
  sensitive = true
}

output "ids" {
  value = template.web.image_ids
}
"""


class Run:
    """Runs imgb commands with the markers planted, and keeps everything they printed."""

    def __init__(self, d: Path, var_file: Path):
        self.d = d
        self.var_file = var_file
        self.outputs: list[tuple[str, str]] = []

    def __call__(self, *args: str, ok: tuple[int, ...] = (0,), plan_flags: bool = True, bug: bool = False) -> Outcome:
        flags = ["--var", f"cli_token={CLI_SECRET}", "--var-file", str(self.var_file)] if plan_flags else []
        out = imgb(self.d, *args, *flags)
        self.outputs.append((" ".join(args), out.out + out.err))
        if bug:  # an induced internal error
            assert out.code == 1 and "internal error" in out.err, out.err
        else:
            out.assert_clean(*ok)
        return out


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMGB_VAR_env_token", ENV_SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET)
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IMGB_DEBUG_LOG", str(tmp_path / "cfg" / "imgb-debug.log"))
    d = tmp_path / "cfg"
    d.mkdir()
    (d / "secrets.auto.imgbvars.hcl").write_text(f'auto_token = "{AUTO_SECRET}"\n')
    (tmp_path / "given.imgbvars.hcl").write_text(f'file_token = "{FILE_SECRET}"\n')
    return d


def _exercise(run: Run, d: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plans = d / "plans"
    plans.mkdir()
    run("validate")
    run("plan")
    run("plan", "--format", "json")
    run("plan", "--format", "markdown")
    run("plan", "--out", str(plans / "first.imgbplan"))
    run("show", str(plans / "first.imgbplan"), plan_flags=False)
    run("show", "--json", str(plans / "first.imgbplan"), plan_flags=False)
    run("apply", str(plans / "first.imgbplan"))
    for args in (("show",), ("show", "--json"), ("output",), ("output", "--json"), ("output", "plain_output_of_a_secret"),
                 ("output", "sensitive_output"), ("output", "--json", "sensitive_output"), ("state", "list"),
                 ("state", "show", "component.setup"), ("state", "show", "image.web"), ("state", "pull"),
                 ("logs", "image.web"), ("images", "--json")):
        run(*args, plan_flags=args[0] in ("images", "logs"))
    run("refresh")
    run("graph")
    run("plan", "--detailed-exitcode")

    # A rebuild that fails: its last output quotes a secret.
    run("apply", "--auto-approve", "--var", "fail=true", ok=(1,))
    run("logs", "image.web")
    run("plan", "--refresh-only", "--out", str(plans / "refresh.imgbplan"))

    # An internal error whose message quotes a secret, as a bug's might.

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"unexpected value {CLI_SECRET} / {FILE_SECRET} / {AUTO_SECRET} / {ENV_SECRET} / {AK_SECRET}")

    with monkeypatch.context() as m:
        m.setattr(planner_mod, "make_plan", broken)
        run("plan", bug=True)
    assert (d / "imgb-debug.log").exists()


def _scan(run: Run, d: Path, extra: dict[str, str]) -> None:
    leaks: list[str] = []
    texts: dict[str, str] = {f"output of imgb {cmd}": text for cmd, text in run.outputs}
    texts.update(extra)
    own_inputs = {d / "secrets.auto.imgbvars.hcl", d / "main.imgb.hcl"}
    store = d / ".imgb" / "cloud"
    for f in sorted(d.rglob("*")):
        if not f.is_file() or f in own_inputs or store in f.parents:
            continue
        texts[str(f.relative_to(d))] = f.read_bytes().decode("utf-8", "replace")
    for f in sorted((store / "logs").glob("*")):
        texts[f"store build log {f.name}"] = f.read_text(errors="replace")
    for f in sorted((store / "ops").glob("*.json")):
        op = json.loads(f.read_text())
        texts[f"store operation {f.name} (progress, error)"] = json.dumps([op.get("progress"), op.get("error")])
    assert any(k.startswith("imgb.state.json") for k in texts) or "pg tables" in extra
    assert any(k.endswith(".imgbplan") for k in texts) and "imgb-debug.log" in texts
    for where, text in texts.items():
        for marker in ALL:
            if marker in text:
                i = text.index(marker)
                leaks.append(f"{marker} in {where}: ...{text[max(0, i - 120):i + 40]!r}")
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)
    print(f"\nsecrets: {len(ALL)} markers, {len(run.outputs)} commands, {len(texts)} artifacts scanned, no leak")


def _check_store(d: Path) -> None:
    """The records hold what was sent to the provider (the markers did reach it) and only the
    owner can read them."""
    store = d / ".imgb" / "cloud"
    records = "".join(p.read_text() for p in (store / "records").rglob("*.json"))
    for marker in (CLI_SECRET, FILE_SECRET, AUTO_SECRET, ENV_SECRET, DEFAULT_SECRET):
        assert marker in records, f"{marker} never reached the provider: the scan proves nothing"
    for p in [store / "records", *(store / "records").rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o077 == 0, f"{p} is readable by others ({oct(mode)})"


def test_secrets_never_leak_local_backend(planted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = planted
    (d / "main.imgb.hcl").write_text(CONFIG % {"backend": '  backend "local" {\n    path = "imgb.state.json"\n  }',
                                               "default": DEFAULT_SECRET})
    run = Run(d, tmp_path / "given.imgbvars.hcl")
    _exercise(run, d, monkeypatch)
    assert (d / "imgb.state.json.backup").exists()
    _check_store(d)
    _scan(run, d, {})


def test_secrets_never_leak_pg_backend(planted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       pg_dsn: str, pg_schema: str) -> None:  # noqa: F811
    import psycopg
    from psycopg import sql

    d = planted
    monkeypatch.setenv("IMGB_PG_CONN_STR", f"{pg_dsn} password={PG_PASSWORD}")  # trust auth ignores it
    (d / "main.imgb.hcl").write_text(CONFIG % {"backend": f'  backend "pg" {{\n    schema_name = "{pg_schema}"\n  }}',
                                               "default": DEFAULT_SECRET})
    run = Run(d, tmp_path / "given.imgbvars.hcl")
    _exercise(run, d, monkeypatch)
    # A wrong host: the connection error must not quote the connection string.
    monkeypatch.setenv("IMGB_PG_CONN_STR", f"host=127.0.0.1 port=1 user=postgres password={PG_PASSWORD} connect_timeout=2")
    out = run("plan", ok=(1,))
    assert "PostgreSQL" in out.err, out.err
    monkeypatch.setenv("IMGB_PG_CONN_STR", f"{pg_dsn} password={PG_PASSWORD}")
    dump: list[str] = []
    with psycopg.connect(pg_dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [pg_schema]).fetchall()]
        assert tables, "the pg backend wrote no tables"
        for t in tables:
            rows = conn.execute(sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(pg_schema), sql.Identifier(t))).fetchall()
            dump.append(f"{t}: {rows!r}")
    _check_store(d)
    _scan(run, d, {"pg tables": "\n".join(dump)})


def test_alicloud_credentials_and_secrets_never_leak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Against the API emulator, with the markers as the real access keys."""
    import shutil

    from tests.alicloud.emulator import Emulator

    root = Path(__file__).resolve().parents[2]
    alinux = "aliyun_3_x64_20G_alibase_20240528.vhd"
    d = tmp_path / "ali"
    shutil.copytree(root / "examples" / "alicloud", d)
    main = d / "main.imgb.hcl"
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET)
    monkeypatch.setenv("IMGB_ALICLOUD_POLL_SECONDS", "0.02")
    monkeypatch.setenv("IMGB_VAR_monitoring_token", ENV_SECRET)
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IMGB_DEBUG_LOG", str(d / "imgb-debug.log"))
    import alibabacloud_credentials.utils.auth_util as auth_util  # reads its environment once, at import

    monkeypatch.setattr(auth_util, "environment_access_key_id", AK_ID)
    monkeypatch.setattr(auth_util, "environment_access_key_secret", AK_SECRET)
    with Emulator(seed=5, phase_seconds=0.02, copy_seconds=0.02, access_keys={AK_ID: AK_SECRET}) as em:
        for region in ("cn-hangzhou", "cn-shanghai", "ap-southeast-1"):
            em.world.add_image(region, alinux, name=alinux, family="acs:aliyun_3_x64", owner_alias="system", created=1716800000.0)
        text = main.read_text().replace('  region = "cn-hangzhou"\n', f'  region   = "cn-hangzhou"\n  endpoint = "http://{em.endpoint}"\n', 1)
        main.write_text(text.replace("RUN systemctl enable nginx", "RUN systemctl enable nginx && echo ${var.monitoring_token}"))
        run = Run(d, tmp_path / "none.imgbvars.hcl")
        (tmp_path / "none.imgbvars.hcl").write_text("")
        flags = {"plan_flags": False}
        run("plan", "--out", str(d / "a.imgbplan"), **flags)  # type: ignore[arg-type]
        run("show", "--json", str(d / "a.imgbplan"), **flags)  # type: ignore[arg-type]
        run("apply", str(d / "a.imgbplan"), **flags)  # type: ignore[arg-type]
        for args in (("show",), ("state", "pull"), ("output", "--json"), ("plan", "--format", "json")):
            run(*args, **flags)  # type: ignore[arg-type]
        world = repr(vars(em.world))
        assert ENV_SECRET in world, "the sensitive value never reached the emulator: the scan proves nothing"
        # A provider block that tries to take a key from a variable is refused without quoting it.
        main.write_text(main.read_text().replace('  region   = "cn-hangzhou"\n', '  region   = "cn-hangzhou"\n  access_key = var.monitoring_token\n', 1))
        run("validate", ok=(1,), **flags)  # type: ignore[arg-type]
        main.write_text(main.read_text().replace("  access_key = var.monitoring_token\n", ""))

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"bug quoting {AK_ID} {AK_SECRET} {ENV_SECRET}")

        monkeypatch.setattr(planner_mod, "make_plan", broken)
        run("plan", bug=True, **flags)  # type: ignore[arg-type]
    leaks = []
    texts = {f"output of imgb {c}": t for c, t in run.outputs}
    for f in sorted(d.rglob("*")):
        if f.is_file() and f.name != "main.imgb.hcl":
            texts[str(f.relative_to(d))] = f.read_text(errors="replace")
    assert "imgb-debug.log" in texts and "imgb.state.json" in texts and "a.imgbplan" in texts
    for where, t in texts.items():
        for marker in (AK_ID, AK_SECRET, ENV_SECRET):
            if marker in t:
                leaks.append(f"{marker} in {where}")
    assert not leaks, leaks
    assert os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET") == AK_SECRET
