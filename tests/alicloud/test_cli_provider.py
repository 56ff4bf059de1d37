"""Issue 22's points through the CLI against the strict emulator: tag counts, resource groups,
encrypted copies, per-region endpoints, deleting with Force and snapshots, a start refused after an
earlier attempt took effect, builds outliving their credentials, and the credential sources."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.alicloud.emulator import ApiError, Emulator
from tests.alicloud.site import Site, add_example_images, cli_env

HOME, DEST = "cn-hangzhou", "cn-shanghai"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=5, phase_seconds=0.02, copy_seconds=0.03, image_seconds=0.05) as em:
        add_example_images(em)
        yield em


def small(tmp: Path, emulator: Emulator, *, provider: str = "", tags: int = 1, image_tags: int = 1,
          endpoint: str | None = None, distribute: bool = True) -> Site:
    """One component, one template, one copy and one share."""
    d = tmp / "small"
    d.mkdir(parents=True)
    ep = endpoint or f"http://{emulator.endpoint}"
    tag_map = ", ".join(f'"t{i}" = "v"' for i in range(tags))
    image_tag_map = ", ".join(f'"i{i}" = "v"' for i in range(image_tags))
    dist = """
distribution "d" {
  regions  = ["cn-shanghai"]
  accounts = ["2000000000000001"]
}
""" if distribute else ""
    (d / "main.imgb.hcl").write_text(f"""
provider "alicloud" {{
  region   = "cn-hangzhou"
  endpoint = "{ep}"
{provider}
}}

component "base" {{
  version = "1.0.0"
  content = "RUN echo base"
  tags    = {{ {tag_map} }}
}}

