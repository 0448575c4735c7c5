from .accounts import Membership, Organisation, User
from .frameworks import FrameworkVersion
from .audit import AuditAction, AuditChainCheck, AuditChainHead, AuditEvent, AuditExport
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
from .records import DecisionRecord, RecordPdf, RecordPdfJob
from .projects import CustodianAssessment, Evaluation, Outcome, Project
from .tokens import ApiToken

__all__ = [
    "ApiToken",
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
    "FrameworkVersion",
    "Membership",
    "Outcome",
    "Organisation",
    "Panel",
    "PanelMembership",
    "PanelReview",
    "Project",
    "RecordPdf",
    "ReferralQuestion",
    "ReferralReply",
    "RecordPdfJob",
    "User",
    "Vote",
]
