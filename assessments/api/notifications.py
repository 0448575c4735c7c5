"""The caller's own notifications: list them (unread only, one kind) and mark one read."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Notification
from ..selectors.notifications import notification_of, notifications_of
from ..services.notifications import notification_read
from .views import PROBLEM, Pages


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    read = serializers.SerializerMethodField()
    project = serializers.IntegerField(source="project_id", read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "subject",
            "body",
            "url",
            "project",
            "mandatory",
            "created_at",
            "read",
            "read_at",
            "email",
            "emailed_at",
        ]
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


UNREAD = OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only the unread ones (true), or all (default)")
KIND = OpenApiParameter("kind", str, enum=Notification.Kind.values, description="Only this kind")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


@extend_schema(parameters=[UNREAD, KIND])
class NotificationList(generics.ListAPIView):
    """Your own notifications, newest first. Each `url` is a path on this site: where to act."""

    serializer_class = NotificationSerializer
    pagination_class = Pages

    def get_queryset(self):
        unread = self.request.query_params.get("unread", "").lower()
        if unread not in TRUE + FALSE:
            raise ValidationError({"unread": "true or false"})
        kind = self.request.query_params.get("kind", "")
        if kind and kind not in Notification.Kind.values:
            raise ValidationError({"kind": f"One of: {', '.join(Notification.Kind.values)}"})
        return notifications_of(self.request.user, unread=unread in TRUE, kind=kind)


class NotificationRead(APIView):
    """Mark one of your notifications read (again is harmless); another person's is a 404."""

    @extend_schema(request=None, responses={200: NotificationSerializer, 404: PROBLEM})
    def post(self, request, pk):
        notification = notification_of(request.user, pk)
        if notification is None:
            raise NotFound("No such notification.")
        return Response(NotificationSerializer(notification_read(notification=notification)).data)