template "web" {{
  base_image = "ubuntu_22_04_x64_20G_alibase_20240520.vhd"
  build      = "COMPONENT ${{component.base.id}}"
  image_name = "web"
  tags       = {{ {tag_map} }}
  image_tags = {{ {image_tag_map} }}
  {"distribute = [distribution.d]" if distribute else ""}
}}
{dist}""")
    return Site(d, emulator, cli_env())


def test_the_most_tags_validate_accepts_work_end_to_end(tmp_path: Path, emulator: Emulator) -> None:
    site = small(tmp_path, emulator, tags=10, image_tags=7)  # 17 distinct on the built image
    r = site.run("validate")
    assert r.returncode == 0, r.stdout + r.stderr
    site.converge()
    image = next(i for i in emulator.world.custom_images() if i.copy_source is None)
    assert len(image.tags) == 20  # 17 of the user's and imgb's 3: exactly Alibaba's limit
    copy = next(i for i in emulator.world.custom_images() if i.copy_source)
    assert len(copy.tags) == 13  # the copy carries tags (not image_tags) and imgb's 3
    component = next(iter(emulator.world.components.values()))
    assert len(component.tags) == 12

    one_more = small(tmp_path / "more", emulator, tags=10, image_tags=8)
    r = one_more.run("validate")
    assert r.returncode == 1
    out = r.stdout + r.stderr
    assert "Too many tags" in out and "18 tags" in out and "imgb adds its own 3" in out and "21 tags" in out, out
    too_many = small(tmp_path / "tags", emulator, tags=18, image_tags=0)
    r = too_many.run("validate")
    assert r.returncode == 1 and "tags has 18 tags" in r.stdout + r.stderr, r.stdout + r.stderr


def test_resource_group_for_a_ram_user_without_the_default_one(tmp_path: Path, emulator: Emulator) -> None:
    emulator.world.default_group_forbidden = True
    site = small(tmp_path, emulator)
    r = site.run("apply", "-auto-approve")
    assert r.returncode == 1 and "Forbidden" in r.stdout + r.stderr and "resource_group_id" in r.stdout + r.stderr
    site.edit('  endpoint = "', '  resource_group_id = "rg-imgb"\n  endpoint = "')
    site.converge()
    world = emulator.world
    assert {c.resource_group for c in world.components.values()} == {"rg-imgb"}
    assert {p.resource_group for p in world.pipelines.values()} == {"rg-imgb"}
    assert {i.resource_group for i in world.custom_images()} == {"rg-imgb"}
    site.check_all()


def test_encrypted_copies_for_accounts_that_encrypt_by_default(tmp_path: Path, emulator: Emulator) -> None:
    emulator.world.default_encryption.add(DEST)
    site = small(tmp_path, emulator)
    r = site.run("apply", "-auto-approve")
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "InvalidEncrypted.NotMatchDiskDefaultEncryption" in out and "encrypted = true" in out
    # Encrypted with the service key, the copy could not be shared: refused at plan time.
    site.edit('  endpoint = "', '  encrypted = true\n  endpoint = "')
    r = site.run("plan")
    assert r.returncode == 1 and "An encrypted copy cannot be shared without a KMS key" in r.stdout + r.stderr
    site.edit("  encrypted = true\n", '  kms_key_ids = { "cn-shanghai" = "key-cn-shanghai" }\n')
    site.converge()
    copy = next(i for i in emulator.world.custom_images() if i.copy_source)
    assert copy.encrypted and copy.kms_key_id == "key-cn-shanghai" and copy.shared_with
    site.check_all()


def test_endpoints_per_region(tmp_path: Path, emulator: Emulator) -> None:
    """A VPC endpoint pattern: every request goes to its own region's host (the emulator plays every
    host through HTTP_PROXY and drops a request for another region, as a VPC endpoint would)."""
    site = small(tmp_path, emulator, endpoint="http://ecs-vpc.{region}.aliyuncs.com")
    site.env["HTTP_PROXY"] = f"http://{emulator.endpoint}"
    site.env["NO_PROXY"] = ""
    site.converge()
    site.check_all()
    hosts = {(e.host.split(":")[0], e.region) for e in emulator.log if e.region}
    assert {h for h, _ in hosts} >= {"ecs-vpc.cn-hangzhou.aliyuncs.com", "ecs-vpc.cn-shanghai.aliyuncs.com"}
    assert all(h == f"ecs-vpc.{region}.aliyuncs.com" for h, region in hosts), hosts
    assert not [e for e in emulator.log if e.fault == "wrong-endpoint"]

    # destroy deletes the copy's snapshot through the copy region's host (DeleteSnapshot has no RegionId).
    r = site.run("destroy", "-auto-approve")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert not emulator.world.snapshots

    # One region's endpoint for every region is refused before anything is sent.
    fixed = small(tmp_path / "fixed", emulator, endpoint="http://ecs-vpc.cn-hangzhou.aliyuncs.com")
    fixed.env["HTTP_PROXY"] = site.env["HTTP_PROXY"]
    r = fixed.run("plan")
    assert r.returncode == 1 and "The endpoint serves one region only" in r.stdout + r.stderr, r.stdout + r.stderr
    assert "ecs-vpc.{region}.aliyuncs.com" in r.stdout + r.stderr


def test_delete_with_force_and_snapshots(tmp_path: Path, emulator: Emulator) -> None:
    site = small(tmp_path, emulator)
    site.converge()
    image = next(i for i in emulator.world.custom_images() if i.copy_source is None)
    emulator.world.instances[image.id] = 1  # an instance was launched from it
    r = site.run("destroy", "-auto-approve")
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "ImageUsingByInstance" in out and "force_delete = true" in out, out
    assert (HOME, image.id) in emulator.world.images
    site.edit('  endpoint = "', '  force_delete = true\n  endpoint = "')
    r = site.run("destroy", "-auto-approve")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert not emulator.world.custom_images() and not emulator.world.snapshots


def test_keeping_snapshots_when_asked(tmp_path: Path, emulator: Emulator) -> None:
    site = small(tmp_path, emulator, provider="  delete_snapshots = false")
    site.converge()
    snapshots = set(emulator.world.snapshots)
    assert len(snapshots) == 2
    assert site.run("destroy", "-auto-approve").returncode == 0
    assert set(emulator.world.snapshots) == snapshots and not emulator.world.custom_images()


def test_snapshots_of_an_image_deleted_by_an_interrupted_delete_are_released(tmp_path: Path, emulator: Emulator) -> None:
    """DeleteImage took effect, DeleteSnapshot did not (a kill -9 between the two, retries
    exhausted, here a RAM user without ecs:DeleteSnapshot): the next apply finds the copy gone and
    deletes the snapshots state recorded for it before forgetting it. Nothing stays billed."""
    site = small(tmp_path, emulator)
    site.converge()
    copy = next(i for i in emulator.world.custom_images() if i.copy_source)
    emulator.inject("DeleteSnapshot", ApiError(403, "Forbidden.RAM", "User not authorized to operate on the specified resource."))
    r = site.run("destroy", "-auto-approve")
    assert r.returncode == 1 and "Forbidden.RAM" in r.stdout + r.stderr, r.stdout[-2000:] + r.stderr
    left = emulator.world.orphan_snapshots()
    assert [s.image_id for s in left] == [copy.id], left  # the copy went first; its snapshot stayed
    r = site.run("plan", "-destroy")
    assert "was deleted outside imgb" in r.stdout, r.stdout[-2000:]
    assert emulator.world.orphan_snapshots() == left, "a plan deleted something"
    r = site.run("destroy", "-auto-approve")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert not emulator.world.custom_images() and not emulator.world.snapshots, emulator.world.snapshots
    assert not site.state().resources


def test_a_removed_block_forgets_without_releasing(tmp_path: Path, emulator: Emulator) -> None:
    """A removed block with destroy = false forgets objects that live on: their snapshots stay."""
    site = small(tmp_path, emulator, distribute=False)
    site.converge()
    snapshots = set(emulator.world.snapshots)
    site.main.write_text(site.main.read_text().split('template "web"')[0] + """
