"""A real SMTP server on 127.0.0.1 (aiosmtpd) that PRIAM's SMTP backend sends to, and what arrived."""

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """What the server accepted: each message with its envelope recipients."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append({"to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m["message"] for m in self.messages if address in m["to"]]

    @staticmethod
    def body(message):
        return message.get_body(preferencelist=("plain",)).get_content()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.PRIAM_INSTANCE_NAME = "Test TRE"
    settings.PRIAM_PUBLIC_URL = "https://priam.example.org"
    yield inbox
    controller.stop()
