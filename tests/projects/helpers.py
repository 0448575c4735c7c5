"""Drive the questionnaire through its web forms, as a browser would post them."""

import re

from django.urls import reverse

from assessments.models import Project
from assessments.selectors_frameworks import engine_framework


def form_value(answer):
    if answer is True:
        return "true"
    if answer is False:
        return "false"
    if isinstance(answer, int):
        return str(answer)
    return answer


def section_url(project, safe, assessment=None):
    if assessment is None:
        return reverse("project_section", args=[project.pk, safe])
    return reverse("assessment_section", args=[project.pk, assessment.pk, safe])


def base_version(client, url):
    html = client.get(url).content.decode()
    return int(re.search(r'name="base_version" value="(\d+)"', html).group(1))


def post_section(client, project, safe, answers, assessment=None, version=None, button="continue"):
    url = section_url(project, safe, assessment)
    data = {"base_version": base_version(client, url) if version is None else version, button: "1"}
    for qid, answer in answers.items():
        if answer is not None:
            data[qid] = form_value(answer)
    return client.post(url, data)


def fill_project_answers(client, project, answers):
    framework = engine_framework(project.framework_version)
    for safe in framework.safes:
        questions = framework.section(safe, "project")
        if questions:
            response = post_section(client, project, safe, {q.id: answers.get(q.id) for q in questions})
            assert response.status_code == 302, response.content.decode()[:3000]


def fill_custodian_answers(client, project, assessment, answers):
    framework = engine_framework(Project.objects.get(pk=project.pk).framework_version)
    for safe in framework.safes:
        questions = framework.section(safe, "custodian")
        if questions:
            response = post_section(
                client, project, safe, {q.id: answers.get(q.id) for q in questions}, assessment=assessment
            )
            assert response.status_code == 302, response.content.decode()[:3000]


def confirm(client, project, assessment):
    """Confirm the project answers as a browser does: with the version shown on the page."""
    page = client.get(reverse("assessment_detail", args=[project.pk, assessment.pk])).content.decode()
    found = re.search(r'name="answers_version" value="(\d+)"', page)
    version = found.group(1) if found else ""
    return client.post(reverse("assessment_confirm", args=[project.pk, assessment.pk]), {"answers_version": version})
