"""A framework version's guide stored beside it (FrameworkGuide): loading it never touches the
version or its hash, a changed text is the next guide number, and the glossary page shows
the latest guide's terms to anyone."""

import re
import shutil

import pytest
from django.test import Client
from django.urls import reverse

from assessments import engine
from assessments.models import AuditEvent, FrameworkGuide, FrameworkVersion
from assessments.selectors.frameworks import engine_framework, engine_guide, framework_guide
from assessments.services.frameworks import framework_load
from tests.conftest import FRAMEWORK_V1, FRAMEWORK_V2

pytestmark = pytest.mark.django_db
V1_SHA256 = "df001a4a2d4d8f2d8e4b005b5db3b9089092243bb57124496de9e79a6b9e3eb2"  # as tests/engine/test_versions.py


def _copy(tmp_path, replace=None, append=""):
    folder = tmp_path / "v1"
    shutil.copytree(FRAMEWORK_V1, folder)
    guide = folder / "guide" / "guide.yaml"
    text = guide.read_text()
    if replace:
        assert text.count(replace[0]) == 1
        text = text.replace(*replace)
    guide.write_text(text + append)
    return folder


def _guide_events():
    return list(AuditEvent.objects.filter(action="framework.guide_loaded").order_by("sequence"))


def test_loading_a_version_stores_its_guide_and_again_is_a_no_op(framework_v1):
    guide = framework_guide(framework_v1)
    assert guide is not None and guide.number == 1
    assert guide.sha256 == engine.load_guide_dir(engine.load_framework_dir(FRAMEWORK_V1), FRAMEWORK_V1).sha256
    assert guide.text.startswith("# Five Safes framework, version 1")
    framework_load(path=FRAMEWORK_V1)
    assert FrameworkGuide.objects.count() == 1 and len(_guide_events()) == 1
    event = _guide_events()[0]
    assert (event.object_type, event.object_id) == ("frameworkguide", str(guide.pk))
    assert event.data["framework_sha256"] == framework_v1.sha256 == V1_SHA256
    assert (event.data["number"], event.data["replaces"]) == (1, None)


def test_a_changed_text_is_guide_2_and_the_version_and_its_hash_stay(framework_v1, tmp_path):
    folder = _copy(tmp_path, replace=("The project is described.", "The project is described in plain words."))
    version, created = framework_load(path=folder)
    assert (version, created) == (framework_v1, False)
    assert FrameworkVersion.objects.get().sha256 == V1_SHA256
    latest = framework_guide(framework_v1)
    assert latest.number == 2
    texts = {c["id"]: c["text"] for c in latest.data["controls"]}
    assert texts["projects-1-description"] == "The project is described in plain words."
    assert [g.number for g in FrameworkGuide.objects.filter(framework_version=framework_v1)] == [2, 1]
    event = _guide_events()[-1]
    assert (event.data["number"], event.data["replaces"], event.data["sha256"]) == (2, 1, latest.sha256)
    # the engine guide built from storage is the one loaded, checked against its framework
    assert engine_guide(framework_v1).sha256 == latest.sha256
    assert engine_guide(framework_v1, FrameworkGuide.objects.get(number=1)).sha256 != latest.sha256


def test_a_comment_alone_is_no_new_guide(framework_v1, tmp_path):
    framework_load(path=_copy(tmp_path, append="# a note for the next editor\n"))
    assert framework_guide(framework_v1).number == 1 and len(_guide_events()) == 1


def test_a_bad_guide_refuses_the_whole_load(db, tmp_path):
    folder = _copy(tmp_path, replace=("in_place: {eq: [SE3, true]}", "in_place: {eq: [SE33, true]}"))
    with pytest.raises(engine.FrameworkError) as error:
        framework_load(path=folder)
    assert "guide/guide.yaml" in str(error.value) and "settings-3-mfa-audit" in str(error.value)
    assert not FrameworkVersion.objects.exists() and not FrameworkGuide.objects.exists()


def test_a_version_without_a_guide_loads_as_before(db, tmp_path):
    folder = _copy(tmp_path)
    shutil.rmtree(folder / "guide")
    version, created = framework_load(path=folder)
    assert created and version.sha256 == V1_SHA256 and framework_guide(version) is None


def test_a_stored_guide_never_changes(framework_v1):
    guide = framework_guide(framework_v1)
    guide.text = "edited"
    with pytest.raises(PermissionError):
        guide.save()
    with pytest.raises(PermissionError):
        guide.delete()


def test_the_stored_guide_gives_the_controls_of_a_stored_result(framework_v1):
    import json
    from pathlib import Path

    doc = json.loads(Path("fixtures/examples/E4b.json").read_text())
    framework = engine_framework(framework_v1)
    sections = engine.controls_for(framework, engine_guide(framework_v1), engine.evaluate(framework, doc), doc)
    missing = [c["id"] for s in sections for c in s["controls"] if c["in_place"] is False]
    assert missing == ["people-1-terms", "people-2-user-agreement"]  # PE7 false, as in the engine test


# ---------------------------------------------------------------------- the glossary page


def _page(client=None):
    response = (client or Client()).get(reverse("glossary"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_glossary_lists_every_term_alphabetically_with_anchors(framework_v1):
    html = _page()  # signed out: the page is public
    data = framework_guide(framework_v1).data
    ids = re.findall(r'<dt id="term-([a-z0-9-]+)"', html)
    assert sorted(ids) == sorted(t["id"] for t in data["glossary"])
    names = {t["id"]: t["term"] for t in data["glossary"]}
    shown = [names[i].casefold() for i in ids]
    assert shown == sorted(shown)
    assert 'id="term-motivated-intruder"' in html and 'id="term-k-anonymity"' in html
    assert 'href="#term-quasi-identifier"' in html  # see-also links resolve on the page
    assert "<dl" in html and "<h1" in html
    assert 'href="https://github.com/AI-SDC/ACRO"' in html
    assert f'href="{reverse("glossary")}"' in html  # the footer link


def test_the_glossary_follows_the_default_version(framework_v2):
    html = _page()
    assert 'id="term-likely-attacker"' in html and "guide 1" in html


def test_the_glossary_for_a_signed_in_user_and_before_anything_is_loaded(db, login, nobody):
    assert "No glossary has been loaded yet" in _page()
    framework_load(path=FRAMEWORK_V1)
    assert 'id="term-tre"' in _page(login(nobody))
    framework_load(path=FRAMEWORK_V2)
    assert FrameworkGuide.objects.count() == 2


def test_help_texts_link_their_glossary_terms_once_and_stay_escaped(framework_v1, demo, client):
    from assessments.engine import load_framework_dir
    from assessments.engine.guide import load_guide_dir
    from assessments.glossary_links import link_terms

    framework = load_framework_dir("fixtures/frameworks/five-safes/v1")
    guide = load_guide_dir(framework, "fixtures/frameworks/five-safes/v1")
    html = link_terms("Choose every quasi-identifier present; quasi-identifiers <b> & more", guide, "/glossary/")
    assert html.count('href="/glossary/#term-quasi-identifier"') == 1
    assert "&lt;b&gt; &amp; more" in html
    assert link_terms("<i>", None, "/glossary/") == "&lt;i&gt;"
