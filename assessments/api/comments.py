"""A project's conversations: read by whoever sees the project, written by those who work on it."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .. import limits, permissions
from ..models import Comment
from ..selectors.comments import project_comments
from ..selectors.projects import project_assessments
from ..services.comments import comment_post
from .views import PROBLEM, Pages

QUESTION_PARAM = OpenApiParameter(
    "question",
    OpenApiTypes.STR,
    description="Only this question's comments (a question id such as DA1); an empty value: the project's own thread",
)


class CommentSerializer(serializers.ModelSerializer):
    assessment = serializers.IntegerField(source="assessment_id", allow_null=True)
    custodian = serializers.SerializerMethodField(help_text="Whose answer the comment is about, if anyone's.")
    author = serializers.CharField(source="author.username")
    author_name = serializers.CharField(source="author.display_name")
    mentions = serializers.SerializerMethodField(help_text="Usernames mentioned and notified.")

    class Meta:
        model = Comment
        fields = [
            "id",
            "question",
            "assessment",
            "custodian",
            "author",
            "author_name",
            "role",
            "text",
            "mentions",
            "created_at",
        ]

    def get_custodian(self, comment) -> str | None:
        return comment.assessment.organisation.name if comment.assessment_id else None

    def get_mentions(self, comment) -> list[str]:
        return [user.username for user in comment.mentions.all()]


class CommentCreateSerializer(serializers.Serializer):
    # Length and emptiness are the service's to judge, so its messages (naming the field) are the API's.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    question = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.IDENTIFIER, help_text="Blank: the project's own thread."
    )
    assessment = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="For a custodian-scope question: whose answer."
    )


class CommentPostedSerializer(CommentSerializer):
    not_notified = serializers.ListField(
        child=serializers.CharField(),
        help_text="@names in the text that are nobody working on the project: left as text, nobody notified.",
    )

    class Meta(CommentSerializer.Meta):
        fields = [*CommentSerializer.Meta.fields, "not_notified"]


class ProjectComments(generics.ListAPIView):
    """GET: the project's comments, oldest first (every thread, or one question's with ?question=).
    POST: add a comment; @username notifies that person if they work on the project."""

    serializer_class = CommentSerializer
    pagination_class = Pages

    def get_queryset(self):
        project = permissions.project_for(self.request.user, self.kwargs["pk"])
        question = self.request.query_params.get("question")
        return project_comments(project, question=question.strip() if question is not None else None)

    @extend_schema(parameters=[QUESTION_PARAM], responses={200: CommentSerializer(many=True), 404: PROBLEM})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=CommentCreateSerializer,
        responses={201: CommentPostedSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    def post(self, request, pk):
        project = permissions.project_for(request.user, pk)
        given = CommentCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        assessment = None
        if given.validated_data.get("assessment") is not None:
            wanted = given.validated_data["assessment"]
            assessment = next((a for a in project_assessments(project) if a.pk == wanted), None)
            if assessment is None:
                raise ValidationError({"assessment": "No custodian assessment with this id on this project."})
        # Refusals (not allowed: 403; no such question, empty or too long: 400) are PriamErrors,
        # turned into problem details by the API's exception handler.
        comment = comment_post(
            project=project,
            user=request.user,
            text=given.validated_data["text"],
            question=given.validated_data.get("question", ""),
            assessment=assessment,
            request=request,
        )
        return Response(CommentPostedSerializer(comment).data, status=status.HTTP_201_CREATED)
