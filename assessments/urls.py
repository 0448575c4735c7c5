from django.urls import path

from .views import audit, home, panels, projects, questionnaire, records, referrals, risk

urlpatterns = [
    path("", home.home, name="home"),
    path("projects/", projects.projects, name="projects"),
    path("projects/new/", projects.project_new, name="project_new"),
    path("projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/framework/", projects.project_framework, name="project_framework"),
    path("projects/<int:pk>/amend/", projects.project_amend, name="project_amend"),
    path("projects/<int:pk>/referral/", referrals.project_referral, name="project_referral"),
    path("projects/<int:pk>/risk/", risk.risk_profile, name="risk_profile"),
    path("projects/<int:pk>/risk/<int:revision>/", risk.risk_profile, name="risk_profile_revision"),
    path("projects/<int:pk>/questions/<slug:safe>/", questionnaire.project_section, name="project_section"),
    path("projects/<int:pk>/custodians/<int:aid>/", questionnaire.assessment_detail, name="assessment_detail"),
    path(
        "projects/<int:pk>/custodians/<int:aid>/questions/<slug:safe>/",
        questionnaire.assessment_section,
        name="assessment_section",
    ),
    path(
        "projects/<int:pk>/custodians/<int:aid>/check/",
        questionnaire.assessment_check,
        name="assessment_check",
    ),
    path(
        "projects/<int:pk>/custodians/<int:aid>/submit/",
        questionnaire.assessment_submit_view,
        name="assessment_submit",
    ),
    path(
        "projects/<int:pk>/custodians/<int:aid>/confirm/",
        questionnaire.assessment_confirm_view,
        name="assessment_confirm",
    ),
    path("projects/<int:pk>/send/", panels.send_to_panel, name="send_to_panel"),
    path("reviews/<int:pk>/", panels.review_detail, name="review_detail"),
    path("reviews/<int:pk>/declare/", panels.declare, name="review_declare"),
    path("reviews/<int:pk>/vote/", panels.vote, name="review_vote"),
    path("reviews/<int:pk>/decide/", panels.decide, name="review_decide"),
    path("records/<str:number>/", records.record_detail, name="record_detail"),
    path("records/<str:number>/pdf/", records.record_pdf, name="record_pdf"),
    path("verify/", records.verify, name="verify"),
    path("audit/", audit.audit_events, name="audit_events"),
    path("audit/events/<int:sequence>/", audit.audit_event, name="audit_event"),
    path("audit/projects/<int:project_id>/", audit.audit_project_timeline, name="audit_project_timeline"),
    path("audit/export/", audit.audit_export, name="audit_export"),
    path("audit/exports/<int:export_id>/", audit.audit_export_status, name="audit_export_status"),
    path("audit/exports/<int:export_id>/download/", audit.audit_export_download, name="audit_export_download"),
]
