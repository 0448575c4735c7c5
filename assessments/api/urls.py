from django.urls import path

from . import comments, criteria, evidence, exchange_schemas, frameworks, obligations, signoffs, views
from .crates import RecordCrateView
from .notifications import NotificationList, NotificationRead
from .received import ReceivedDetail, ReceivedList
from .register import ProjectPublication, RegisterList

urlpatterns = [
    path("evaluate/", views.EvaluateView.as_view(), name="api-evaluate"),
    path("schemas/<slug:name>.json", exchange_schemas.ExchangeSchema.as_view(), name="api-exchange-schema"),
    path("notifications/", NotificationList.as_view(), name="api-notifications"),
    path("notifications/<int:pk>/read/", NotificationRead.as_view(), name="api-notification-read"),
    path("frameworks/", views.FrameworkList.as_view(), name="api-frameworks"),
    path("frameworks/<str:spec>/", views.FrameworkDetail.as_view(), name="api-framework"),
    path("projects/", views.ProjectList.as_view(), name="api-projects"),
    path("projects/<int:pk>/", views.ProjectDetail.as_view(), name="api-project"),
    path("projects/<int:pk>/answers/", views.ProjectAnswers.as_view(), name="api-project-answers"),
    path("projects/<int:pk>/framework/", frameworks.ProjectFramework.as_view(), name="api-project-framework"),
    path(
        "projects/<int:pk>/framework/<str:spec>/",
        frameworks.ProjectFrameworkChange.as_view(),
        name="api-project-framework-change",
    ),
    path("projects/<int:pk>/risk-profile/", views.RiskProfile.as_view(), name="api-risk-profile"),
    path("projects/<int:pk>/sign-offs/", signoffs.ProjectSignOffs.as_view(), name="api-project-sign-offs"),
    path("projects/<int:pk>/comments/", comments.ProjectComments.as_view(), name="api-project-comments"),
    path("sign-offs/<int:pk>/", signoffs.SignOffDetail.as_view(), name="api-sign-off"),
    path("projects/<int:pk>/assessments/<int:aid>/", views.AssessmentDetail.as_view(), name="api-assessment"),
    path(
        "projects/<int:pk>/assessments/<int:aid>/answers/",
        views.AssessmentAnswers.as_view(),
        name="api-assessment-answers",
    ),
    path(
        "projects/<int:pk>/assessments/<int:aid>/submit/",
        views.AssessmentSubmit.as_view(),
        name="api-assessment-submit",
    ),
    path(
        "projects/<int:pk>/assessments/<int:aid>/confirm/",
        views.AssessmentConfirm.as_view(),
        name="api-assessment-confirm",
    ),
    path("obligations/", obligations.ObligationList.as_view(), name="api-obligations"),
    path("obligations/<int:pk>/", obligations.ObligationDetail.as_view(), name="api-obligation"),
    path("records/", views.RecordList.as_view(), name="api-records"),
    path("records/<str:number>/", views.RecordDetail.as_view(), name="api-record"),
    path("records/<str:number>/pdf/", views.RecordPdfView.as_view(), name="api-record-pdf"),
    path("records/<str:number>/crate/", RecordCrateView.as_view(), name="api-record-crate"),
    path("projects/<int:pk>/evidence/", evidence.ProjectEvidence.as_view(), name="api-project-evidence"),
    path("evidence/<int:pk>/", evidence.EvidenceDetail.as_view(), name="api-evidence"),
    path("evidence/<int:pk>/download/", evidence.EvidenceDownload.as_view(), name="api-evidence-download"),
    path("verify/", views.VerifyView.as_view(), name="api-verify"),
    path("received/", ReceivedList.as_view(), name="api-received"),
    path("received/<int:pk>/", ReceivedDetail.as_view(), name="api-received-detail"),
    path("register/", RegisterList.as_view(), name="api-register"),
    path("projects/<int:pk>/publication/", ProjectPublication.as_view(), name="api-project-publication"),
    path("audit-events/", views.AuditEventList.as_view(), name="api-audit-events"),
    path("organisations/", criteria.OrganisationList.as_view(), name="api-organisations"),
    path("organisations/<slug:slug>/criteria/", criteria.CriteriaList.as_view(), name="api-criteria-versions"),
    path(
        "organisations/<slug:slug>/criteria/<int:number>/",
        criteria.CriteriaDetail.as_view(),
        name="api-criteria-version",
    ),
    path("organisations/<slug:slug>/appetite/", criteria.AppetiteList.as_view(), name="api-appetite-versions"),
    path(
        "organisations/<slug:slug>/appetite/<int:number>/",
        criteria.AppetiteDetail.as_view(),
        name="api-appetite-version",
    ),
]
