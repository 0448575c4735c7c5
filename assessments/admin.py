"""The administrators' pages. Every save or delete writes its audit event in the admin's transaction."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction

from .errors import PriamError
from .models import (
    AuditAction,
    AuditEvent,
    FrameworkVersion,
    Membership,
    Organisation,
    Panel,
    PanelMembership,
    TrustedPeer,
    User,
)
from .services.audit import audit_record
from .services.crate_import import peer_certificate_check, peer_snapshot


def _user_snapshot(user):
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_auditor": user.is_auditor,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "password": user.password,  # masked in the event; only the fact of a change shows
        # Duties count as role changes: who may publish criteria or sign off is audited like the role.
        "memberships": sorted(
            [m.organisation.slug, m.role, m.manages_criteria, m.approves]
            for m in user.memberships.select_related("organisation")
        ),
    }


def _organisation_snapshot(org):
    return {"name": org.name, "slug": org.slug, "kind": org.kind}


def _panel_snapshot(panel):
    return {
        "name": panel.name,
        "description": panel.description,
        "quorum": panel.quorum,
        "seats": sorted([s.user.username, s.role] for s in panel.seats.select_related("user")),
    }


def _diff(before, after):
    changed = sorted(k for k in after if before.get(k) != after.get(k))
    return {
        "changed": changed,
        "before": {k: before.get(k) for k in changed},
        "after": {k: after.get(k) for k in changed},
    }


class AuditedAdmin(admin.ModelAdmin):
    """Records one created/updated/deleted event per saved object, with before and after values."""

    snapshot = None  # staticmethod(obj) -> dict
    actions_by_verb = {}  # {"created": AuditAction..., "updated": ..., "deleted": ...}

    def save_model(self, request, obj, form, change):
        request._audit_before = type(self).snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Inlines are saved here, after save_model: snapshot once everything is saved.
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = type(self).snapshot(obj)
        before = getattr(request, "_audit_before", {})
        diff = _diff(before, after)
        if change and not diff["changed"]:
            return
        audit_record(
            action=self.actions_by_verb["updated" if change else "created"],
            actor=request.user,
            obj=obj,
            request=request,
            data=diff if change else {"after": after},
            **self.audit_scope(obj),
        )

    def delete_model(self, request, obj):
        with transaction.atomic():  # the event and the delete stand or fall together
            self._audit_delete(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit_delete(request, obj)
            super().delete_queryset(request, queryset)

    def _audit_delete(self, request, obj):
        audit_record(
            action=self.actions_by_verb["deleted"],
            actor=request.user,
            obj=obj,
            request=request,
            data={"before": type(self).snapshot(obj)},
            **self.audit_scope(obj),
        )

    def audit_scope(self, obj):
        return {}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class PanelSeatInline(admin.TabularInline):
    model = PanelMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    snapshot = staticmethod(_user_snapshot)
    actions_by_verb = {
        "created": AuditAction.USER_CREATED,
        "updated": AuditAction.USER_UPDATED,
        "deleted": AuditAction.USER_DELETED,
    }
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_auditor", "is_superuser", "is_active"]
    list_filter = ["is_auditor", "is_superuser", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("PRIAM roles", {"fields": ["is_auditor"]}),)

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            before = _user_snapshot(User.objects.get(pk=id)) if request.method == "POST" else None
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.get(pk=id)
                audit_record(
                    action=AuditAction.USER_UPDATED,
                    actor=request.user,
                    obj=user,
                    request=request,
                    data=_diff(before, _user_snapshot(user)),
                )
            return response


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    snapshot = staticmethod(_organisation_snapshot)
    actions_by_verb = {
        "created": AuditAction.ORGANISATION_CREATED,
        "updated": AuditAction.ORGANISATION_UPDATED,
        "deleted": AuditAction.ORGANISATION_DELETED,
    }
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def audit_scope(self, obj):
        return {"organisation_id": obj.pk}


@admin.register(Panel)
class PanelAdmin(AuditedAdmin):
    snapshot = staticmethod(_panel_snapshot)
    actions_by_verb = {
        "created": AuditAction.PANEL_CREATED,
        "updated": AuditAction.PANEL_UPDATED,
        "deleted": AuditAction.PANEL_DELETED,
    }
    list_display = ["name", "quorum"]
    search_fields = ["name"]
    inlines = [PanelSeatInline]


class TrustedPeerForm(forms.ModelForm):
    base_url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = TrustedPeer
        fields = ["name", "base_url", "certificate_pem", "active"]

    def clean_certificate_pem(self):
        pem = self.cleaned_data["certificate_pem"]
        try:
            peer_certificate_check(pem)
        except PriamError as exc:
            raise forms.ValidationError(str(exc)) from None
        return pem


@admin.register(TrustedPeer)
class TrustedPeerAdmin(AuditedAdmin):
    """Other PRIAMs whose signed records this one accepts as crates (see services/crate_import.py)."""

    snapshot = staticmethod(peer_snapshot)
    actions_by_verb = {
        "created": AuditAction.PEER_CREATED,
        "updated": AuditAction.PEER_UPDATED,
        "deleted": AuditAction.PEER_DELETED,
    }
    list_display = ["name", "base_url", "active", "added_by", "added_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    form = TrustedPeerForm

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditActionFilter(admin.SimpleListFilter):
    """Every action by its label: the column has no choices, AuditAction has them."""

    title = "action"
    parameter_name = "action__exact"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "timestamp", "actor", "action_label", "object_type", "object_id"]
    list_filter = [AuditActionFilter]
    search_fields = ["actor", "object_id"]
    readonly_fields = ["action_label"]

    @admin.display(description="action", ordering="action")
    def action_label(self, event):
        return AuditAction.label_of(event.action)

    def get_fields(self, request, obj=None):
        # The label, where the action's value would stand.
        fields = [f for f in super().get_fields(request, obj) if f != "action_label"]
        return ["action_label" if f == "action" else f for f in fields]


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(ReadOnlyAdmin):
    list_display = ["framework_id", "version", "sha256", "loaded_at", "loaded_by"]
    exclude = ["texts"]