removed {
  from = template.web
  lifecycle {
    destroy = false
  }
}
""")
    r = site.converge()
    assert {r.kind for r in site.state().resources} == {"component"}, r.stdout[-2000:]
    assert set(emulator.world.snapshots) == snapshots and emulator.world.custom_images()


def test_a_copy_refused_after_an_earlier_attempt_made_it_is_adopted(tmp_path: Path, emulator: Emulator) -> None:
    """CopyImage takes effect but its answer is lost; the retry is refused for good (a quota the first
    attempt used up): the copy made by the first attempt is found and recorded, never left behind."""
    emulator.inject("CopyImage", "drop-after", ApiError(403, "QuotaExceed.Image", "The number of images exceeds the limit (5)."))
    site = small(tmp_path, emulator)
    r = site.converge()
    assert "Apply complete" in r.stdout
    copies = [c for c in emulator.world.created if c[0] == "copy"]
    assert len(copies) == 1
    site.check_all()


@pytest.mark.slow
def test_a_build_outlives_a_fixed_sts_token_and_the_next_apply_adopts_it(tmp_path: Path) -> None:
    """A fixed STS token expires during the build: the operation stays recorded, and the next apply
    (with fresh credentials) adopts the running build instead of paying for a second one."""
    import threading
    import time

    keys = {"STS.shortlived": "secret-shortlived-01", "LTAI5tEmulatorTestKey01": "emulator-secret-0123456789abcdef"}
    with Emulator(seed=6, phase_seconds=1.5, copy_seconds=0.03, access_keys=keys,
                  security_tokens={"STS.shortlived": "token-shortlived"}) as em:
        add_example_images(em)
        site = small(tmp_path, em, distribute=False)
        site.env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.shortlived", "ALIBABA_CLOUD_ACCESS_KEY_SECRET":
                         "secret-shortlived-01", "ALIBABA_CLOUD_SECURITY_TOKEN": "token-shortlived"})

        def expire_once_building() -> None:
            while not [c for c in em.world.created if c[0] == "execution"]:
                time.sleep(0.01)
            em.expire("STS.shortlived")

        watcher = threading.Thread(target=expire_once_building, daemon=True)
        watcher.start()
        r = site.run("apply", "-auto-approve", timeout=600)
        watcher.join(timeout=5)
        assert r.returncode == 1 and "InvalidSecurityToken.Expired" in r.stdout + r.stderr, r.stdout[-3000:]
        assert len([c for c in em.world.created if c[0] == "execution"]) == 1
        assert site.state().operations, "the running build must stay recorded"
        del site.env["ALIBABA_CLOUD_SECURITY_TOKEN"]
        site.env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tEmulatorTestKey01",
                         "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "emulator-secret-0123456789abcdef"})
        r = site.converge()
        assert "interrupted apply left in progress" in r.stdout, r.stdout[-2000:]
        assert len([c for c in em.world.created if c[0] == "execution"]) == 1
        site.check_all()


def test_an_instance_role_refreshes_during_a_long_build(tmp_path: Path) -> None:
    """ecs_role_name: credentials from the instance metadata service live 1.5 s, the build takes
    longer; the credentials library renews them and the build is polled to the end."""
    with Emulator(seed=7, phase_seconds=0.8, copy_seconds=0.03, instance_roles=("imgb-builder",),
                  sts_seconds=1.5) as em:
        add_example_images(em)
        site = small(tmp_path, em, provider='  ecs_role_name = "imgb-builder"', distribute=False)
        for key in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
            site.env.pop(key, None)
        site.env["HTTP_PROXY"] = f"http://{em.endpoint}"  # 100.100.100.200 is the emulator's metadata service
        site.converge()
        fetched = [e for e in em.log if e.action == "MetadataCredentials"]
        assert len(fetched) >= 2, "the credentials were never renewed"
        assert not [e for e in em.log if e.code == "InvalidSecurityToken.Expired"]
        site.check_all()


def test_credential_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Which credentials provider each configuration builds (the Terraform provider's order and
    environment variables), and assume_role on top of it."""
    from alibabacloud_credentials.provider import (
        CLIProfileCredentialsProvider,
        DefaultCredentialsProvider,
        EcsRamRoleCredentialsProvider,
        RamRoleArnCredentialsProvider,
        StaticAKCredentialsProvider,
        StaticSTSCredentialsProvider,
    )

    from imgb.providers.alicloud.credentials import AssumeRole, credential_client, source_provider

    def src(**kw: Any) -> Any:
        return source_provider(env=kw.pop("env", {}), **kw)

    assert isinstance(src(ecs_role_name="r"), EcsRamRoleCredentialsProvider)
    assert isinstance(src(env={"ALICLOUD_ECS_ROLE_NAME": "r"}), EcsRamRoleCredentialsProvider)
    assert isinstance(src(profile="p"), CLIProfileCredentialsProvider)
    assert isinstance(src(env={"ALICLOUD_PROFILE": "p"}), CLIProfileCredentialsProvider)
    assert isinstance(src(env={"ALICLOUD_ACCESS_KEY": "ak", "ALICLOUD_SECRET_KEY": "sk"}), StaticAKCredentialsProvider)
    assert isinstance(src(env={"ALICLOUD_ACCESS_KEY": "ak", "ALICLOUD_SECRET_KEY": "sk",
                               "ALICLOUD_SECURITY_TOKEN": "t"}), StaticSTSCredentialsProvider)
    assert isinstance(src(), DefaultCredentialsProvider)

    role = AssumeRole.from_config({"role_arn": "acs:ram::1234567890123456:role/imgb", "external_id": "x-1",
                                   "duration": 7200}, {})
    assert role is not None and role.session_name == "imgb"
    client = credential_client(ecs_role_name="builder", assume_role=role)
    assumed = client.cloud_credential.provider
    assert isinstance(assumed, RamRoleArnCredentialsProvider)
    assert (assumed._role_arn, assumed._role_session_name, assumed._external_id, assumed._duration_seconds) == (
        "acs:ram::1234567890123456:role/imgb", "imgb", "x-1", 7200)
    assert isinstance(assumed._credentials_provider, EcsRamRoleCredentialsProvider)
    env_role = AssumeRole.from_config(None, {"ALICLOUD_ASSUME_ROLE_ARN": "acs:ram::1:role/r",
                                             "ALICLOUD_ASSUME_ROLE_SESSION_NAME": "ci"})
    assert env_role is not None and (env_role.role_arn, env_role.session_name) == ("acs:ram::1:role/r", "ci")
    assert AssumeRole.from_config(None, {}) is None


def test_assume_role_block_in_the_configuration(tmp_path: Path, emulator: Emulator) -> None:
    """The assume_role block validates and reaches the provider; without STS (the emulator has no
    HTTPS) the AssumeRole call fails, with a message and no traceback."""
    site = small(tmp_path, emulator, provider="""  assume_role {
    role_arn     = "acs:ram::1234567890123456:role/imgb"
    session_name = "imgb-ci"
    external_id  = "abc"
    duration     = 900
  }""")
    r = site.run("validate")
    assert r.returncode == 0, r.stdout + r.stderr
    bad = small(tmp_path / "bad", emulator, provider="""  assume_role {
    session_name = "imgb-ci"
    duration     = "soon"
  }""")
    r = bad.run("validate")
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "role_arn" in out and "duration" in out, out
