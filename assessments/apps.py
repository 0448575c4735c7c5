from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "PRIAM"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signals  # noqa: F401  (connects the audit receivers)
        from .api import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from .metrics import connect_receivers

        connect_receivers()  # counts audit events and records for /metrics
