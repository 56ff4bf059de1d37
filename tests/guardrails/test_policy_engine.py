"""imgb policy test as opa test runs, on the policies imgb init writes, and the rego-cpp workarounds."""

from __future__ import annotations

from pathlib import Path

from imgb.reconciler.cli import main
from imgb.reconciler.guardrails.policy_tests import run
from imgb.reconciler.guardrails.rego import Module, RegoError, move_input


def test_init_policies_pass_their_tests_and_a_broken_policy_fails(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["-C", str(tmp_path), "init", "repo"]) == 0
    repo = tmp_path / "repo"
    capsys.readouterr()
    assert main(["-C", str(repo), "policy", "test", "-v"]) == 0
    out = capsys.readouterr().out
    assert "data.imgb.sharing_test.test_unknown_account_is_denied: PASS" in out and out.endswith("PASS: 6/6\n")
    sharing = repo / "policy" / "sharing.rego"
    sharing.write_text(sharing.read_text().replace("not change.after.account in allowed_accounts", "false"))
    assert main(["-C", str(repo), "policy", "test"]) == 1
    out = capsys.readouterr().out
    assert "data.imgb.sharing_test.test_unknown_account_is_denied: FAIL" in out and "FAIL: 1/6" in out


def test_a_rule_as_with_value_is_refused_not_misjudged() -> None:
    policy = Module("p.rego", "package p\nimport rego.v1\ndeny contains x if { some x in input.xs; x > 1 }\n")
    test = Module("p_test.rego", 'package p_test\nimport rego.v1\nmock := {"xs": [2]}\ntest_a if {\n  count(data.p.deny) == 1 with input as mock\n}\n')
    try:
        run([policy, test])
    except RegoError as e:
        assert e.filename == "p_test.rego" and e.line == 5 and "bind it to a local variable" in e.message
    else:
        raise AssertionError("with input as <rule> must be refused")
    local = Module("p_test.rego", 'package p_test\nimport rego.v1\ntest_a if {\n  plan := {"xs": [2]}\n  count(data.p.deny) == 1 with input as plan\n}\n')
    assert [o.status for o in run([policy, local])] == ["PASS"]


def test_move_input_leaves_strings_comments_and_fields_alone() -> None:
    text = 'x := input.a # input here\ny := "input" \nz := `input`\nw := q.input\n'
    assert move_input(text) == 'x := data.imgb_test_input.a # input here\ny := "input" \nz := `input`\nw := q.input\n'
