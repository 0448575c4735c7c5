from .accounts import Membership, Organisation, User
from .audit import AuditAction, AuditChainCheck, AuditChainHead, AuditEvent, AuditExport
from .comments import Comment
from .crates import ReceivedAssessment, TrustedPeer
from .criteria import AppetiteVersion, CriteriaVersion
from .evidence import Evidence
from .frameworks import FrameworkVersion
from .guides import FrameworkGuide
from .impact import ImpactChunk, ImpactPreview
from .notifications import Notification
from .obligations import Approval, Obligation
from .outbox import OutboxMessage
from .panels import (
    ConflictDeclaration,
    Decision,
    Panel,
    PanelMembership,
    PanelReview,
    ReferralQuestion,
    ReferralReply,
    Vote,
)
from .projects import CustodianAssessment, Evaluation, Outcome, Project
from .records import DecisionRecord, RecordPdf, RecordPdfJob
from .register import Publication
from .signoffs import SignOff
from .tokens import ApiToken

__all__ = [
    "Approval",
    "Comment",
    "Evidence",
    "Notification",
    "Obligation",
    "ApiToken",
    "AppetiteVersion",
    "CriteriaVersion",
    "AuditAction",
    "ConflictDeclaration",
    "Decision",
    "DecisionRecord",
    "AuditChainCheck",
    "AuditChainHead",
    "AuditEvent",
    "AuditExport",
    "CustodianAssessment",
    "Evaluation",
    "FrameworkGuide",
    "FrameworkVersion",
    "ImpactChunk",
    "ImpactPreview",
    "Membership",
    "Outcome",
    "OutboxMessage",
    "Organisation",
    "Panel",
    "PanelMembership",
    "PanelReview",
    "Publication",
    "Project",
    "ReceivedAssessment",
    "RecordPdf",
    "ReferralQuestion",
    "ReferralReply",
    "RecordPdfJob",
    "SignOff",
    "TrustedPeer",
    "User",
    "Vote",
]
