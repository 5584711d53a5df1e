"""The audit pipeline (readers -> rights signals -> policy -> writers); see
:mod:`rightsguard.audit.run`."""
