"""One test per lifecycle defect (docs/lifecycle.md): the reproductions of issue 14, and every
defect the model-based suite (test_model.py) found, kept as explicit cases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgb.reconciler.cli import main
from imgb.state.manager import parse_state
from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator
from tests.lifecycle.clouds import EmulatedCloud, LocalCloud
from tests.lifecycle.invariants import Observation, check_step, complete, state_matches
from tests.lifecycle.site import Site, Spec, TemplateSpec, alicloud_flavor, local_flavor
from tests.local.conftest import needs_sandbox


@pytest.fixture
def local(tmp_path: Path) -> tuple[Site, LocalCloud]:
    site = Site(tmp_path / "site", local_flavor())
    return site, LocalCloud(site.d / ".imgb" / "cloud")


@pytest.fixture
def ali(tmp_path: Path) -> Iterator[tuple[Site, EmulatedCloud]]:
    with Emulator(seed=3, phase_seconds=0.01, copy_seconds=0.01) as em:
        env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_ACCESS_KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_ACCESS_KEY_SECRET,
               "IMGB_ALICLOUD_POLL_SECONDS": "0.01"}
        yield Site(tmp_path / "site", alicloud_flavor(em.endpoint), env), EmulatedCloud(em)


ISSUE_HCL = """
variable "v" { default = "a" }
provider "local" {
  root   = ".imgb/cloud"
  region = "local-1"
}
template "web" {
  base_image = "busybox"
  build      = "RUN echo ${var.v} > /V"
  retain     = 2
  distribute = [distribution.d]
}
distribution "d" {
  regions  = ["local-2"]
  accounts = ["100000000001"]
}
"""


@needs_sandbox
def test_issue_14_the_image_in_service_stays_through_a_failed_build(local: tuple[Site, LocalCloud]) -> None:
    site, cloud = local
    (site.d / "main.imgb.hcl").write_text(ISSUE_HCL)
    hashes = {}
    for v in ("a", "b", "a"):
        ran = site.imgb("apply", "--auto-approve", "-var", f"v={v}")
        assert ran.code == 0, ran.text
        hashes[v] = site.state().current["template.web"]
    assert "Builds: 0" in ran.out and "made current again" in ran.out  # the rollback to a builds nothing

    plan = site.imgb("plan", "-var", "v=c; false")
    # b goes only once c is in service; a, in service, is never planned for deletion.
    assert f"(retained {hashes['b'][:8]}) will be deleted" in plan.out
    assert f"(retained {hashes['a'][:8]})" not in plan.out
    before = Observation(site.state(), cloud.images())
    failed = site.imgb("apply", "--auto-approve", "-var", "v=c; false")
    assert failed.code == 1 and "CommandFailed" in failed.text
    after = Observation(site.state(), cloud.images())
    spec = Spec({"web": TemplateSpec(regions=("local-2",), accounts=("100000000001",))})
    assert check_step(before, after, spec, site.flavor) == []
    assert after.state.current["template.web"] == hashes["a"]  # never a hash that does not exist
    assert complete(after.images, hashes["a"], spec.templates["web"], site.flavor) == []
    assert {i.hash for i in after.images} == {hashes["a"], hashes["b"]}  # b is not touched either
    assert after.state.failures["template.web"].code == "CommandFailed"

    ok = site.imgb("apply", "--auto-approve", "-var", "v=d")
    assert ok.code == 0, ok.text
    st = site.state()
    kept = {i.hash for i in cloud.images()}
    assert kept == {st.current["template.web"], hashes["a"]}  # a was in service last: kept; b deleted
    assert "template.web" not in st.failures
    assert site.imgb("plan", "-var", "v=d", "--detailed-exitcode").code == 0


@needs_sandbox
def test_a_test_failure_is_not_retried_and_the_plan_says_what_to_do(local: tuple[Site, LocalCloud]) -> None:
    site, cloud = local
    good = TemplateSpec(regions=("local-2",), accounts=("100000000001",))
    site.write(Spec({"web": good}))
    assert site.imgb("apply", "--auto-approve").code == 0
    in_service = site.state().current["template.web"]
    site.write(Spec({"web": good.edit(content=1, fails="test")}))
    ran = site.imgb("apply", "--auto-approve")
    assert ran.code == 1 and "TEST_FAILED" in ran.text
    st = site.state()
    assert st.current["template.web"] == in_service
    [failed] = [r for r in st.resources if r.status == "test_failed"]

    plan = json.loads(site.imgb("plan", "--format", "json").out)
    # No copy loop, no blind rebuild: only the template the failed apply replaced is left to delete.
    changes = [(c["kind"], c["action"]) for c in plan["resource_changes"] if c["action"] != "no-op"]
    assert changes == [("template", "delete")]
    [warning] = plan["warnings"]  # said once
    assert warning["summary"] == "Image failed its tests"
    assert f"failed its tests at {failed.created_at}" in warning["detail"] and "--replace image.web" in warning["detail"]
    again = site.imgb("apply", "--auto-approve")
    assert again.code == 0 and "InvalidImage.NotAvailable" not in again.text
    quiet = site.imgb("plan", "--detailed-exitcode")
    assert quiet.code == 0 and quiet.text.count("Image failed its tests") == 1
    assert [i.region for i in cloud.images() if i.test_failed] == ["local-1"]  # kept, never copied
    logs = site.imgb("logs", "image.web")
    assert "whose tests failed" in logs.err and "test line" in logs.out

    # --replace rebuilds it as it is: the tests fail again, and nothing in service moves.
    replaced = site.imgb("apply", "--auto-approve", "--replace", "image.web")
    assert replaced.code == 1 and "TEST_FAILED" in replaced.text
    assert site.state().current["template.web"] == in_service
    # New content goes into service and the failed image goes with the superseded ones.
    site.write(Spec({"web": good.edit(content=2)}))
    assert site.imgb("apply", "--auto-approve").code == 0
    assert not [i for i in cloud.images() if i.test_failed]
    assert site.imgb("plan", "--detailed-exitcode").code == 0


@needs_sandbox
def test_state_show_logs_and_images_tell_in_service_from_retained(local: tuple[Site, LocalCloud]) -> None:
    site, _ = local
    spec = TemplateSpec(regions=("local-2",), accounts=("100000000001",))
    site.write(Spec({"web": spec}))
    assert site.imgb("apply", "--auto-approve").code == 0
    first = site.state().current["template.web"]
    site.write(Spec({"web": spec.edit(content=1)}))
    assert site.imgb("apply", "--auto-approve").code == 0
    st = site.state()
    current = st.current["template.web"]
    shown = site.imgb("state", "show", "image.web")
    assert shown.code == 0 and shown.out.count("# image.web") == 1 and current in shown.out and first not in shown.out
    retained = site.imgb("state", "show", f"image.web (retained {first[:8]})")
    assert retained.code == 0 and first in retained.out

    rows = json.loads(site.imgb("images", "--json").out)
    marked = {(r["region"], r["content_hash"]): r["in_service"] for r in rows if r.get("content_hash")}
    assert marked == {("local-1", current): "template.web", ("local-2", current): "template.web",
                      ("local-1", first): None, ("local-2", first): None}
    table = site.imgb("images").out
    assert "IN_SERVICE" in table.splitlines()[0]

    assert "in service" in site.imgb("logs", "image.web").err
    assert "retained" in site.imgb("logs", f"image.web (retained {first[:8]})").err

    # A failed build has no image, but its log is there.
    site.write(Spec({"web": spec.edit(content=2, fails="build")}))
    assert site.imgb("apply", "--auto-approve").code == 1
    logs = site.imgb("logs", "image.web")
    assert logs.code == 0 and "that failed at" in logs.err and "build FAILED" in logs.out


@needs_sandbox
def test_lowering_retain_removes_the_longest_out_of_service(local: tuple[Site, LocalCloud]) -> None:
    site, cloud = local
    spec = TemplateSpec(retain=3)
    hashes = []
    for content in (0, 1, 2, 0):  # 0 again: a rollback puts the oldest build back in service
        site.write(Spec({"web": spec.edit(content=content)}))
        assert site.imgb("apply", "--auto-approve").code == 0
        hashes.append(site.state().current["template.web"])
    site.write(Spec({"web": spec.edit(retain=2)}))
    ran = site.imgb("apply", "--auto-approve")
    assert ran.code == 0
    # In service: 0 (now), then 2, then 1: retain = 2 keeps 0 and 2 although 0 was built first.
    assert {i.hash for i in cloud.images()} == {hashes[0], hashes[2]}


def test_a_copy_that_fails_leaves_nothing_untracked_and_the_next_apply_distributes(ali: tuple[Site, EmulatedCloud]) -> None:
    site, cloud = ali
    spec = TemplateSpec(regions=(site.flavor.regions[0],), accounts=(site.flavor.accounts[0],))
    site.write(Spec({"web": spec}))
    assert site.imgb("apply", "--auto-approve").code == 0
    in_service = site.state().current["template.web"]
    site.write(Spec({"web": spec.edit(content=1)}))
    with cloud.fault("copy"):
        ran = site.imgb("apply", "--auto-approve")
    assert ran.code == 1 and "CopyFailed" in ran.text
    # The copy that ended CreateFailed was deleted, not left behind untracked.
    assert not [i for i in cloud.images() if not i.usable]
    assert site.state().current["template.web"] == in_service
    builds = cloud.builds()
    again = site.imgb("apply", "--auto-approve")
    assert again.code == 0 and "did not distribute it everywhere" in again.out
    assert cloud.builds() == builds  # distributed and made current, not built again
    assert state_matches(site.state(), cloud.inventory()) == []


@pytest.mark.parametrize("provider", ["local", "alicloud"])
def test_replace_keeps_the_image_in_service_current(provider: str, request: pytest.FixtureRequest) -> None:
    if provider == "local":
        from tests.local.conftest import SANDBOX_REASON

        if SANDBOX_REASON:
            pytest.skip(SANDBOX_REASON)
    site, cloud = request.getfixturevalue("local" if provider == "local" else "ali")
    site.write(Spec({"web": TemplateSpec(regions=(site.flavor.regions[0],), accounts=(site.flavor.accounts[0],))}))
    assert site.imgb("apply", "--auto-approve").code == 0
    h = site.state().current["template.web"]
    ran = site.imgb("apply", "--auto-approve", "--replace", "image.web")
    assert ran.code == 0, ran.text
    # The local provider's rebuild is byte for byte the same image (same id): nothing is deleted.
    st = site.state()
    assert st.current.get("template.web") == h
    assert state_matches(st, cloud.inventory()) == []
    assert site.imgb("plan", "--detailed-exitcode").code == 0


def test_an_object_found_gone_and_made_again_leaves_nothing_deposed(ali: tuple[Site, EmulatedCloud]) -> None:
    site, cloud = ali
    site.write(Spec({"web": TemplateSpec(accounts=(site.flavor.accounts[0],))}))
    assert site.imgb("apply", "--auto-approve").code == 0
    h = site.state().current["template.web"]
    [img] = [i for i in cloud.images() if i.hash == h]
    cloud.delete_image(img.region, img.id)  # and so its share
    ran = site.imgb("apply", "--auto-approve")
    assert ran.code == 0, ran.text
    st = site.state()
    assert not [r for r in st.resources if r.status == "deposed"]
    assert state_matches(st, cloud.inventory()) == []
    assert site.imgb("plan", "--detailed-exitcode").code == 0


def test_ctrl_c_outside_the_engine_exits_130(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import imgb.reconciler.cli_io as cli_io

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_io, "project", interrupted)  # Ctrl-C while the configuration loads
    assert main(["-C", str(tmp_path), "apply", "--auto-approve"]) == 130  # was 0: a CI job saw success
    assert "Interrupted" in capsys.readouterr().err


def test_a_version_1_state_is_migrated() -> None:
    image = {"kind": "image", "provider": "local", "template": "template.web", "status": "ok"}
    doc = {
        "version": 1, "serial": 3, "lineage": "x",
        "resources": [
            {**image, "address": "image.web", "id": "m-a", "image_hash": "aaaa", "created_at": "2026-01-01T00:00:00Z"},
            {**image, "address": "image.web", "id": "m-b", "image_hash": "bbbb", "created_at": "2026-01-02T00:00:00Z"},
            {**image, "address": "image.web", "id": "m-c", "image_hash": "cccc", "created_at": "2026-01-03T00:00:00Z",
             "status": "test_failed"},
            {**image, "address": "image.api", "id": "m-d", "image_hash": "dddd", "created_at": "2026-01-01T00:00:00Z",
             "template": "template.api"},
        ],
        # Version 1 made an image that failed its tests current, and kept a hash whose build failed.
        "current": {"template.web": "cccc", "template.api": "eeee"},
    }
    st = parse_state(json.dumps(doc))
    assert st.version == 2
    assert st.current == {"template.web": "bbbb", "template.api": "dddd"}
    assert [(p.hash, p.until) for p in st.in_service["template.web"]] == [("aaaa", "2026-01-02T00:00:00Z"), ("bbbb", None)]


@needs_sandbox
def test_a_moved_template_keeps_its_retained_images_and_their_history(local: tuple[Site, LocalCloud]) -> None:
    site, cloud = local
    for content in (0, 1):
        site.write(Spec({"web": TemplateSpec(content=content, accounts=(site.flavor.accounts[0],))}))
        assert site.imgb("apply", "--auto-approve").code == 0
    images = {i.id for i in cloud.images()}
    periods = [p.hash for p in site.state().in_service["template.web"]]
    hcl = (site.d / "main.imgb.hcl").read_text().replace('template "web"', 'template "www"')
    hcl = hcl.replace('distribution "web"', 'distribution "www"').replace("distribution.web", "distribution.www")
    (site.d / "main.imgb.hcl").write_text(hcl + '\nmoved {\n  from = template.web\n  to   = template.www\n}\n')
    plan = json.loads(site.imgb("plan", "--format", "json").out)
    assert not [c["address"] for c in plan["resource_changes"] if c["action"] == "delete" and c["kind"] != "template"]
    assert site.imgb("apply", "--auto-approve").code == 0
    st = site.state()
    assert [p.hash for p in st.in_service["template.www"]] == periods and "template.web" not in st.in_service
    assert {i.id for i in cloud.images()} == images  # nothing rebuilt, nothing pruned
    assert site.imgb("plan", "--detailed-exitcode").code == 0


def test_a_target_added_while_the_desired_image_failed_its_tests_gets_the_image_in_service(
    ali: tuple[Site, EmulatedCloud],
) -> None:
    """Found by the model-based suite: the image in service was not copied to a region (nor shared
    with an account) added after the desired image failed its tests, although apply succeeded."""
    site, cloud = ali
    spec = TemplateSpec(accounts=(site.flavor.accounts[0],))
    site.write(Spec({"web": spec}))
    assert site.imgb("apply", "--auto-approve").code == 0
    in_service = site.state().current["template.web"]
    site.write(Spec({"web": spec.edit(content=1, fails="test")}))
    assert site.imgb("apply", "--auto-approve").code == 1
    wider = spec.edit(content=1, fails="test", regions=(site.flavor.regions[0],), accounts=site.flavor.accounts[:2])
    site.write(Spec({"web": wider}))
    ran = site.imgb("apply", "--auto-approve")
    assert ran.code == 0, ran.text
    st = site.state()
    assert st.current["template.web"] == in_service
    assert complete(cloud.images(), in_service, wider, site.flavor) == []  # copied and shared everywhere asked
    assert not [i for i in cloud.images() if i.test_failed and (i.shared or i.region != site.flavor.home)]
    assert state_matches(st, cloud.inventory()) == []
    assert site.imgb("plan", "--detailed-exitcode").code == 0



def test_a_deposed_template_found_gone_takes_nothing_out_of_service() -> None:
    """CI's test_kill_apply_at_random_points[quickstart-local]: a kill after the new image went into
    service and the old template was deleted, before state forgot the old (deposed) template. The
    next apply forgot the deposed template.web record and, with it, the template's image in service,
    so the plan after that apply wanted a rollback to the image in service."""
    from imgb.addresses import Kind
    from imgb.reconciler.plan import Action, Change, Plan
    from imgb.reconciler.refactor import apply_refactoring
    from imgb.state.model import DEPOSED, ResourceState, State, deposed_key
    from tests.fakes import MemorySession

    st = State(resources=[
        ResourceState(address="template.web", kind=Kind.TEMPLATE, provider="local", id="ip-new"),
        ResourceState(address="template.web", kind=Kind.TEMPLATE, provider="local", id="ip-old",
                      image_hash=deposed_key("ip-old"), status=DEPOSED),
    ])
    st.promote("template.web", "aaaa", "2026-01-01T00:00:00Z")
    session = MemorySession(st)
    gone = Change(address="template.web", kind=Kind.TEMPLATE, action=Action.FORGET, provider="local",
                  image_hash=deposed_key("ip-old"), reasons=["deleted outside imgb"])
    apply_refactoring(session, Plan(changes=[gone]))
    assert session.state.current == {"template.web": "aaaa"}
    assert session.state.in_service["template.web"][-1].until is None
    # A template forgotten for good (a removed block, or gone and no longer configured) is out of service.
    apply_refactoring(session, Plan(changes=[gone.model_copy(update={"image_hash": None})]))
    assert "template.web" not in session.state.current


def test_replacing_a_copy_keeps_a_copy_in_service(ali: tuple[Site, EmulatedCloud]) -> None:
    """`--replace copy.x` on alicloud: CopyImage names a copy after its source image, and names are
    unique in a region, so the provider finds the copy in service again. Seen once in a long run: the
    copy was then unshared and deleted. It must be kept, shared, and not reported as deleted."""
    site, cloud = ali
    region, account = site.flavor.regions[0], site.flavor.accounts[0]
    site.write(Spec({"web": TemplateSpec(regions=(region,), accounts=(account,))}))
    assert site.imgb("apply", "--auto-approve").code == 0
    h = site.state().current["template.web"]
    [old] = [i for i in cloud.images() if i.hash == h and i.region == region]
    ran = site.imgb("apply", "--auto-approve", "--replace", f'copy.web["{region}"]')
    assert ran.code == 0, ran.text
    assert [(i.id, i.shared) for i in cloud.images() if i.hash == h and i.region == region] == [(old.id, frozenset({account}))]
    assert f"the replacement is the very same object, {old.id}: kept" in ran.out
    assert "Deleted" not in ran.out and "Unshared" not in ran.out, ran.out
    assert state_matches(site.state(), cloud.inventory()) == []
    assert site.imgb("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("replace", ["image.web", 'copy.web["cn-shanghai"]'])
def test_a_kill_at_any_write_of_a_replacement_leaves_every_share_on_a_live_copy(
        ali: tuple[Site, EmulatedCloud], replace: str) -> None:
    """The long model run: a kill after a copy was replaced (the old one deposed) and before its
    share was made again left the share recorded on the deposed copy, whose deletion then took the
    share away while state kept it. Killed at each durable write in turn, the next apply converges."""
    site, cloud = ali
    region, account = site.flavor.regions[0], site.flavor.accounts[0]
    assert region == "cn-shanghai"
    spec = Spec({"web": TemplateSpec(regions=(region,), accounts=(account,))})
    site.write(spec)
    assert site.imgb("apply", "--auto-approve").code == 0
    at, killed = 1, 0
    while True:
        ran = site.child("apply", "--auto-approve", "--replace", replace, crash_at=at)
        if ran.code >= 0:  # the apply outlived its writes: every write was a kill point
            assert ran.code == 0, ran.text
            break
        killed += 1
        again = site.imgb("apply", "--auto-approve")
        assert again.code == 0, (at, again.text)
        st = site.state()
        assert state_matches(st, cloud.inventory()) == [], at
        h = st.current["template.web"]
        assert complete(cloud.images(), h, spec.templates["web"], site.flavor) == [], at
        assert site.imgb("plan", "--detailed-exitcode").code == 0, at
        at += 1
    assert killed >= (10 if replace == "image.web" else 5)  # each write of the replacement was a kill point
