"""Bodies larger than the route allows are refused with 413 before anything reads them."""

import io

import pytest
from django.test import Client, RequestFactory, override_settings

MB = 1024 * 1024


class _WatchedStream(io.BytesIO):
    """A request body that remembers whether anything read it."""

    def __init__(self, data=b""):
        super().__init__(data)
        self.was_read = False
        self.bytes_read = 0

    def read(self, *args):
        self.was_read = True
        data = super().read(*args)
        self.bytes_read += len(data)
        return data

    def readline(self, *args):
        self.was_read = True
        data = super().readline(*args)
        self.bytes_read += len(data)
        return data


def _post(path, declared_length, content_type="multipart/form-data; boundary=x", body=b"--x--\r\n"):
    """A POST through the whole middleware stack, declaring a length its tiny body does not have."""
    stream = _WatchedStream(body)
    client = Client()
    response = client.generic(
        "POST",
        path,
        b"",
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(declared_length),
        **{"wsgi.input": stream},
    )
    return response, stream


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/verify/"])
def test_it_refuses_a_huge_declared_body_without_reading_it(path):
    response, stream = _post(path, 1024 * MB)
    assert response.status_code == 413
    assert "too large" in response.content.decode().lower()
    assert not stream.was_read


@pytest.mark.django_db
def test_an_api_upload_gets_problem_details():
    response, stream = _post("/api/v1/verify/", 1024 * MB)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 413 and "25 MB" in body["detail"]
    assert not stream.was_read


@pytest.mark.django_db
def test_a_form_page_allows_one_megabyte_and_an_upload_page_twenty_five():
    response, stream = _post("/accounts/login/", 2 * MB)
    assert response.status_code == 413 and not stream.was_read
    # Within its 25 MB the verification page reads the body (and finds no file in it).
    response, stream = _post("/verify/", 2 * MB)
    assert response.status_code != 413 and stream.was_read


@pytest.mark.django_db
def test_the_limits_are_settings(settings):
    settings.PRIAM_MAX_BODY_BYTES = 10
    response, stream = _post("/accounts/login/", 11)
    assert response.status_code == 413 and not stream.was_read
    settings.PRIAM_MAX_UPLOAD_PATHS = ["/accounts/login/"]
    settings.PRIAM_MAX_UPLOAD_BYTES = 20
    response, stream = _post("/accounts/login/", 11)
    assert response.status_code != 413


def _read_body(request):
    from django.http import HttpResponse

    return HttpResponse(f"read {len(request.body)}")


def test_a_body_without_a_length_is_cut_off_at_the_limit(settings):
    """A stream whose length was not declared (chunked) is read no further than the limit."""
    settings.PRIAM_MAX_BODY_BYTES = 100
    request = RequestFactory().post("/api/v1/evaluate/", b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    source = _WatchedStream(b"[" * 10_000)
    request._stream = source  # what a server that passes an unbounded stream through gives Django
    from assessments.middleware import BodySizeLimitMiddleware

    response = BodySizeLimitMiddleware(_read_body)(request)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert source.bytes_read <= 101


def test_a_body_within_the_limit_without_a_length_is_read(settings):
    settings.PRIAM_MAX_BODY_BYTES = 100
    request = RequestFactory().post("/accounts/login/", b"", content_type="text/plain")
    request.META.pop("CONTENT_LENGTH", None)
    request._stream = _WatchedStream(b"x" * 100)
    from assessments.middleware import BodySizeLimitMiddleware

    response = BodySizeLimitMiddleware(_read_body)(request)
    assert response.status_code == 200 and response.content == b"read 100"


def test_django_itself_caps_what_it_reads_at_the_upload_limit(settings):
    from django.conf import settings as live

    assert live.DATA_UPLOAD_MAX_MEMORY_SIZE == live.PRIAM_MAX_BODY_BYTES == 1 * MB
    assert live.PRIAM_MAX_UPLOAD_BYTES == 25 * MB
    assert live.MIDDLEWARE[0] == "assessments.middleware.BodySizeLimitMiddleware"


@override_settings(PRIAM_MAX_BODY_BYTES=1 * MB)
@pytest.mark.django_db
def test_a_normal_sign_in_still_works(demo):
    response = Client().post("/accounts/login/", {"username": "custodian", "password": "priam-demo"})
    assert response.status_code == 302
