"""`load_framework` and `assess`: the command-line face of the rules engine."""

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from assessments import engine
from assessments.models import AuditEvent, FrameworkVersion
from tests.conftest import FRAMEWORK_V1

pytestmark = pytest.mark.django_db
EXAMPLES = Path("fixtures/examples")


def assess(*args, stdin=None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        call_command("assess", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, out.getvalue(), err.getvalue()


def test_load_framework_stores_an_immutable_version_and_audits_it(capsys):
    call_command("load_framework", FRAMEWORK_V1)
    version = FrameworkVersion.objects.get()
    assert (version.framework_id, version.version) == ("five-safes", "1")
    assert version.sha256 == engine.load_framework_dir(FRAMEWORK_V1).sha256
    event = AuditEvent.objects.get(action="framework.loaded")
    assert event.data["sha256"] == version.sha256
    assert f"Loaded: five-safes@1 sha256 {version.sha256}" in capsys.readouterr().out


def test_loading_the_same_content_again_changes_nothing(framework_v1, capsys):
    call_command("load_framework", FRAMEWORK_V1)
    assert FrameworkVersion.objects.count() == 1
    assert AuditEvent.objects.filter(action="framework.loaded").count() == 1
    assert "Already loaded (identical)" in capsys.readouterr().out


def test_loading_the_same_version_with_different_content_is_refused(framework_v1, tmp_path):
    changed = tmp_path / "v1"
    shutil.copytree(FRAMEWORK_V1, changed)
    rules = changed / "rules.yaml"
    rules.write_text(rules.read_text().replace("Non-pseudonymised personal data", "Changed wording"))
    with pytest.raises(CommandError, match="already loaded with different content"):
        call_command("load_framework", str(changed))
    assert FrameworkVersion.objects.get().sha256 == framework_v1.sha256


def test_a_bad_framework_file_is_refused_naming_file_and_rule(tmp_path):
    broken = tmp_path / "v1"
    shutil.copytree(FRAMEWORK_V1, broken)
    rules = broken / "rules.yaml"
    rules.write_text(rules.read_text().replace("DA5", "DA55", 1))
    with pytest.raises(CommandError) as error:
        call_command("load_framework", str(broken))
    assert "rules.yaml" in str(error.value) and "DA55" in str(error.value)
    assert not FrameworkVersion.objects.exists()


def test_a_loaded_version_cannot_be_edited(framework_v1):
    framework_v1.title = "edited"
    with pytest.raises(PermissionError):
        framework_v1.save()


@pytest.mark.parametrize("name", ["E1", "E2", "E4", "E4b"])
def test_assess_gives_the_spec_results_for_every_worked_example(framework_v1, name):
    code, out, err = assess(str(EXAMPLES / f"{name}.json"))
    assert (code, err) == (0, "")
    result = json.loads(out)
    expected = json.loads((EXAMPLES / f"{name}.expected.json").read_text())
    assert result["tiers"] == expected["tiers"]
    assert result["overall"] == expected["overall"]
    assert result["outcome"] == expected["outcome"]
    assert result["fired"] == expected["fired"]
    assert [(c["rule"], c["blocking"]) for c in result["conditions"]] == [
        (c["rule"], c["blocking"]) for c in expected["conditions"]
    ]
    assert result["framework"] == {"id": "five-safes", "version": "1", "sha256": framework_v1.sha256}


def test_assess_output_is_byte_identical_across_runs(framework_v1):
    first = assess(str(EXAMPLES / "E2.json"))[1]
    assert assess(str(EXAMPLES / "E2.json"))[1] == first


def test_assess_reads_standard_input(framework_v1, monkeypatch):
    text = (EXAMPLES / "E4.json").read_text()
    code, out, _ = assess("-", stdin=text, monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["overall"] == 2


def test_assess_picks_a_framework_version(framework_v1):
    code, out, _ = assess(str(EXAMPLES / "E1.json"), "--framework", "five-safes@1")
    assert code == 0 and json.loads(out)["framework"]["version"] == "1"
    with pytest.raises(CommandError, match="No framework 'five-safes@9' is loaded"):
        assess(str(EXAMPLES / "E1.json"), "--framework", "five-safes@9")


def test_assess_without_a_loaded_framework_says_how_to_load_one(db):
    with pytest.raises(CommandError, match="load_framework"):
        assess(str(EXAMPLES / "E1.json"))


def _document(edit):
    document = json.loads((EXAMPLES / "E2.json").read_text())
    edit(document)
    return json.dumps(document)


BAD_DOCUMENTS = {
    "missing answer": (lambda d: d["answers"].pop("PE4"), "project: PE4: missing answer"),
    "unknown question": (lambda d: d["answers"].update(PE99=1), "project: PE99:"),
    "option not allowed": (
        lambda d: d["custodians"][0]["answers"].update(DA1="somewhat"),
        'custodian "GP records": DA1: "somewhat" is not an option',
    ),
    "wrong type": (lambda d: d["answers"].update(PE4="five"), "project: PE4:"),
    "bool given as int": (lambda d: d["answers"].update(PE4=True), "project: PE4:"),
    "none combined": (
        lambda d: d["custodians"][1]["answers"].update(DA3=["none", "health"]),
        'custodian "Met and pollution grid": DA3:',
    ),
    "custodian question at project level": (lambda d: d["answers"].update(DA1="pseudonymised"), "project: DA1:"),
    "project question at custodian level": (
        lambda d: d["custodians"][2]["answers"].update(PE1="none"),
        'custodian "Census and education": PE1:',
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_DOCUMENTS))
def test_assess_rejects_a_bad_document_with_one_line_per_problem(framework_v1, tmp_path, kind):
    edit, expected_line_start = BAD_DOCUMENTS[kind]
    path = tmp_path / "doc.json"
    path.write_text(_document(edit))
    code, out, err = assess(str(path))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(expected_line_start), lines[0]


def test_assess_reports_every_problem_not_just_the_first(framework_v1, tmp_path):
    path = tmp_path / "doc.json"
    path.write_text(_document(lambda d: (d["answers"].pop("PE4"), d["answers"].update(PE1="x"))))
    code, _, err = assess(str(path))
    assert code == 2
    assert sorted(line.split(":")[1].strip() for line in err.strip().splitlines()) == ["PE1", "PE4"]


def test_assess_rejects_text_that_is_not_json(framework_v1, tmp_path):
    path = tmp_path / "doc.json"
    path.write_text("{not json")
    code, out, err = assess(str(path))
    assert code == 2 and out == ""
    assert err.startswith("not JSON: ") and "line 1" in err


def test_assess_names_an_unreadable_file(framework_v1, tmp_path):
    code, _, err = assess(str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err
