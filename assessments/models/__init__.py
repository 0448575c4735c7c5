from .accounts import Membership, Organisation, User
from .panels import Panel, PanelMembership

__all__ = ["Membership", "Organisation", "Panel", "PanelMembership", "User"]
