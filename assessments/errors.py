"""PRIAM's refusals, in one family. Each says what went wrong in words a user can act on, and
carries its meaning for HTTP: the API maps it once (api/problems.py), pages show the message."""

from dataclasses import dataclass

from .display import readable_time


class PriamError(Exception):
    """A refusal PRIAM explains to its user: the message is shown as it is."""

    status = 409
    kind = "conflict"
    title = "The request conflicts with the project's state"

    def errors(self):
        """Field- or question-level details for problem+json, or None."""
        return None


class InvalidInput(PriamError):
    status, kind, title = 400, "validation", "Invalid request"


class TextTooLong(InvalidInput):
    def __init__(self, message, *, field, limit):
        super().__init__(message)
        self.field, self.limit = field, limit

    def errors(self):
        return [{"field": self.field, "message": str(self)}]


class FieldInvalid(InvalidInput):
    """One form field's value refused; the message names what to do."""

    def __init__(self, message, *, field):
        super().__init__(message)
        self.field = field

    def errors(self):
        return [{"field": self.field, "message": str(self)}]


class Forbidden(PriamError):
    """The user sees the thing but may not do this to it."""

    status, kind, title = 403, "forbidden", "Not allowed"


class SubmissionIncomplete(PriamError):
    """Answers that cannot be submitted or confirmed yet; `problems` are the engine's, by question."""

    status, kind, title = 400, "incomplete", "Incomplete"

    def __init__(self, message, problems):
        super().__init__(message)
        self.problems = problems

    def errors(self):
        return question_errors(self.problems)


def question_errors(problems):
    """The engine's problems as problem+json details: custodian, question (and its text), message."""
    found = []
    for p in problems:
        error = {"custodian": p.custodian, "question": p.question, "message": p.message}
        if getattr(p, "question_text", None):  # a project's problems name the question's text too
            error["question_text"] = p.question_text
        found.append(error)
    return found


class DefinitionInvalid(InvalidInput):
    """A custodian's criteria or appetite the engine refuses; `problems` name the rule or entry."""

    title = "Invalid definition"

    def __init__(self, message, problems):
        super().__init__(message)
        self.problems = problems

    def errors(self):
        return [{"item": p.item, "index": p.index, "message": p.message} for p in self.problems]


class NotFound(PriamError):
    status, kind, title = 404, "not-found", "Not found"


class FrameworkNotFound(NotFound):
    kind, title = "framework", "No such framework"


class ProjectLocked(PriamError):
    """With the panel, or decided: the project does not change (a decided one only by amendment)."""


class ReviewError(PriamError):
    """A panel action refused: not a member, not quorate, already decided, …"""


class FrameworkConflict(PriamError):
    """Different content under a framework version already loaded."""


class PreconditionFailed(PriamError):
    """What the user read changed since (an ETag or version that no longer matches)."""

    status, kind, title = 412, "stale", "Precondition failed"


class ConfirmationStale(PreconditionFailed):
    """The project-wide answers changed since the custodian reviewed them."""


@dataclass
class SectionConflict(PriamError):
    """Someone else saved this section since the user opened it."""

    saved_by: str
    saved_at: str
    their_answers: dict
    version: int = 0  # the section's version now: saving again from it is a deliberate overwrite

    def __str__(self):
        return (
            f"{self.saved_by} saved this section at {readable_time(self.saved_at)} while you were editing it. "
            "Your answers were not saved: compare them with theirs below, then save again."
        )


class SigningNotConfigured(PriamError):
    """No usable signing key and certificate: the message names the variables to set."""


class EvidenceRejected(InvalidInput):
    """An uploaded document refused: the message names the file and why (its type, its size)."""

    kind, title = "evidence", "Document refused"

    def __init__(self, message, *, name=""):
        super().__init__(message)
        self.name = name

    def errors(self):
        return [{"field": "file", "message": str(self)}]


class EvidenceTooLarge(EvidenceRejected):
    status, title = 413, "Document too large"


class EvidenceNotStored(PriamError):
    """The document was fine but could not be written to storage (a full disk, a folder that is
    not writable, the bucket unreachable): nothing was kept, and sending it again may work."""

    status, kind, title = 503, "evidence", "Document not stored"

    def __init__(self, message, *, name=""):
        super().__init__(message)
        self.name = name

    def errors(self):
        return [{"field": "file", "message": str(self)}]


class EvidenceTampered(PriamError):
    """A stored document no longer matches the SHA-256 taken when it was uploaded."""

    kind, title = "evidence-tampered", "Stored document changed"
