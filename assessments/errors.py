class PriamError(Exception):
    """A refusal PRIAM explains to its user: the message is shown as it is."""
