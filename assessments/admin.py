from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, Organisation, Panel, PanelMembership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class PanelSeatInline(admin.TabularInline):
    model = PanelMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_auditor", "is_superuser", "is_active"]
    list_filter = ["is_auditor", "is_superuser", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("PRIAM roles", {"fields": ["is_auditor"]}),)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Panel)
class PanelAdmin(admin.ModelAdmin):
    list_display = ["name", "quorum"]
    search_fields = ["name"]
    inlines = [PanelSeatInline]
