from .accounts import Membership, Organisation, User
from .frameworks import FrameworkVersion
from .audit import AuditAction, AuditChainHead, AuditEvent, AuditExport
from .panels import Panel, PanelMembership

__all__ = [
    "AuditAction",
    "AuditChainHead",
    "AuditEvent",
    "AuditExport",
    "FrameworkVersion",
    "Membership",
    "Organisation",
    "Panel",
    "PanelMembership",
    "User",
]
