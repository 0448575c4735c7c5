from .accounts import Membership, Organisation, User
from .frameworks import FrameworkVersion
from .audit import AuditAction, AuditChainHead, AuditEvent, AuditExport
from .panels import Panel, PanelMembership
from .projects import CustodianAssessment, Evaluation, Outcome, Project

__all__ = [
    "AuditAction",
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
    "Project",
    "User",
]
